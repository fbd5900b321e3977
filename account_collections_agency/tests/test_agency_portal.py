import base64
from urllib.parse import parse_qs, urlparse

from odoo import http
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from odoo.addons.mail.tests.common import mail_new_test_user

from .common_import import AgencyImportCommon

try:  # screenshots of the tour for the documentation, when the helper is there
    from odoo.addons.account_collections.tests.tour_screenshots import TourScreenshotMixin
except ImportError:  # pragma: no cover

    class TourScreenshotMixin:
        def start_tour_screenshot(self, url_path, tour_name, screenshot_name, **kwargs):
            return self.start_tour(url_path, tour_name, **kwargs)


@tagged("post_install", "-at_install")
class TestAgencyPortal(AgencyImportCommon, HttpCase, TourScreenshotMixin):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company
        cls.agency_user = mail_new_test_user(
            cls.env,
            login="agency_north",
            name="Nora North",
            groups="base.group_portal",
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )
        cls.other_user = mail_new_test_user(
            cls.env,
            login="agency_south",
            name="Sam South",
            groups="base.group_portal",
            company_id=company.id,
            company_ids=[(6, 0, company.ids)],
        )
        cls.agency.user_ids = cls.agency_user
        cls.agency.include_fields = cls.agency.include_fields.filtered(lambda c: not c.personal_data)
        cls.placement.note = "Internal: debtor is a friend of the CEO"
        cls.placement.attachment_id = cls.env["ir.attachment"].create(
            {
                "name": "PLC-north.csv",
                "raw": b"invoice_number\r\nINV-NORTH\r\n",
                "mimetype": "text/csv",
                "res_model": "collection.agency.placement",
                "res_id": cls.placement.id,
            }
        )
        cls.other_agency = cls.env["collection.agency"].create(
            {
                "name": "South Recovery",
                "partner_id": cls.env["res.partner"].create({"name": "South Recovery", "is_company": True}).id,
                "user_ids": [(6, 0, cls.other_user.ids)],
            }
        )
        cls.invoice_c = cls._invoice(cls.customer_b, 200, 700.0)
        cls.env["collection.case"].refresh_cases()
        cls.other_placement = cls._placement(cls.other_agency, cls.invoice_c)
        cls.other_placement.attachment_id = cls.env["ir.attachment"].create(
            {
                "name": "PLC-south.csv",
                "raw": b"invoice_number\r\nINV-SOUTH\r\n",
                "mimetype": "text/csv",
                "res_model": "collection.agency.placement",
                "res_id": cls.other_placement.id,
            }
        )
        cls.draft_placement = cls._placement(cls.agency, cls._invoice(cls.customer_a, 60, 90.0), state="draft")

    def _post(self, placement, data, files=None):
        response = self.url_open(
            f"/my/placements/{placement.id}/update",
            data={"csrf_token": http.Request.csrf_token(self), **data},
            files=files,
        )
        query = parse_qs(urlparse(response.url).query)
        return response, query.get("error", [None])[0], query.get("success", [None])[0]

    def test_list_shows_own_sent_placements_only(self):
        self.authenticate("agency_north", "agency_north")
        page = self.url_open("/my/placements").text
        self.assertIn(f'id="placement-{self.placement.id}"', page)
        self.assertNotIn(f'id="placement-{self.other_placement.id}"', page)
        self.assertNotIn(f'id="placement-{self.draft_placement.id}"', page)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["placement_count"]})
        self.assertEqual(counters["placement_count"], 1)
        self.authenticate("agency_south", "agency_south")
        page = self.url_open("/my/placements").text
        self.assertIn(f'id="placement-{self.other_placement.id}"', page)
        self.assertNotIn(f'id="placement-{self.placement.id}"', page)

    def test_detail_shows_allowed_columns_and_no_internal_note(self):
        self.authenticate("agency_north", "agency_north")
        response = self.url_open(f"/my/placements/{self.placement.id}")
        self.assertEqual(response.status_code, 200)
        page = response.text
        self.assertIn(self.invoice_a.name, page)
        self.assertIn("o_agency_col_amount_placed", page)
        self.assertNotIn("o_agency_col_debtor_name", page)
        self.assertNotIn("Alpha Retail", page)  # the debtor's name is personal data the agency may not get
        self.assertNotIn("friend of the CEO", page)
        file_response = self.url_open(f"/my/placements/{self.placement.id}/file")
        self.assertEqual(file_response.content, b"invoice_number\r\nINV-NORTH\r\n")

    def test_other_agencys_placement_refused_by_url(self):
        self.authenticate("agency_north", "agency_north")
        for url in (
            f"/my/placements/{self.other_placement.id}",
            f"/my/placements/{self.other_placement.id}/file",
            f"/my/placements/{self.draft_placement.id}",
            "/my/placements/999999",
        ):
            response = self.url_open(url)
            self.assertEqual(response.status_code, 404, url)
            self.assertNotIn(b"INV-SOUTH", response.content)
        before = self._state(self.other_placement)
        response, _error, _success = self._post(
            self.other_placement,
            {
                "invoice_number": self.invoice_c.name,
                "status": "paid",
                "amount_recovered": "700",
                "payment_date": str(self.today),
            },  # fmt: skip
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self._state(self.other_placement), before)
        # outside the controller, agency users reach no placement at all
        for model in ("collection.agency.placement", "collection.agency.placement.line"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(self.agency_user).search([])

    def test_single_line_update_goes_through_the_import(self):
        self.authenticate("agency_north", "agency_north")
        before = self._state()
        _response, error, success = self._post(
            self.placement,
            {
                "invoice_number": self.invoice_a.name,
                "status": "partial",
                "amount_recovered": "5000",
                "payment_date": str(self.today),
                "note": "",
            },  # fmt: skip
        )
        self.assertFalse(success)
        self.assertIn("Recovered more than placed", error)
        self.assertEqual(self._state(), before)
        _response, error, success = self._post(
            self.placement,
            {
                "invoice_number": self.invoice_a.name,
                "status": "partial",
                "amount_recovered": "300",
                "payment_date": str(self.today),
                "note": "Paid by card",
            },  # fmt: skip
        )
        self.assertFalse(error)
        self.assertIn("1 update(s) recorded", success)
        line = self._line(self.invoice_a)
        self.assertEqual((line.status, line.amount_recovered, line.agency_note), ("partial", 300.0, "Paid by card"))
        self.assertAlmostEqual(self.invoice_a.amount_residual, 700.0)
        self.assertEqual(self.placement.import_ids.user_id, self.agency_user)
        event = self.env["collection.event"].search(
            [("channel", "=", "agency"), ("invoice_ids", "in", self.invoice_a.ids)]
        )
        self.assertEqual(event.user_id, self.agency_user)

    def test_file_upload_errors_shown_and_nothing_applied(self):
        self.authenticate("agency_north", "agency_north")
        content = base64.b64decode(self._csv([[self.invoice_a.name, "lost", "", "", ""]]))
        before = self._state()
        response, error, _success = self._post(
            self.placement, {}, files={"status_file": ("status.csv", content, "text/csv")}
        )
        self.assertIn("Line 2, status 'lost': Unknown status", error)
        self.assertIn("Unknown status", response.text)
        self.assertEqual(self._state(), before)
        content = base64.b64decode(self._csv([[self.invoice_b.name, "promised", "", "", "Pays next week"]]))
        _response, error, success = self._post(
            self.placement, {}, files={"status_file": ("status.csv", content, "text/csv")}
        )
        self.assertFalse(error)
        self.assertIn("1 update(s) recorded", success)
        self.assertEqual(self._line(self.invoice_b).status, "promised")

    def test_agency_portal_tour(self):
        self.start_tour_screenshot(
            "/my/placements", "account_collections_agency_portal_tour", "agency_portal", login="agency_north"
        )
        line = self._line(self.invoice_a)
        self.assertEqual((line.status, line.amount_recovered), ("partial", 400.0))
        self.assertEqual(line.agency_note, "First instalment received")
        self.assertAlmostEqual(self.invoice_a.amount_residual, 600.0)
