from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.account_collections.tests.common import CollectionsCommon
from odoo.addons.sms.tests.common import SMSCase

DAY0 = date(2026, 3, 2)


@tagged("post_install", "-at_install")
class TestSmsPromiseReminder(CollectionsCommon, SMSCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        company.partner_id.tz = "UTC"
        company.collection_plan_reminder_days = 2
        cls.customer = cls._customer("Promesse SA", mobile="06 12 34 56 78", country_id=cls.env.ref("base.fr").id)
        cls.customer.tz = "UTC"
        with freeze_time(f"{DAY0} 10:00:00"):
            cls.invoice = cls._invoice(cls.customer, 20, 500.0)
            cls.promise = cls.env["collection.promise"].create(
                {
                    "case_id": cls.invoice.collection_case_id.id,
                    "invoice_ids": [Command.set(cls.invoice.ids)],
                    "amount": 500.0,
                    "promised_date": DAY0 + timedelta(days=7),
                }
            )
            cls.promise.action_confirm()

    def _run(self, day):
        with freeze_time(f"{day} 10:00:00"), self.mockSMSGateway():
            self._run_collections(day)

    def _sms_events(self):
        return self.invoice.collection_case_id.event_ids.filtered(lambda e: e.channel == "sms")

    def test_promise_is_reminded_by_sms_once_before_its_date(self):
        self._run(DAY0 + timedelta(days=4))
        self.assertFalse(self._sms_events(), "three days ahead: not yet")
        self._run(DAY0 + timedelta(days=5))
        self.assertSMSOutgoing(self.customer, "+33612345678", content="is due by")
        self.assertEqual(self._sms_events().name, "Promise reminder: SMS")
        self.assertTrue(self.promise.sms_reminder_sent)
        self._run(DAY0 + timedelta(days=6))
        self.assertEqual(len(self._sms_events()), 1, "reminded once")

    def test_opted_out_customer_gets_no_promise_sms(self):
        self.customer.collection_sms_opt_out = True
        self._run(DAY0 + timedelta(days=5))
        self.assertEqual(self._sms_events().state, "skipped")
        self.assertFalse(self._new_sms)
