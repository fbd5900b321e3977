from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.account_collections.tests.common import CollectionsCommon
from odoo.addons.sms.tests.common import SMSCase

DUE = date(2026, 3, 2)
TEXT_DAY = DUE + timedelta(days=10)
# renders for a customer with a reference, fails for one without (False has no upper())
NEEDS_REF = "Account {{ object.partner_id.ref.upper() }}: {{ object.name }} is overdue"


@tagged("post_install", "-at_install")
class TestSmsFaults(CollectionsCommon, SMSCase):
    """An SMS that fails to render is failed with the error; the others go out."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.partner_id.tz = "UTC"
        cls.template = cls.env.ref("account_collections_sms.sms_template_collection_reminder").copy(
            {"name": "Custom reminder SMS"}
        )
        cls.sms_policy = cls.env["collection.policy"].create(
            {
                "name": "SMS policy",
                "company_id": cls.company.id,
                "level_ids": [
                    Command.create(
                        cls._level_vals(
                            "Text", 10, create_activity=False, send_sms=True, sms_template_id=cls.template.id
                        )
                    ),
                ],
            }
        )
        cls.fleur = cls._debtor("Fleur", "06 12 34 56 78", ref="f-1")
        cls.bram = cls._debtor("Bram", "06 12 34 56 79")

    @classmethod
    def _debtor(cls, name, mobile, **vals):
        partner = cls._customer(name, mobile=mobile, country_id=cls.env.ref("base.fr").id, tz="UTC", **vals)
        partner.with_company(cls.company).collection_policy_id = cls.sms_policy
        with freeze_time("2026-02-01 10:00:00"):
            cls._invoice(partner, (date(2026, 2, 1) - DUE).days, 120.0)
        return partner

    def _run(self, day=TEXT_DAY, hour=10):
        with freeze_time(f"{day} {hour:02d}:00:00"), self.mockSMSGateway():
            return self._run_collections(day)

    def _sms_events(self, partner):
        return self.env["collection.event"].search(
            [("partner_id", "=", partner.id), ("channel", "=", "sms")], order="id"
        )

    def test_level_sms_that_fails_to_render_is_failed_and_retried_at_the_next_run(self):
        self.template.body = NEEDS_REF  # SMS templates are the administrator's
        counts = self._run()
        self.assertEqual((counts["queued"], counts["failed"]), (1, 1))
        self.assertSMSOutgoing(self.fleur, "+33612345678", content="Account F-1")
        failed = self._sms_events(self.bram)
        self.assertEqual((failed.state, failed.reason_code, failed.level_id.name), ("failed", "render", "Text"))
        self.assertIn("AttributeError", failed.reason)
        notification = self.env["mail.message"].search(
            [("model", "=", "sms.template"), ("res_id", "=", self.template.id)]
        )
        self.assertEqual(len(notification), 1)
        self.assertIn(self.collection_manager.partner_id, notification.partner_ids)
        # the customer's data is corrected: the next run texts the level again, and only the failed one
        self.bram.ref = "b-2"
        counts = self._run(hour=11)
        self.assertEqual(counts["queued"], 1)
        self.assertSMSOutgoing(self.bram, "+33612345679", content="Account B-2")
        self.assertEqual(self._sms_events(self.bram).mapped("state"), ["failed", "queued"])
        self.assertEqual(len(self._sms_events(self.fleur)), 1, "texted once")
        self.assertEqual(self._run(hour=12)["queued"], 0)

    def test_promise_sms_that_fails_to_render_is_failed_and_tried_again(self):
        self.company.collection_plan_reminder_days = 2
        template = self.env.ref("account_collections_sms.sms_template_promise_reminder")
        body = template.body
        template.body = "Account {{ object.partner_id.ref.upper() }}: {{ object.amount }} due soon"
        promises = {}
        with freeze_time(f"{DUE + timedelta(days=1)} 10:00:00"):
            self.env["collection.case"].with_context(collection_date=str(DUE + timedelta(days=1))).refresh_cases()
            for partner in (self.fleur, self.bram):
                case = self._case(partner)
                promises[partner] = self.env["collection.promise"].create(
                    {
                        "case_id": case.id,
                        "invoice_ids": [Command.set(case.open_invoice_ids.ids)],
                        "amount": 120.0,
                        "promised_date": DUE + timedelta(days=7),
                    }
                )
                promises[partner].action_confirm()
        day = DUE + timedelta(days=5)
        self._run(day)
        self.assertSMSOutgoing(self.fleur, "+33612345678", content="Account F-1")
        failed = self._sms_events(self.bram)
        self.assertEqual((failed.name, failed.state, failed.reason_code), ("Promise reminder: SMS", "failed", "render"))
        self.assertTrue(promises[self.fleur].sms_reminder_sent)
        self.assertFalse(promises[self.bram].sms_reminder_sent, "tried again at the next run")
        template.body = body
        self._run(day, hour=11)
        self.assertEqual(self._sms_events(self.bram).mapped("state"), ["failed", "queued"])
        self.assertTrue(promises[self.bram].sms_reminder_sent)
