"""The agency of the demo data: its portal user and the placement it received."""

from unittest import SkipTest

from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestAgencyDemoData(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agency = cls.env.ref("account_collections_agency.demo_agency", raise_if_not_found=False)
        if not cls.agency:
            raise SkipTest("installed without demo data")

    def test_the_agency_has_a_portal_user_with_the_documented_login(self):
        user = self.agency.user_ids
        self.assertEqual(user.login, "agency")
        self.assertTrue(user.share, "a portal user")
        self.assertEqual(user.partner_id.commercial_partner_id, self.agency.partner_id)
        self.env["res.users"].with_user(user)._check_credentials({"type": "password", "password": "agency"}, {})

    def test_a_case_is_placed_and_the_placement_sent(self):
        placement = self.env["collection.agency.placement"].search([("agency_id", "=", self.agency.id)])
        self.assertEqual(len(placement), 1)
        self.assertEqual(placement.state, "sent")
        self.assertTrue(placement.attachment_id)
        nordic = self.env.ref("account_collections.demo_invoice_nordic_timber_1")
        self.assertEqual(placement.line_ids.invoice_id, nordic)
        self.assertEqual(nordic.collection_case_id.stage_code, "agency")
        # what the agency's portal pages list for its user: the sent placements of its agencies
        portal_domain = [("agency_id.user_ids", "in", self.agency.user_ids.ids), ("state", "!=", "draft")]
        self.assertEqual(placement.search(portal_domain), placement)
