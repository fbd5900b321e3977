from datetime import date, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.account_collections.tests.common import CollectionsCommon
from odoo.addons.sms.tests.common import SMSCase

DAY0 = date(2026, 3, 2)


@tagged("post_install", "-at_install")
class TestSmsInstallmentReminder(CollectionsCommon, SMSCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        company.partner_id.tz = "UTC"
        cls.customer = cls._customer(
            "Hotel Nord", email="ap@nord.example.com", mobile="06 12 34 56 78", country_id=cls.env.ref("base.fr").id
        )
        cls.customer.tz = "UTC"
        with freeze_time(f"{DAY0} 10:00:00"):
            cls.invoice = cls._invoice(cls.customer, 40, 1000.0)
            cls.plan = cls.env["collection.payment.plan"].create(
                {
                    "case_id": cls.invoice.collection_case_id.id,
                    "invoice_ids": [Command.set(cls.invoice.ids)],
                    "start_date": DAY0,
                    "installment_count": 4,
                    "interval": "weekly",
                }
            )
            cls.plan.with_context(collection_date=DAY0).action_activate()

    def test_installment_reminder_goes_by_sms_too(self):
        day = DAY0 + timedelta(days=4)  # second installment due 9 March, 3 days ahead
        with freeze_time(f"{day} 10:00:00"), self.mockSMSGateway():
            self._run_collections(day)
        self.assertSMSOutgoing(self.customer, "+33612345678", content="installment of")
        event = self.invoice.collection_case_id.event_ids.filtered(lambda e: e.channel == "sms")
        self.assertEqual((event.state, event.name), ("queued", "Installment reminder: SMS"))
