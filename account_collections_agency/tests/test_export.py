import base64
import csv
import io
import json

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.account_collections_agency.models.collection_agency_placement import neutralise_cell

from .placement_common import PlacementCommon

ALL_COLUMNS = [
    "placement_ref", "case_ref", "invoice_number", "invoice_date", "due_date", "currency",
    "amount_original", "amount_placed", "debtor_name", "debtor_vat", "debtor_street", "debtor_zip",
    "debtor_city", "debtor_country", "debtor_email", "debtor_phone", "last_contact_date", "dunning_level",
]  # fmt: skip


@tagged("post_install", "-at_install")
class TestExport(PlacementCommon):
    def _placement(self, export_format="csv", columns=None):
        self.agency.export_format = export_format
        if columns is not None:
            self.agency.include_fields = self.env["collection.agency.column"].search([("code", "in", columns)])
        return self._handover(self._case(self.customer))

    def _content(self, placement):
        return base64.b64decode(placement.attachment_id.datas)

    def _csv_rows(self, placement):
        return list(csv.DictReader(io.StringIO(self._content(placement).decode("utf-8"))))

    def test_csv_has_every_documented_column_in_order(self):
        placement = self._placement("csv")
        self.assertEqual(placement.attachment_id.mimetype, "text/csv")
        self.assertTrue(placement.attachment_id.name.endswith(".csv"))
        reader = csv.reader(io.StringIO(self._content(placement).decode("utf-8")))
        self.assertEqual(next(reader), ALL_COLUMNS)
        rows = {row["invoice_number"]: row for row in self._csv_rows(placement)}
        self.assertEqual(set(rows), {self.invoice.name, self.invoice_2.name})
        row = rows[self.invoice.name]
        self.assertEqual(row["placement_ref"], placement.name)
        self.assertEqual(row["case_ref"], self._case(self.customer).name)
        self.assertEqual(row["due_date"], str(self.invoice.invoice_date_due))
        self.assertEqual(row["invoice_date"], str(self.invoice.invoice_date))
        self.assertEqual(row["currency"], self.invoice.currency_id.name)
        self.assertEqual(row["amount_original"], "1000.00")
        self.assertEqual(row["amount_placed"], "1000.00")
        self.assertEqual(row["debtor_name"], "Hotel Trading")
        self.assertEqual(row["debtor_vat"], "BE0477472701")
        self.assertEqual((row["debtor_zip"], row["debtor_city"], row["debtor_country"]), ("1000", "Brussels", "BE"))
        self.assertEqual(row["debtor_email"], "ap@hotel.example.com")

    def test_partly_paid_invoice_is_placed_for_its_residual(self):
        self._pay(self.invoice, amount=300.0)
        placement = self._placement("csv")
        line = placement.line_ids.filtered(lambda ln: ln.invoice_id == self.invoice)
        self.assertEqual(line.amount_placed, 700.0)
        row = next(r for r in self._csv_rows(placement) if r["invoice_number"] == self.invoice.name)
        self.assertEqual((row["amount_original"], row["amount_placed"]), ("1000.00", "700.00"))

    def test_only_allowed_columns_are_sent_in_documented_order(self):
        # data minimisation: no personal data but the name; the order is the documented one, not ours
        placement = self._placement("csv", columns=["debtor_name", "amount_placed", "invoice_number"])
        reader = csv.reader(io.StringIO(self._content(placement).decode("utf-8")))
        self.assertEqual(next(reader), ["invoice_number", "amount_placed", "debtor_name"])
        content = self._content(placement).decode("utf-8")
        self.assertNotIn("ap@hotel.example.com", content)
        self.assertNotIn("BE0477472701", content)
        self.assertNotIn("Brussels", content)

    def test_json_round_trip(self):
        placement = self._placement("json", columns=["invoice_number", "amount_placed", "debtor_name", "due_date"])
        self.assertEqual(placement.attachment_id.mimetype, "application/json")
        data = json.loads(self._content(placement).decode("utf-8"))
        self.assertEqual(len(data), 2)
        first = next(item for item in data if item["invoice_number"] == self.invoice.name)
        self.assertEqual(list(first), ["invoice_number", "due_date", "amount_placed", "debtor_name"])
        self.assertEqual(first["amount_placed"], 1000.0, "amounts stay numbers in JSON")
        self.assertEqual(first["due_date"], str(self.invoice.invoice_date_due))

    def test_xlsx_round_trip(self):
        try:
            import openpyxl  # pylint: disable=import-outside-toplevel
        except ImportError:
            self.skipTest("openpyxl is not installed")
        placement = self._placement("xlsx", columns=["invoice_number", "amount_placed", "debtor_name"])
        self.assertTrue(placement.attachment_id.name.endswith(".xlsx"))
        sheet = openpyxl.load_workbook(io.BytesIO(self._content(placement))).active
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(list(rows[0]), ["invoice_number", "amount_placed", "debtor_name"])
        values = {row[0]: row for row in rows[1:]}
        self.assertEqual(values[self.invoice.name][1], 1000.0, "amounts are numeric cells")
        self.assertEqual(values[self.invoice_2.name][2], "Hotel Trading")

    def test_formula_injection_is_neutralised(self):
        self.customer.write(
            {"name": '=HYPERLINK("http://evil.example.com","pay")', "street": "+1 Main", "city": "@SUM(A1)"}
        )
        self.customer.phone = "-2+3"
        self.agency.include_fields = self.env["collection.agency.column"].search(
            [("code", "in", ["debtor_name", "debtor_street", "debtor_city", "debtor_phone", "amount_placed"])]
        )
        case = self._case(self.customer)
        placement = self._handover(case)
        row = self._csv_rows(placement)[0]
        self.assertEqual(row["debtor_name"], '\'=HYPERLINK("http://evil.example.com","pay")')
        self.assertEqual(row["debtor_street"], "'+1 Main")
        self.assertEqual(row["debtor_city"], "'@SUM(A1)")
        self.assertEqual(row["debtor_phone"], "'-2+3")
        self.assertIn(row["amount_placed"], ("1000.00", "250.00"), "numbers are left alone")
        # the same in the spreadsheet itself: text cells, never formulas
        self.agency.export_format = "xlsx"
        placement._generate_file()
        try:
            import openpyxl  # pylint: disable=import-outside-toplevel
        except ImportError:
            return
        sheet = openpyxl.load_workbook(io.BytesIO(self._content(placement))).active
        # typed cells: the text is kept as it is (no apostrophe), and it is text, never a formula
        names = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
        self.assertEqual(names, ['=HYPERLINK("http://evil.example.com","pay")'] * 2)
        self.assertFalse(any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row))

    def test_tab_and_carriage_return_are_neutralised(self):
        self.customer.write({"name": "\tTabbed Ltd"})
        self.agency.include_fields = self.env["collection.agency.column"].search([("code", "=", "debtor_name")])
        placement = self._handover(self._case(self.customer))
        self.assertEqual(self._csv_rows(placement)[0]["debtor_name"], "'\tTabbed Ltd")
        self.assertEqual(neutralise_cell("\rCR"), "'\rCR")
        self.assertEqual(neutralise_cell(-12.5), -12.5, "a negative amount stays a number")
        self.assertEqual(neutralise_cell("Plain"), "Plain")

    def test_send_emails_the_file_with_the_agency_template(self):
        template = self.env.ref("account_collections_agency.mail_template_placement").copy(
            {"subject": "Custom placement {{ object.name }}"}
        )
        self.agency.mail_template_id = template
        placement = self._placement("csv")
        with self.mock_mail_gateway():
            placement.action_send()
        self.assertEqual(placement.state, "sent")
        mail = self.env["mail.mail"].search([("model", "=", placement._name), ("res_id", "=", placement.id)])
        self.assertEqual(mail.subject, f"Custom placement {placement.name}")
        self.assertEqual(mail.recipient_ids, self.agency_partner)
        self.assertEqual(mail.attachment_ids, placement.attachment_id)
        self.assertEqual(mail.attachment_ids.name, placement.attachment_id.name)
        event = self._case(self.customer).event_ids.filtered(lambda e: e.channel == "agency" and e.mail_mail_id)
        self.assertEqual(event.mail_mail_id, mail)
        placement.action_acknowledge()
        self.assertEqual(placement.state, "acknowledged")

    def test_send_needs_an_agency_email(self):
        self.agency_partner.email = False
        placement = self._placement("csv")
        with self.assertRaisesRegex(UserError, "has no email address"):
            placement.action_send()
        self.assertEqual(placement.state, "draft")

    def test_close_only_when_the_agency_is_done(self):
        placement = self._placement("csv")
        with self.assertRaisesRegex(UserError, "still has 2 invoice"):
            placement.action_close()
        placement.line_ids.sudo().write({"status": "uncollectible"})  # as the agency's status file would
        placement.action_close()
        self.assertEqual(placement.state, "closed")
        self.assertFalse(placement.line_ids.filtered("is_open"))
