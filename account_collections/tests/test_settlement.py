from datetime import date, timedelta
from urllib.parse import parse_qs, urlparse

from freezegun import freeze_time

from odoo import Command, fields, http
from odoo.exceptions import UserError
from odoo.tests import Form, HttpCase, tagged

from odoo.addons.mail.tests.common import MockEmail, mail_new_test_user

from .common import CollectionsCommon

DUE = date(2026, 3, 2)


class SettlementCommon(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.partner_id.tz = "UTC"
        cls.company.write(
            {
                "collection_bad_debt_account_id": cls.company_data["default_account_expense"].id,
                "collection_write_off_journal_id": cls.company_data["default_journal_misc"].id,
            }
        )
        cls.settle_policy = cls._email_policy("Settlement policy", [("First", 10), ("Second", 30)])
        cls.customer = cls._customer("Lima Trading", email="ap@lima.example.com", tz="UTC")
        cls.customer.with_company(cls.company).collection_policy_id = cls.settle_policy

    def _settlement(self, case, user=None, **vals):
        env = self.env(user=user) if user else self.env
        return env["collection.settlement"].create({"case_id": case.id, **vals})


@tagged("post_install", "-at_install")
class TestSettlement(SettlementCommon, MockEmail):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time(f"{DUE - timedelta(days=30)} 10:00:00"):
            cls.invoice = cls._invoice(cls.customer, -30, 600.0)
            cls.invoice2 = cls._invoice(cls.customer, -30, 400.0)

    def _run(self, day):
        with freeze_time(f"{day} 10:00:00"):
            return self._run_collections(day)

    def _offer(self, user=None, day=None, **vals):
        """A case reminded at its first level, and an offer made on it (as ``user``) that day."""
        day = day or DUE + timedelta(days=12)
        self._run(DUE + timedelta(days=10))
        case = self._case(self.customer)
        self.assertEqual(case.level_id.name, "First")
        vals.setdefault("deadline", day + timedelta(days=14))
        with freeze_time(f"{day} 10:00:00"):
            settlement = self._settlement(case, user=user, **vals)
            settlement.action_offer()
        return settlement

    def test_offer_covers_the_open_invoices_and_puts_them_on_hold(self):
        settlement = self._offer(user=self.collector, amount_settled=900.0)
        self.assertEqual(settlement.invoice_ids, self.invoice | self.invoice2)
        self.assertEqual(settlement.amount_due, 1000.0)
        self.assertAlmostEqual(settlement.discount_percentage, 10.0)
        self.assertEqual(settlement.amount_discount, 100.0)
        self.assertEqual(settlement.state, "offered")
        self.assertEqual(set((self.invoice | self.invoice2).mapped("collection_hold")), {"settlement"})
        self.assertTrue(settlement.access_token)
        events = self.env["collection.event"].search([("case_id", "=", settlement.case_id.id)])
        email = events.filtered(lambda e: e.channel == "email" and settlement.name in e.name)
        self.assertEqual(email.state, "queued")
        body = email.mail_mail_id.body_html
        self.assertIn("900.00", body)
        self.assertIn(f"/my/collections/settlement/{settlement.id}?access_token={settlement.access_token}", body)
        self.assertEqual(email.mail_mail_id.recipient_ids, self.customer)
        self.assertTrue(events.filtered(lambda e: "offered" in e.name and e.invoice_ids == settlement.invoice_ids))

    def test_percentage_or_amount(self):
        self._run(DUE + timedelta(days=10))
        case = self._case(self.customer)
        settlement = self._settlement(case, discount_percentage=15.0)
        self.assertEqual(settlement.amount_settled, 850.0, "the amount follows the percentage entered")
        settlement.amount_settled = 700.0
        self.assertAlmostEqual(settlement.discount_percentage, 30.0, "the percentage follows the amount entered")
        settlement.discount_percentage = 5.0
        self.assertEqual(settlement.amount_settled, 950.0)

    def test_offer_settlement_button_opens_a_prefilled_form(self):
        self._run(DUE + timedelta(days=10))
        case = self._case(self.customer)
        action = case.with_user(self.collector).action_new_settlement()
        with Form(self.env(user=self.collector)[action["res_model"]].with_context(**action["context"])) as form:
            self.assertEqual(form.amount_due, 1000.0)
            self.assertEqual(len(form.invoice_ids), 2)
            form.discount_percentage = 10.0
            self.assertEqual(form.amount_settled, 900.0, "the amount follows the percentage as it is typed")
            form.amount_settled = 333.33
            self.assertAlmostEqual(form.discount_percentage, 66.67)
        settlement = form.record
        self.assertEqual(settlement.amount_settled, 333.33, "the amount typed is kept, not rebuilt from the %")
        self.assertAlmostEqual(settlement.discount_percentage, 66.67)
        self.assertEqual(case.settlement_count, 1)

    def test_collector_limit_refuses_a_larger_discount(self):
        self._run(DUE + timedelta(days=10))
        case = self._case(self.customer)
        day = DUE + timedelta(days=12)
        with freeze_time(f"{day} 10:00:00"):
            settlement = self._settlement(
                case, user=self.collector, discount_percentage=20.0, deadline=day + timedelta(days=14)
            )
            events_before = case.event_ids
            with self.assertRaisesInPlace(UserError, r"beyond your limit of 10\.00 %.*Collections Manager"):
                settlement.action_offer()
        self.assertEqual(settlement.state, "draft", "nothing half-applied")
        self.assertFalse((self.invoice | self.invoice2).filtered("collection_hold"))
        self.assertEqual(case.event_ids, events_before, "nothing logged")
        self.assertFalse(settlement.access_token)

    def test_collector_limit_is_configurable(self):
        self.company.collection_settlement_user_max_discount = 25.0
        settlement = self._offer(user=self.collector, discount_percentage=20.0)
        self.assertEqual(settlement.state, "offered")

    def test_manager_may_offer_beyond_the_user_limit(self):
        self._run(DUE + timedelta(days=10))
        case = self._case(self.customer)
        draft = self._settlement(case, user=self.collector, discount_percentage=40.0)
        with self.assertRaisesRegex(UserError, "10.00 %"):
            draft.with_user(self.collector).action_offer()
        self.assertEqual(draft.state, "draft")
        draft.with_user(self.collection_manager).action_offer()
        self.assertEqual(draft.state, "offered", "the manager approves the collector's draft by offering it")

    def test_manager_limit(self):
        self.company.collection_settlement_manager_max_discount = 30.0
        with self.assertRaisesRegex(UserError, r"limit of 30\.00 % set for Collections Managers"):
            self._offer(user=self.collection_manager, discount_percentage=40.0)

    def test_paid_on_time_writes_off_exactly_the_remainder(self):
        settlement = self._offer(user=self.collection_manager, amount_settled=700.0)
        deadline = settlement.deadline
        self.assertEqual(self._run(DUE + timedelta(days=14))["cases"], 0, "dunning pauses while the offer stands")
        with freeze_time(f"{deadline - timedelta(days=1)} 10:00:00"):
            self._pay(self.invoice, 600.0, date=deadline - timedelta(days=1))
            self._pay(self.invoice2, 100.0, date=deadline - timedelta(days=1))
        self.assertEqual(settlement.state, "offered", "settled by the daily run")
        self._run(deadline)
        self.assertEqual(settlement.state, "paid")
        write_off = settlement.write_off_id
        self.assertTrue(write_off)
        self.assertEqual(write_off.state, "posted")
        self.assertEqual(write_off.reason_code, "settlement")
        self.assertEqual(write_off.origin, settlement.name)
        self.assertEqual(write_off.invoice_ids, self.invoice2, "only what is still open is written off")
        self.assertAlmostEqual(write_off.amount, 300.0)
        self.assertEqual(self.invoice2.amount_residual, 0.0)
        self.assertEqual(self.invoice2.payment_state, "paid")
        case = settlement.case_id
        self.assertEqual(case.state, "closed")
        self.assertEqual(case.stage_id.code, "paid", "a settled case closes as paid, not as a bad debt")
        self.assertFalse(self.invoice2.collection_hold)
        self.assertTrue(
            case.event_ids.filtered(lambda e: e.name.startswith(f"Settlement {settlement.name} paid")),
            "the settlement is logged on the case",
        )

    def test_paid_but_write_off_refused_keeps_the_offer_and_logs_why(self):
        settlement = self._offer(user=self.collection_manager, amount_settled=700.0)
        self.company.collection_bad_debt_account_id = False
        with freeze_time(f"{settlement.deadline} 09:00:00"):
            self._pay(self.invoice, 600.0)
            self._pay(self.invoice2, 100.0)
        self._run(settlement.deadline)
        self.assertEqual(settlement.state, "offered", "retried at the next run")
        failed = settlement.case_id.event_ids.filtered(lambda e: e.state == "failed")
        self.assertIn("bad-debt", failed.reason)

    def test_lapsed_offer_resumes_dunning(self):
        settlement = self._offer(user=self.collector, amount_settled=900.0, deadline=DUE + timedelta(days=40))
        case = settlement.case_id
        mails_before = case.event_ids.filtered(lambda e: e.channel == "email" and e.level_id)
        self.assertEqual(self._run(DUE + timedelta(days=30))["cases"], 0, "no reminder while the offer stands")
        with freeze_time(f"{settlement.deadline} 09:00:00"):
            self._pay(self.invoice, 500.0)
        self._run(settlement.deadline)
        self.assertEqual(settlement.state, "offered", "still standing on its last day")
        counts = self._run(settlement.deadline + timedelta(days=1))
        self.assertEqual(settlement.state, "lapsed")
        self.assertFalse(any((self.invoice | self.invoice2).mapped("collection_hold")))
        self.assertEqual(counts["queued"], 1, "the same run contacts the customer again")
        self.assertEqual(case.level_id.name, "Second")
        reminders = case.event_ids.filtered(lambda e: e.channel == "email" and e.level_id) - mails_before
        self.assertEqual(reminders.level_id.name, "Second")
        self.assertTrue(case.event_ids.filtered(lambda e: "lapsed" in e.name))
        self.assertTrue(case.activity_ids.filtered(lambda a: settlement.name in a.summary))
        self.assertFalse(settlement.write_off_id)

    def test_reminders_leave_out_the_invoices_under_offer(self):
        settlement = self._offer(
            user=self.collector,
            invoice_ids=[Command.set(self.invoice2.ids)],
            amount_settled=380.0,
            deadline=DUE + timedelta(days=40),
        )
        self.assertEqual(settlement.amount_due, 400.0)
        self.assertEqual(self._run(DUE + timedelta(days=30))["queued"], 1, "the other invoice is still dunned")
        case = settlement.case_id
        reminder = case.event_ids.filtered(lambda e: e.channel == "email" and e.level_id.name == "Second")
        self.assertIn(self.invoice.name, reminder.mail_mail_id.sudo().body_html)
        self.assertNotIn(self.invoice2.name, reminder.mail_mail_id.body_html)
        left_out = case.event_ids.filtered(lambda e: e.reason_code == "settlement")
        self.assertEqual((left_out.state, left_out.invoice_ids), ("skipped", self.invoice2))

    def test_accept_and_withdraw(self):
        settlement = self._offer(user=self.collector, amount_settled=950.0)
        with freeze_time(f"{DUE + timedelta(days=13)} 10:00:00"):
            settlement.with_user(self.collector).action_accept()
        self.assertEqual(settlement.state, "accepted")
        self.assertFalse(settlement.accepted_on_portal)
        with freeze_time(f"{DUE + timedelta(days=14)} 10:00:00"):
            with self.assertRaisesRegex(UserError, "Cancellation Reason"):
                settlement.action_cancel()
            settlement.action_cancel(reason="Customer asked for a payment plan instead")
        self.assertEqual(settlement.state, "cancelled")
        self.assertFalse(self.invoice.collection_hold, "dunning resumes")

    def test_offered_terms_are_locked(self):
        settlement = self._offer(user=self.collector, amount_settled=950.0)
        with self.assertRaisesRegex(UserError, "cannot change"):
            settlement.amount_settled = 500.0

    def test_offer_refuses_invoices_under_a_promise(self):
        self._run(DUE + timedelta(days=10))
        case = self._case(self.customer)
        with freeze_time(f"{DUE + timedelta(days=10)} 10:00:00"):
            promise = self.env["collection.promise"].create(
                {
                    "case_id": case.id,
                    "invoice_ids": [Command.set(self.invoice.ids)],
                    "amount": 600.0,
                    "promised_date": DUE + timedelta(days=20),
                }
            )
            promise.action_confirm()
            settlement = self._settlement(case, invoice_ids=[Command.set(self.invoice.ids)], amount_settled=500.0)
            with self.assertRaisesRegex(UserError, "already covered by the open promise to pay"):
                settlement.action_offer()


@tagged("post_install", "-at_install")
class TestSettlementPortal(SettlementCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.invoice = cls._invoice(cls.customer, 20, 1000.0)
        cls.env["collection.case"].refresh_cases()
        case = cls._case(cls, cls.customer)
        cls.settlement = cls.env["collection.settlement"].create(
            {
                "case_id": case.id,
                "amount_settled": 800.0,
                "deadline": fields.Date.context_today(cls.env["res.partner"]) + timedelta(days=10),
            }
        )
        cls.settlement.action_offer()
        mail_new_test_user(
            cls.env,
            login="portal_lima",
            groups="base.group_portal",
            partner_id=cls.customer.id,
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )
        other = cls._customer("Mike Stores", email="ap@mike.example.com")
        mail_new_test_user(
            cls.env,
            login="portal_mike",
            groups="base.group_portal",
            partner_id=other.id,
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _accept(self, token):
        data = {"csrf_token": http.Request.csrf_token(self)}
        if token is not None:
            data["access_token"] = token
        return self.url_open(f"/my/collections/settlement/{self.settlement.id}/accept", data=data)

    def setUp(self):
        super().setUp()
        self.authenticate(None, None)  # an anonymous visitor following the link of the offer email

    def test_offer_page_with_token(self):
        response = self.url_open(self.settlement.get_portal_url())
        self.assertEqual(response.status_code, 200)
        self.assertIn("800.00", response.text)
        self.assertIn(self.invoice.name, response.text)
        self.assertIn("o_collection_settlement_accept", response.text)
        response = self.url_open(f"/my/collections/settlement/{self.settlement.id}?access_token=wrong")
        self.assertNotIn(self.invoice.name, response.text, "no token, no offer")

    def test_accept_with_token(self):
        response = self._accept(self.settlement.access_token)
        self.assertEqual(response.status_code, 200)
        self.assertIn("success", parse_qs(urlparse(response.url).query))
        self.assertEqual(self.settlement.state, "accepted")
        self.assertTrue(self.settlement.accepted_on_portal)
        event = self.settlement.case_id.event_ids.filtered(lambda e: e.channel == "portal")
        self.assertEqual((event.direction, event.invoice_ids), ("inbound", self.invoice))
        self.assertEqual(self.invoice.collection_hold, "settlement", "still on hold until paid")

    def test_accept_without_or_with_wrong_token_refused(self):
        self._accept(None)
        self.assertEqual(self.settlement.state, "offered")
        self._accept("not-the-token")
        self.assertEqual(self.settlement.state, "offered")
        self.authenticate("portal_mike", "portal_mike")
        self._accept(None)
        self._accept("not-the-token")
        self.assertEqual(self.settlement.state, "offered", "another customer cannot accept it")
        self.assertFalse(self.settlement.case_id.event_ids.filtered(lambda e: e.channel == "portal"))

    def test_accept_needs_csrf(self):
        with self.assertLogs("odoo.http", "WARNING"):
            self.url_open(
                f"/my/collections/settlement/{self.settlement.id}/accept",
                data={"access_token": self.settlement.access_token},
            )
        self.assertEqual(self.settlement.state, "offered")

    def test_my_collections_lists_open_offers_with_accept_button(self):
        self.authenticate("portal_lima", "portal_lima")
        response = self.url_open("/my/collections")
        self.assertEqual(response.status_code, 200)
        self.assertIn(f'id="settlement-{self.settlement.id}"', response.text)
        self.assertIn(f"/my/collections/settlement/{self.settlement.id}/accept", response.text)
        self.authenticate("portal_mike", "portal_mike")
        response = self.url_open("/my/collections")
        self.assertNotIn(f'id="settlement-{self.settlement.id}"', response.text)
