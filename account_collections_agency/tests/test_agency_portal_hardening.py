import base64
from urllib.parse import parse_qs, urlparse

from odoo import http
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException

from odoo.addons.account_collections.tools.upload import PARAM_MAX_MB, PARAM_MAX_ROWS
from odoo.addons.mail.tests.common import mail_new_test_user

from .common_import import AgencyImportCommon


@tagged("post_install", "-at_install")
class TestAgencyPortalHardening(AgencyImportCommon, HttpCase):
    """An agency user tries what the pages do not offer: JSON-RPC on the placement models, updates
    on a closed placement, huge uploads and values that are no amount, ids that are no placement."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agency_user = mail_new_test_user(
            cls.env,
            login="agency_west",
            name="Wanda West",
            groups="base.group_portal",
            company_id=cls.company.id,
            company_ids=[(6, 0, cls.company.ids)],
        )
        cls.agency.user_ids = cls.agency_user
        cls.agency.note = "<p>Internal: slow payer of commissions, renegotiate in June</p>"
        # the agency may see the invoices and amounts, not who owes them
        cls.agency.include_fields = cls.agency.include_fields.filtered(lambda c: not c.personal_data)
        cls.placement.note = "Internal: debtor is a friend of the CEO"
        cls._line_of(cls.placement, cls.invoice_a).agency_note = "Called twice"

    @classmethod
    def _line_of(cls, placement, invoice):
        return placement.line_ids.filtered(lambda line: line.invoice_id == invoice)

    def _call_kw(self, model, method, args, **kwargs):
        return self.make_jsonrpc_request(
            "/web/dataset/call_kw",
            {"model": model, "method": method, "args": args, "kwargs": kwargs},
        )

    def _post(self, placement, data, files=None):
        response = self.url_open(
            f"/my/placements/{placement.id}/update",
            data={"csrf_token": http.Request.csrf_token(self), **data},
            files=files,
        )
        query = parse_qs(urlparse(response.url).query)
        return response, query.get("error", [None])[0], query.get("success", [None])[0]

    def _line_update(self, invoice, status, amount="", payment_date="", note=""):
        return {
            "invoice_number": invoice.name,
            "status": status,
            "amount_recovered": amount,
            "payment_date": payment_date,
            "note": note,
        }

    # ------------------------------------------------------------------ RPC (item 5)
    def test_agency_user_reads_nothing_of_its_placements_over_rpc(self):
        self.authenticate("agency_west", "agency_west")
        line = self._line_of(self.placement, self.invoice_a)
        for model, method, args, kwargs in (
            ("collection.agency.placement", "search_read", [[]], {"fields": ["note", "line_ids", "agency_id"]}),
            ("collection.agency.placement", "read", [self.placement.ids, ["note"]], {}),
            ("collection.agency.placement", "web_search_read", [[]], {"specification": {"note": {}}}),
            ("collection.agency.placement", "name_search", [""], {}),
            ("collection.agency.placement.line", "search_read", [[]], {"fields": ["case_id", "partner_id"]}),
            ("collection.agency.placement.line", "read", [line.ids, ["partner_id", "agency_note"]], {}),
            ("collection.agency", "read", [self.agency.ids, ["note", "user_ids"]], {}),
            ("collection.agency", "search_read", [[]], {"fields": ["note"]}),
        ):
            with self.subTest(model=model, method=method):
                with self.assertRaises(JsonRpcException) as catcher:
                    self._call_kw(model, method, args, **kwargs)
                self.assertEqual(str(catcher.exception), "odoo.exceptions.AccessError")
        # the portal pages still show the placement, without the internal note nor the debtor
        page = self.url_open(f"/my/placements/{self.placement.id}").text
        self.assertIn(self.invoice_a.name, page)
        self.assertIn("Called twice", page)
        for secret in ("friend of the CEO", "slow payer", "Alpha Retail", "Bravo Stores"):
            self.assertNotIn(secret, page)
        counters = self.make_jsonrpc_request("/my/counters", {"counters": ["placement_count"]})
        self.assertEqual(counters["placement_count"], 1)

    # ------------------------------------------------------------------ closed placements (item 10)
    def test_closed_placement_refuses_the_portal_update_and_stays_closed(self):
        self.placement.import_file(
            self._csv(
                [[self.invoice_a.name, "uncollectible", "", "", ""], [self.invoice_b.name, "uncollectible", "", "", ""]]
            ),
            "final.csv",
        )
        self.assertEqual(self.placement.state, "closed")
        self.authenticate("agency_west", "agency_west")
        page = self.url_open(f"/my/placements/{self.placement.id}").text
        self.assertIn("o_agency_update_refusal", page)
        self.assertNotIn("o_agency_update_form", page)
        # the form is not shown, but the route is still there
        _response, error, success = self._post(self.placement, self._line_update(self.invoice_a, "in_progress"))
        self.assertFalse(success)
        self.assertIn(f"Placement {self.placement.name} is closed", error)
        content = base64.b64decode(self._csv([[self.invoice_b.name, "in_progress", "", "", ""]]))
        _response, error, success = self._post(
            self.placement, {}, files={"status_file": ("status.csv", content, "text/csv")}
        )
        self.assertFalse(success)
        self.assertIn("is closed", error)
        self.placement.invalidate_recordset()
        self.assertEqual(self.placement.state, "closed")
        self.assertEqual(self.placement.line_ids.mapped("status"), ["uncollectible", "uncollectible"])
        self.assertEqual(len(self.placement.import_ids), 1)

    # ------------------------------------------------------------------ upload limits (item 14)
    def test_status_file_over_the_size_limit_refused(self):
        self.env["ir.config_parameter"].set_param(PARAM_MAX_MB, "1")
        content = base64.b64decode(self._csv([[self.invoice_a.name, "in_progress", "", "", "x" * 1024]] * 1100))
        self.authenticate("agency_west", "agency_west")
        response, error, success = self._post(
            self.placement, {}, files={"status_file": ("status.csv", content, "text/csv")}
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(success)
        self.assertIn("status.csv is larger than 1 MB", error)
        self.assertFalse(self.placement.import_ids)

    def test_status_file_over_the_row_limit_refused(self):
        self.env["ir.config_parameter"].set_param(PARAM_MAX_ROWS, "1")
        content = base64.b64decode(
            self._csv(
                [[self.invoice_a.name, "in_progress", "", "", ""], [self.invoice_b.name, "in_progress", "", "", ""]]
            )
        )
        self.authenticate("agency_west", "agency_west")
        _response, error, success = self._post(
            self.placement, {}, files={"status_file": ("status.csv", content, "text/csv")}
        )
        self.assertFalse(success)
        self.assertIn("more than 1 lines", error)
        self.assertEqual(self._line(self.invoice_a).status, "placed")

    # ------------------------------------------------------------------ bad input (item 15)
    def test_bad_values_in_the_portal_form_get_a_message(self):
        today = str(self.today)
        self.authenticate("agency_west", "agency_west")
        for amount, payment_date, expected in (
            ("1e308", today, "Not a number"),
            ("inf", today, "Not a number"),
            ("NaN", today, "Not a number"),
            ("9" * 400, today, "Not a number"),
            ("300", "tomorrow", "Not a date"),
            ("300", "2026-02-30", "Not a date"),
        ):
            with self.subTest(amount=amount, payment_date=payment_date):
                response, error, success = self._post(
                    self.placement, self._line_update(self.invoice_a, "partial", amount, payment_date)
                )
                self.assertEqual(response.status_code, 200)
                self.assertFalse(success)
                self.assertIn(expected, error)
        content = base64.b64decode(self._csv([[self.invoice_a.name, "partial", "1e308", today, ""]]))
        response, error, _success = self._post(
            self.placement, {}, files={"status_file": ("status.csv", content, "text/csv")}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Line 2, amount_recovered '1e308': Not a number", error)
        content = b"[" * 100000 + b"]" * 100000
        response, error, _success = self._post(
            self.placement, {}, files={"status_file": ("status.json", content, "application/json")}
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Invalid JSON", error)
        self.assertEqual(self._line(self.invoice_a).status, "placed")
        self.assertFalse(self.placement.import_ids)

    def test_ids_that_are_no_placement_answer_not_found(self):
        self.authenticate("agency_west", "agency_west")
        for url in ("/my/placements/99999999999", "/my/placements/2147483648/file", "/my/placements/0"):
            with self.subTest(url=url):
                self.assertEqual(self.url_open(url).status_code, 404)
        response = self.url_open(
            "/my/placements/99999999999/update",
            data={"csrf_token": http.Request.csrf_token(self), **self._line_update(self.invoice_a, "in_progress")},
        )
        self.assertEqual(response.status_code, 404)
