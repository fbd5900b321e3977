import base64
import csv
import io
import json

import openpyxl

from odoo.tests import tagged

from odoo.addons.account_collections_agency.models.collection_agency_placement import neutralise_cell

from .placement_common import PlacementCommon


@tagged("post_install", "-at_install")
class TestPlacementFile(PlacementCommon):
    """The file handed to the agency: CSV text made inert for spreadsheets, typed XLSX and JSON
    cells left as they are, and the copy that was sent kept when the file is regenerated."""

    def _placement(self, export_format, columns):
        self.agency.export_format = export_format
        self.agency.include_fields = self.env["collection.agency.column"].search([("code", "in", columns)])
        return self._handover(self._case(self.customer), include=self.invoice)

    def _content(self, placement):
        return base64.b64decode(placement.attachment_id.datas)

    def test_csv_neutralises_triggers_after_blanks_and_after_a_separator(self):
        self.customer.write(
            {
                "name": '  =HYPERLINK("http://evil.example.com","pay")',
                "street": "Harbour Road, =cmd|' /C calc'!A0",
                "city": "Brussels;@SUM(A1)",
                "phone": "+32 2 123 45 67",
            }
        )
        placement = self._placement("csv", ["debtor_name", "debtor_street", "debtor_city", "debtor_phone"])
        row = next(csv.DictReader(io.StringIO(self._content(placement).decode("utf-8"))))
        self.assertEqual(row["debtor_name"], '\'  =HYPERLINK("http://evil.example.com","pay")')
        self.assertEqual(row["debtor_street"], "'Harbour Road, =cmd|' /C calc'!A0")
        self.assertEqual(row["debtor_city"], "'Brussels;@SUM(A1)")
        self.assertEqual(row["debtor_phone"], "'+32 2 123 45 67")

    def test_neutralise_cell_rules(self):
        for value, expected in (
            (" \t=1+1", "' \t=1+1"),
            ("\n-2", "'\n-2"),
            ("Smith, @home", "'Smith, @home"),
            ("Smith;  +1", "'Smith;  +1"),
            ("Smith, John", "Smith, John"),
            ("Rue de l'Eglise 4-6", "Rue de l'Eglise 4-6"),
            ("", ""),
            (-12.5, -12.5),
            (False, False),
        ):
            with self.subTest(value=value):
                self.assertEqual(neutralise_cell(value), expected)

    def test_xlsx_cells_are_typed_text_without_an_apostrophe(self):
        self.customer.write({"phone": "+33 1 23 45 67 89", "name": "=1+1"})
        placement = self._placement("xlsx", ["debtor_name", "debtor_phone", "amount_placed"])
        sheet = openpyxl.load_workbook(io.BytesIO(self._content(placement))).active
        row = next(sheet.iter_rows(min_row=2))
        # in the documented order: amount_placed, debtor_name, debtor_phone
        self.assertEqual([cell.value for cell in row], [1000.0, "=1+1", "+33 1 23 45 67 89"])
        self.assertEqual([cell.data_type for cell in row], ["n", "s", "s"])

    def test_json_values_are_kept_as_they_are(self):
        self.customer.write({"phone": "+33 1 23 45 67 89", "name": "@Hotel Trading"})
        placement = self._placement("json", ["debtor_name", "debtor_phone", "amount_placed"])
        (item,) = json.loads(self._content(placement))
        self.assertEqual(
            item, {"debtor_name": "@Hotel Trading", "debtor_phone": "+33 1 23 45 67 89", "amount_placed": 1000.0}
        )

    def test_regenerating_a_sent_file_keeps_the_sent_copy(self):
        placement = self._placement("csv", ["invoice_number", "amount_placed"])
        draft_file = placement.attachment_id
        placement.action_generate_file()
        self.assertFalse(draft_file.exists(), "a file never sent is replaced")
        with self.mock_mail_gateway():
            placement.action_send()
        sent = placement.attachment_id
        sent_content = sent.raw
        mail = self.env["mail.mail"].search([("model", "=", placement._name), ("res_id", "=", placement.id)])
        self.assertEqual(mail.attachment_ids, sent)
        self.agency.include_fields |= self.env["collection.agency.column"].search([("code", "=", "due_date")])
        placement.action_generate_file()
        regenerated = placement.attachment_id
        self.assertNotEqual(regenerated, sent)
        self.assertTrue(sent.exists(), "the file the agency received is kept")
        self.assertEqual(sent.raw, sent_content)
        self.assertEqual((sent.res_model, sent.res_id), (placement._name, placement.id))
        self.assertEqual(mail.attachment_ids, sent)
        self.assertIn(b"due_date", regenerated.raw)
        self.assertIn("the file sent to the agency is kept", placement.message_ids[0].body)
