"""An agency's portal login, over JSON-RPC: every public method of the suite is refused, its own
placement's included (agency staff work through the portal pages)."""

import base64

from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common_roles import REFUSED, RolesCommon
from .roles import DECISIONS


@tagged("post_install", "-at_install")
class TestRolesAgency(RolesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agency_user = mail_new_test_user(
            cls.env,
            login="roles_agency",
            name="Agnes Agency",
            groups="base.group_portal",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.agency.user_ids = cls.agency_user

    def setUp(self):
        super().setUp()
        self.authenticate("roles_agency", "roles_agency")

    def test_agency_sees_its_placement_on_its_page_only(self):
        """The set-up is the one the agency works in: its placement shows on its portal page, and
        the model itself is closed to it (the page shows only the columns the agency may see)."""
        placement = self.records["collection.agency.placement"]
        self.assertFalse(placement.with_user(self.agency_user).has_access("read"))
        response = self.url_open(f"/my/placements/{placement.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(placement.name, response.text)

    def test_every_public_method_is_refused(self):
        allowed = {}
        for model, method in sorted(DECISIONS):
            outcome, detail = self.rpc_outcome(model, method, self.agency_user)
            if outcome != REFUSED:
                allowed[(model, method)] = detail
        self.assertFalse(allowed, f"an agency user could call these over RPC: {allowed}")

    def test_agency_imports_through_the_portal_only(self):
        """``import_file`` over RPC books payments as superuser: the agency's own placement is no
        exception (the portal upload checks the placement, then imports)."""
        placement = self.records["collection.agency.placement"]
        line = placement.line_ids[:1]
        content = f"invoice_number,status,amount_recovered,payment_date,note\r\n{line.invoice_id.name},paid,,,\r\n"
        data = base64.b64encode(content.encode()).decode()
        outcome, detail = self.rpc("collection.agency.placement", "import_file", placement.ids, [data, "status.csv"])
        self.assertEqual(outcome, REFUSED, detail)
        self.assertFalse(self.env["collection.agency.import"].search([("placement_id", "=", placement.id)]))
