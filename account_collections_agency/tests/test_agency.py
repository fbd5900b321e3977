from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from odoo.addons.account_collections.tests.common import CollectionsCommon

PLACEMENT_COLUMNS = [
    "placement_ref", "case_ref", "invoice_number", "invoice_date", "due_date", "currency",
    "amount_original", "amount_placed", "debtor_name", "debtor_vat", "debtor_street", "debtor_zip",
    "debtor_city", "debtor_country", "debtor_email", "debtor_phone", "last_contact_date", "dunning_level",
]  # fmt: skip


@tagged("post_install", "-at_install")
class TestAgency(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agency_partner = cls.env["res.partner"].create({"name": "Recovery Ltd", "is_company": True})

    def test_documented_columns_in_order(self):
        columns = self.env["collection.agency.column"].search([])
        self.assertEqual(columns.mapped("code"), PLACEMENT_COLUMNS)

    def test_new_agency_gets_every_column_until_restricted(self):
        agency = self.env["collection.agency"].create({"name": "Recovery", "partner_id": self.agency_partner.id})
        self.assertEqual(agency.include_fields.mapped("code"), PLACEMENT_COLUMNS)
        agency.include_fields = agency.include_fields.filtered(lambda c: not c.personal_data)
        self.assertNotIn("debtor_email", agency.include_fields.mapped("code"))
        self.assertIn("invoice_number", agency.include_fields.mapped("code"))

    def test_commission_must_be_a_percentage(self):
        with self.assertRaisesRegex(ValidationError, "between 0 and 100"):
            self.env["collection.agency"].create(
                {"name": "Greedy", "partner_id": self.agency_partner.id, "commission_rate": 120}
            )

    def test_only_managers_configure_agencies(self):
        with self.assertRaises(AccessError):
            self.env["collection.agency"].with_user(self.collector).create(
                {"name": "Mine", "partner_id": self.agency_partner.id}
            )
        agency = (
            self.env["collection.agency"]
            .with_user(self.collection_manager)
            .create({"name": "Ours", "partner_id": self.agency_partner.id})
        )
        self.assertEqual(agency.with_user(self.collector).name, "Ours")
