from urllib.parse import parse_qs, urlparse

from odoo import http
from odoo.tests import HttpCase, tagged

from odoo.addons.account_collections.tools.upload import PARAM_MAX_MB, upload_max_bytes, upload_max_rows
from odoo.addons.mail.tests.common import mail_new_test_user

from .common import CollectionsCommon


@tagged("post_install", "-at_install")
class TestPortalUpload(CollectionsCommon, HttpCase):
    """A customer attaches a file to a portal dispute: its size is checked before it is stored."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        cls.customer = cls._customer("Alpha Retail", email="ap@alpha.example.com")
        cls.customer.with_company(company).collection_policy_id = cls.policy
        cls.invoice = cls._invoice(cls.customer, 20, 1000.0)
        cls.env["collection.case"].refresh_cases()
        mail_new_test_user(
            cls.env,
            login="portal_upload",
            groups="base.group_portal",
            partner_id=cls.customer.id,
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )

    def _dispute(self, content):
        self.authenticate("portal_upload", "portal_upload")
        response = self.url_open(
            "/my/collections/dispute",
            data={
                "csrf_token": http.Request.csrf_token(self),
                "invoice_id": self.invoice.id,
                "reason": "not_received",
                "description": "Never delivered",
            },
            files={"attachment": ("proof.pdf", content, "application/pdf")},
        )
        self.assertEqual(response.status_code, 200)
        query = parse_qs(urlparse(response.url).query)
        return query.get("error", [None])[0], query.get("success", [None])[0]

    def _disputes(self):
        return self.env["collection.dispute"].search([("invoice_id", "=", self.invoice.id)])

    def test_dispute_attachment_over_the_size_limit_refused(self):
        self.env["ir.config_parameter"].set_param(PARAM_MAX_MB, "1")
        error, success = self._dispute(b"%PDF" + b"0" * (1024 * 1024))
        self.assertFalse(success)
        self.assertIn("proof.pdf is larger than 1 MB: send a smaller file", error)
        self.assertFalse(self._disputes(), "nothing is recorded: the customer sends a smaller file")
        self.assertFalse(self.env["ir.attachment"].search([("name", "=", "proof.pdf")]))
        # within the limit the dispute is opened with its file
        error, success = self._dispute(b"%PDF" + b"0" * 1000)
        self.assertFalse(error)
        self.assertTrue(success)
        self.assertEqual(
            self.env["ir.attachment"]
            .search([("res_model", "=", "collection.dispute"), ("res_id", "=", self._disputes().id)])
            .name,
            "proof.pdf",
        )

    def test_upload_limits_default_and_bad_values(self):
        parameters = self.env["ir.config_parameter"]
        self.assertEqual((upload_max_bytes(self.env), upload_max_rows(self.env)), (10 * 1024 * 1024, 50000))
        for value in ("0", "-5", "ten", " 2 "):
            parameters.set_param(PARAM_MAX_MB, value)
            expected = 2 if value == " 2 " else 10
            self.assertEqual(upload_max_bytes(self.env), expected * 1024 * 1024, value)
