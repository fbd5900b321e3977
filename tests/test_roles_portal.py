"""A customer's portal login, over JSON-RPC: every public method of the suite is refused."""

from odoo.tests import tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common_roles import REFUSED, RolesCommon
from .roles import DECISIONS


@tagged("post_install", "-at_install")
class TestRolesPortal(RolesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal_user = mail_new_test_user(
            cls.env,
            login="roles_portal",
            name="Paula Portal",
            groups="base.group_portal",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.portal_user.partner_id.parent_id = cls.customer  # a contact of the customer: its invoices are hers

    def setUp(self):
        super().setUp()
        self.authenticate("roles_portal", "roles_portal")

    def test_every_public_method_is_refused(self):
        allowed = {}
        for model, method in sorted(DECISIONS):
            outcome, detail = self.rpc_outcome(model, method, self.portal_user)
            if outcome != REFUSED:
                allowed[(model, method)] = detail
        self.assertFalse(allowed, f"a portal customer could call these over RPC: {allowed}")

    def test_portal_cannot_run_the_engine_in_2099(self):
        level = self.case.level_id
        outcome, _detail = self.rpc_outcome("collection.case", "run_collections", self.portal_user)
        self.assertEqual(outcome, REFUSED)
        self.case.invalidate_recordset()
        self.assertEqual(self.case.level_id, level, "no level executed as of 2099")
        self.assertFalse(
            self.env["collection.event"].search([("case_id", "=", self.case.id), ("date", ">=", "2099-01-01")])
        )

    def test_portal_reads_no_ledger_report(self):
        for model, method in (
            ("collection.aged.receivable", "get_aging"),
            ("collection.kpi.month", "get_kpis"),
            ("collection.case", "get_dashboard_data"),
        ):
            with self.subTest(method=method):
                outcome, detail = self.rpc_outcome(model, method, self.portal_user)
                self.assertEqual(outcome, REFUSED, detail)

    def test_portal_prints_no_statement_of_another_customer(self):
        """The statement report reads the ledger with SQL: through the report route, a portal
        user got the statement of any customer by id."""
        response = self.url_open(f"/report/html/account_collections.report_customer_statement/{self.other.id}")
        self.assertNotIn(self.other_invoice.name.encode(), response.content)
        self.assertNotIn(b"India Imports", response.content)
