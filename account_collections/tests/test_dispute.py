from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import CollectionsCommon

DUE = date(2026, 3, 2)  # a Monday


@tagged("post_install", "-at_install")
class TestDispute(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        template = cls.env.ref("account_collections.mail_template_collection_reminder")
        email = {"send_email": True, "mail_template_id": template.id, "create_activity": False}
        cls.email_policy = cls.env["collection.policy"].create(
            {
                "name": "Dispute policy",
                "company_id": company.id,
                "level_ids": [
                    (0, 0, cls._level_vals("First", 10, **email)),
                    (0, 0, cls._level_vals("Second", 30, **email)),
                    (0, 0, cls._level_vals("Third", 45, **email)),
                ],
            }
        )
        company.partner_id.tz = "UTC"
        cls.customer = cls._customer("India Imports", email="ap@india.example.com", tz="UTC")
        cls.customer.with_company(company).collection_policy_id = cls.email_policy
        with freeze_time("2026-02-01 10:00:00"):
            days = (date(2026, 2, 1) - DUE).days
            cls.invoice = cls._invoice(cls.customer, days, 1000.0)
            cls.other = cls._invoice(cls.customer, days, 400.0)

    def _run(self, day):
        with freeze_time(f"{day} 10:00:00"):
            return self._run_collections(day)

    def _refresh(self, day=DUE + timedelta(days=5)):
        with freeze_time(f"{day} 10:00:00"):
            self.env["collection.case"].with_context(collection_date=day).refresh_cases()
        return self._case(self.customer)

    def _events(self, **filters):
        domain = [("case_id", "=", self._case(self.customer).id)] + [(k, "=", v) for k, v in filters.items()]
        return self.env["collection.event"].search(domain)

    def _dispute(self, invoice=None, open_it=True, user=None, **vals):
        case = self._case(self.customer) or self._refresh()
        Dispute = self.env["collection.dispute"].with_user(user or self.collector)
        dispute = Dispute.create(
            {"case_id": case.id, "invoice_id": (invoice or self.invoice).id, "reason": "other", **vals}
        )
        if open_it:
            dispute.action_open()
        return dispute

    def test_open_dispute_holds_only_the_disputed_invoice(self):
        dispute = self._dispute(description="Half the chairs arrived broken")
        self.assertEqual(dispute.state, "open")
        self.assertRegex(dispute.name, r"^DSP/\d{4}/\d{5}$")
        self.assertEqual(dispute.amount, 1000.0, "the whole amount due by default")
        self.assertEqual(self.invoice.collection_hold, "dispute")
        self.assertFalse(self.other.collection_hold)
        opened = self._events(direction="inbound")
        self.assertIn(dispute.name, opened.name)
        self.assertEqual((opened.channel, opened.invoice_ids), ("system", self.invoice))
        self.assertEqual(dispute.activity_ids.user_id, self.collector, "the collector is asked to settle it")
        self._run(DUE + timedelta(days=10))
        mail = self._events(channel="email").mail_mail_id
        self.assertIn(self.other.name, mail.body_html, "the rest of the case keeps escalating")
        self.assertNotIn(self.invoice.name, mail.body_html, "the disputed invoice is not in the reminder")
        skipped = self._events(reason_code="disputed")
        self.assertEqual((skipped.state, skipped.invoice_ids), ("skipped", self.invoice))

    def test_portal_dispute_is_logged_on_the_portal_channel(self):
        case = self._refresh()
        dispute = self.env["collection.dispute"].create({"case_id": case.id, "invoice_id": self.invoice.id})
        dispute.with_context(collection_channel="portal").action_open()
        self.assertEqual(self._events(direction="inbound").channel, "portal")

    def test_case_is_disputed_only_when_every_dunnable_invoice_is(self):
        self._run(DUE + timedelta(days=10))
        case = self._case(self.customer)
        self.assertEqual(case.stage_code, "reminded")
        first = self._dispute()
        self.assertEqual(case.stage_code, "reminded", "another invoice is still dunned")
        second = self._dispute(self.other)
        self.assertEqual(case.state, "open", "a case with only disputed invoices stays open")
        self.assertEqual(case.stage_code, "disputed")
        self.assertEqual(self._run(DUE + timedelta(days=30))["cases"], 0, "nothing left to dun")
        first.resolution = "Replacement chairs delivered"
        first.action_resolve()
        self.assertEqual(case.stage_code, "reminded", "back to dunning once one dispute is settled")
        self.assertFalse(self.invoice.collection_hold)
        self.assertEqual(second.state, "open")

    def test_amount_cannot_exceed_the_invoice_residual(self):
        self._refresh()
        with self.assertRaisesRegex(ValidationError, "more than the .* still due"):
            self._dispute(amount=1000.01, open_it=False)
        dispute = self._dispute(amount=300.0, open_it=False)
        self._pay(self.invoice, amount=800.0)
        with self.assertRaisesRegex(ValidationError, "more than the .* still due"):
            dispute.action_open()

    def test_invoice_under_an_open_dispute_cannot_be_disputed_again(self):
        first = self._dispute(amount=200.0)
        second = self._dispute(amount=100.0, open_it=False)
        with self.assertRaisesRegex(UserError, f"already disputed in {first.name}"):
            second.action_open()
        first.write({"resolution": "Explained the price list"})
        first.action_reject()
        second.action_open()
        self.assertEqual(self.invoice.collection_hold, "dispute")

    def test_invoice_must_belong_to_the_case_customer(self):
        stranger = self._customer("Juliet Stores")
        with freeze_time("2026-02-01 10:00:00"):
            foreign = self._invoice(stranger, 5, 50.0)
        with self.assertRaisesRegex(ValidationError, "does not belong to case"):
            self._dispute(foreign, open_it=False)

    def test_settling_requires_the_resolution_text(self):
        dispute = self._dispute()
        for action in ("action_resolve", "action_credit", "action_reject"):
            with self.assertRaisesRegex(UserError, "write the resolution"):
                getattr(dispute, action)()
        self.assertEqual(dispute.state, "open")
        self.assertEqual(self.invoice.collection_hold, "dispute")

    def test_partial_credit_posts_and_reconciles_a_credit_note(self):
        self._run(DUE + timedelta(days=10))
        case = self._case(self.customer)
        self.assertEqual(case.amount_due, 1400.0)
        dispute = self._dispute(amount=250.0, reason="pricing")
        dispute.resolution = "Agreed discount on the chairs"
        with freeze_time(f"{DUE + timedelta(days=12)} 10:00:00"):
            dispute.with_user(self.collector).action_credit()
        credit_note = dispute.credit_note_id
        self.assertEqual(dispute.state, "credited")
        self.assertEqual((credit_note.move_type, credit_note.state), ("out_refund", "posted"))
        self.assertEqual(credit_note.reversed_entry_id, self.invoice)
        self.assertEqual(credit_note.amount_total, 250.0)
        self.assertEqual(credit_note.amount_residual, 0.0, "fully reconciled with the invoice")
        self.assertEqual(credit_note.line_ids.matched_debit_ids.debit_move_id.move_id, self.invoice)
        self.assertEqual(self.invoice.amount_residual, 750.0)
        self.assertEqual(self.invoice.payment_state, "partial")
        self.assertFalse(self.invoice.collection_hold, "the rest of the invoice is dunned again")
        self.assertEqual(case.amount_due, 1150.0)
        event = self._events().filtered(lambda e: credit_note.name in e.name)
        self.assertEqual(event.invoice_ids, self.invoice | credit_note)
        self.assertEqual(event.note, "Agreed discount on the chairs")
        self.assertFalse(dispute.activity_ids, "the collector's activity is done")

    def test_full_credit_reverses_the_invoice(self):
        dispute = self._dispute(resolution="Never ordered")
        dispute.action_credit()
        self.assertEqual(dispute.credit_note_id.amount_total, 1000.0)
        self.assertEqual(self.invoice.payment_state, "reversed")
        self.assertEqual(self._case(self.customer).amount_due, 400.0)

    def test_rejected_dispute_resumes_dunning(self):
        self._dispute()
        self._run(DUE + timedelta(days=10))
        self.assertNotIn(self.invoice.name, self._events(channel="email").mail_mail_id.body_html)
        dispute = self.env["collection.dispute"].search([("invoice_id", "=", self.invoice.id)])
        dispute.write({"resolution": "The goods were delivered, signed receipt on file"})
        dispute.action_reject()
        self.assertEqual(dispute.state, "rejected")
        self.assertFalse(self.invoice.collection_hold)
        self.assertTrue(self._events().filtered(lambda e: "rejected" in e.name))
        self._run(DUE + timedelta(days=30))
        last = self._events(channel="email").sorted("id")[-1].mail_mail_id
        self.assertIn(self.invoice.name, last.body_html, "reminded again once rejected")

    def test_dispute_resolves_itself_when_the_invoice_is_paid(self):
        dispute = self._dispute()
        self._pay(self.invoice)
        self._run(DUE + timedelta(days=10))
        self.assertEqual(dispute.state, "resolved")
        self.assertIn("paid in full", dispute.resolution)
        self.assertFalse(self.invoice.collection_hold)
        self.assertTrue(self._events().filtered(lambda e: dispute.name in e.name and "resolved" in e.name))

    def test_form_and_wizard_settle_a_dispute(self):
        case = self._refresh()
        action = case.with_user(self.collector).action_new_dispute()
        with Form(self.env["collection.dispute"].with_user(self.collector).with_context(**action["context"])) as form:
            form.invoice_id = self.other
            self.assertEqual(form.amount, 400.0)
            form.reason = "not_received"
        dispute = form.save()
        dispute.action_open()
        action = self.invoice.action_new_collection_dispute()
        self.assertEqual(action["context"], {"default_case_id": case.id, "default_invoice_id": self.invoice.id})
        action = dispute.with_context(dispute_decision="reject").action_open_resolve_wizard()
        wizard_form = Form(
            self.env["collection.dispute.resolve"].with_user(self.collector).with_context(**action["context"])
        )
        self.assertEqual(wizard_form.decision, "reject")
        wizard_form.resolution = "Tracking shows it was delivered"
        wizard_form.save().action_apply()
        self.assertEqual((dispute.state, dispute.resolution), ("rejected", "Tracking shows it was delivered"))

    def test_only_managers_delete_and_only_draft_disputes(self):
        draft = self._dispute(open_it=False)
        with self.assertRaises(AccessError):
            draft.with_user(self.collector).unlink()
        opened = self._dispute(self.other)
        with self.assertRaisesRegex(UserError, "only draft disputes can be deleted"):
            opened.with_user(self.collection_manager).unlink()
        draft.with_user(self.collection_manager).unlink()
        self.assertFalse(draft.exists())
