from datetime import timedelta

from freezegun import freeze_time

from odoo import Command, fields

from odoo.addons.account_collections.tests.common import CollectionsCommon
from odoo.addons.mail.tests.common import MockEmail


class PlacementCommon(CollectionsCommon, MockEmail):
    """Two overdue customers of a fresh company and a CSV agency that gets every column."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.partner_id.tz = "UTC"
        cls.company.email = "ar@company.example.com"
        cls.template = cls.env.ref("account_collections.mail_template_collection_reminder")
        cls.email_policy = cls._email_policy("Email policy", [("First", 10), ("Second", 30), ("Final", 60)])
        cls.agency_partner = cls.env["res.partner"].create(
            {"name": "Recovery Ltd", "is_company": True, "email": "cases@recovery.example.com"}
        )
        cls.agency = cls.env["collection.agency"].create(
            {
                "name": "Recovery Ltd",
                "partner_id": cls.agency_partner.id,
                "company_id": cls.company.id,
                "commission_rate": 20.0,
            }
        )
        cls.customer = cls._customer(
            "Hotel Trading",
            email="ap@hotel.example.com",
            tz="UTC",
            street="1 Harbour Road",
            zip="1000",
            city="Brussels",
            country_id=cls.env.ref("base.be").id,
            vat="BE0477472701",
            phone="+32 2 123 45 67",
        )
        cls.other = cls._customer("India Imports", email="ap@india.example.com", tz="UTC")
        for partner in cls.customer | cls.other:
            partner.with_company(cls.company).collection_policy_id = cls.email_policy
        cls.invoice = cls._invoice(cls.customer, 45, 1000.0)
        cls.invoice_2 = cls._invoice(cls.customer, 20, 250.0)
        cls.other_invoice = cls._invoice(cls.other, 45, 400.0)

    def _handover(self, cases, agency=None, include=None, send=False, user=None):
        """Run the handover wizard on cases; ``include`` forces the Place tick of these invoices."""
        env = self.env(user=user) if user else self.env
        wizard = (
            env["collection.agency.handover"]
            .with_context(active_model="collection.case", active_ids=cases.ids)
            .create({"agency_id": (agency or self.agency).id})
        )
        wizard.send_file = send
        if include is not None:
            for line in wizard.line_ids:
                line.include = line.invoice_id in include
        action = wizard.action_confirm()
        return env["collection.agency.placement"].browse(action["res_id"])

    def _run_engine(self, days_after=0):
        """Run the engine for this company today (plus days), inside the contact window."""
        day = fields.Date.context_today(self.env.user) + timedelta(days=days_after)
        with freeze_time(f"{day} 10:00:00"):
            return self._run_collections(day, company_ids=[self.company.id])

    def _promise(self, invoice, days=10):
        promise = self.env["collection.promise"].create(
            {
                "case_id": self._case(invoice.partner_id).id,
                "invoice_ids": [Command.set(invoice.ids)],
                "amount": invoice.amount_residual,
                "promised_date": fields.Date.context_today(self.env.user) + timedelta(days=days),
            }
        )
        promise.action_confirm()
        return promise
