from datetime import date, timedelta

from freezegun import freeze_time
from markupsafe import escape

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import Form, tagged

from odoo.addons.mail.tests.common import MockEmail

from .common import CollectionsCommon

DUE = date(2026, 3, 2)  # a Monday
LEGAL_FILE = "account_collections.report_collection_legal_file"


@tagged("post_install", "-at_install")
class TestLegal(CollectionsCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        template = cls.env.ref("account_collections.mail_template_collection_reminder")
        email = {"send_email": True, "mail_template_id": template.id, "create_activity": False}
        cls.legal_policy = cls.env["collection.policy"].create(
            {
                "name": "Legal policy",
                "company_id": cls.company.id,
                "level_ids": [
                    (0, 0, cls._level_vals("First", 10, **email)),
                    (0, 0, cls._level_vals("Second", 30, **email)),
                    (0, 0, cls._level_vals("Final", 60, **email)),
                ],
            }
        )
        cls.company.partner_id.tz = "UTC"
        cls.customer = cls._customer("Mike Machinery", email="ap@mike.example.com", tz="UTC", street="1 Court Road")
        cls.customer.with_company(cls.company).collection_policy_id = cls.legal_policy
        cls.lawyer = cls._customer("Novak & Partners Law Firm")
        with freeze_time("2026-02-01 10:00:00"):
            days = (date(2026, 2, 1) - DUE).days
            cls.invoice = cls._invoice(cls.customer, days, 1000.0)
            cls.other = cls._invoice(cls.customer, days, 250.0)

    def _run(self, day):
        with freeze_time(f"{day} 10:00:00"):
            return self._run_collections(day)

    def _handover(self, case, day, note="Claim the debt and the costs"):
        with freeze_time(f"{day} 11:00:00"):
            wizard = Form(self.env["collection.legal.handover"].with_context(**case.action_legal_handover()["context"]))
            wizard.lawyer_id = self.lawyer
            wizard.note = note
            wizard.save().action_confirm()

    def _worked_case(self):
        """A case with a history: two reminders, a call, a pause and its resume."""
        self._run(DUE + timedelta(days=10))
        case = self._case(self.customer)
        with freeze_time(f"{DUE + timedelta(days=12)} 09:00:00"):
            case.action_log_call("refused", note="Says the machine is broken, refuses to pay")
            case.action_pause(DUE + timedelta(days=14))
        with freeze_time(f"{DUE + timedelta(days=15)} 09:00:00"):
            case.action_resume()
        self._run(DUE + timedelta(days=30))
        return case

    def test_handover_moves_to_legal_and_stops_dunning(self):
        case = self._worked_case()
        self.assertEqual(case.level_id.name, "Second")
        self._handover(case, DUE + timedelta(days=40))
        self.assertEqual(case.stage_code, "legal")
        self.assertEqual(case.legal_partner_id, self.lawyer)
        self.assertEqual(case.legal_date, DUE + timedelta(days=40))
        handover = case.event_ids.filtered(lambda e: e.attachment_id)
        self.assertEqual(handover.channel, "system")
        self.assertEqual(handover.note, "Claim the debt and the costs")
        self.assertEqual(handover.attachment_id, case.legal_file_id)
        self.assertEqual(case.legal_file_id.res_model, "collection.case")
        self.assertEqual(case.legal_file_id.res_id, case.id)

        emails_before = len(case.event_ids.filtered(lambda e: e.channel == "email"))
        counts = self._run(DUE + timedelta(days=70))
        self.assertEqual(counts["cases"], 0, "the final level is due, but the lawyer has the case")
        self.assertEqual(len(case.event_ids.filtered(lambda e: e.channel == "email")), emails_before)
        self.assertEqual(case.level_id.name, "Second")

    def test_legal_file_contains_the_complete_contact_log(self):
        case = self._worked_case()
        self.env["collection.legal.cost"].create(
            {"case_id": case.id, "name": "Court filing fee", "amount": 120.0, "partner_id": self.lawyer.id}
        )
        self._handover(case, DUE + timedelta(days=40))
        events = case.event_ids.filtered(lambda e: not e.attachment_id)  # all but the handover itself
        self.assertGreaterEqual(len(events), 8)
        self.assertEqual(
            set(events.mapped("channel")) >= {"email", "call", "system"}, True, "reminders, a call, changes"
        )
        html = self.env["ir.actions.report"]._render_qweb_html(LEGAL_FILE, case.ids)[0].decode()
        for event in case.event_ids:
            self.assertIn(str(escape(event.name)), html, "every event of the case is in the legal file")
            self.assertIn(event.date.strftime("%Y-%m-%d %H:%M:%S"), html)
        for text in (
            self.invoice.name,
            self.other.name,
            "Says the machine is broken",
            "Refused to Pay",
            "Court filing fee",
            self.lawyer.name.replace("&", "&amp;"),
            "1 Court Road",
        ):
            self.assertIn(text, html)
        pdf = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(LEGAL_FILE, case.ids)[0]
        )
        self.assertTrue(pdf.startswith(b"%PDF"))

    def test_legal_costs_are_totalled_in_the_case_currency(self):
        case = self._worked_case()
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        case.write(
            {
                "legal_cost_ids": [
                    Command.create({"name": "Lawyer retainer", "amount": 300.0, "partner_id": self.lawyer.id}),
                    Command.create({"name": "Bailiff", "amount": 100.0, "currency_id": eur.id, "recharge": True}),
                ]
            }
        )
        retainer = case.legal_cost_ids.filtered(lambda c: c.name == "Lawyer retainer")
        self.assertEqual(retainer.currency_id, case.currency_id, "the case's currency by default")
        self.assertEqual(case.legal_cost_total, 350.0)
        self.assertEqual(case.legal_cost_recharge_total, 50.0)
        with self.assertRaisesRegex(ValidationError, "positive amount"):
            self.env["collection.legal.cost"].create({"case_id": case.id, "name": "Nothing", "amount": 0.0})

    def test_time_barred_debt_is_refused_for_legal_handover(self):
        self.company.collection_limitation_years = 3
        with freeze_time(f"{DUE} 10:00:00"):
            barred = self._invoice(self.customer, 365 * 4, 90.0)
        self._run(DUE + timedelta(days=10))
        case = self._case(self.customer)
        self.assertIn(barred, case.open_invoice_ids)
        with (
            freeze_time(f"{DUE + timedelta(days=40)} 10:00:00"),
            self.assertRaisesInPlace(UserError, f"{barred.name}.*time-barred.*3 years"),
        ):
            case._legal_handover(self.lawyer)
        self.assertNotEqual(case.stage_code, "legal")
        self.assertFalse(case.legal_partner_id)
        # what is time-barred is written off; the rest can go to court
        self.company.write({"collection_bad_debt_account_id": self.company_data["default_account_expense"].id})
        self.env["collection.write.off"].create(
            {"invoice_ids": [Command.set(barred.ids)], "reason": "Time-barred", "reason_code": "time_barred"}
        ).action_post()
        self._handover(case, DUE + timedelta(days=40))
        self.assertEqual(case.stage_code, "legal")

    def test_closed_case_cannot_go_to_court(self):
        self._run(DUE + timedelta(days=10))
        case = self._case(self.customer)
        self._pay(self.invoice | self.other)
        self.assertEqual(case.state, "closed")
        with self.assertRaisesRegex(UserError, "closed"):
            case.action_legal_handover()

    def test_engine_does_not_contact_a_case_of_time_barred_invoices_only(self):
        self.company.collection_limitation_years = 2
        self._pay(self.invoice | self.other)
        with freeze_time(f"{DUE} 10:00:00"):
            self._invoice(self.customer, 365 * 3, 500.0)
        counts = self._run(DUE + timedelta(days=70))
        self.assertEqual(counts["cases"], 0)
        contacts = self.env["collection.event"].search(
            [("partner_id", "=", self.customer.id), ("channel", "in", ("email", "letter", "sms", "call"))]
        )
        self.assertFalse(contacts, "no contact about a time-barred debt")
