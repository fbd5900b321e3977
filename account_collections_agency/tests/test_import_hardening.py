import base64
import io
import json
import zipfile

import xlsxwriter

from odoo.exceptions import UserError
from odoo.tests import tagged

from odoo.addons.account_collections.tools.upload import PARAM_MAX_MB, PARAM_MAX_ROWS

from ..models.collection_agency_placement_import import AgencyImportError
from .common_import import STATUS_COLUMNS, AgencyImportCommon


def _xlsx(rows, header=None):
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet()
    for row_index, row in enumerate([header or STATUS_COLUMNS, *rows]):
        for col, value in enumerate(row):
            if value is not None:
                sheet.write(row_index, col, value)
    workbook.close()
    return base64.b64encode(buffer.getvalue())


@tagged("post_install", "-at_install")
class TestImportHardening(AgencyImportCommon):
    """Status files as a careless or hostile agency sends them: closed placements, cells shifted,
    huge files and values that are no amount or date. Each is refused with a message naming the
    line and the fix, never with a Python exception."""

    def _close_placement(self):
        self.placement.import_file(
            self._csv(
                [[self.invoice_a.name, "uncollectible", "", "", ""], [self.invoice_b.name, "uncollectible", "", "", ""]]
            ),
            "final.csv",
        )
        self.assertEqual(self.placement.state, "closed")

    def _wizard(self, data, filename, user=None):
        placement = self.placement.with_user(user or self.collector)
        return (
            self.env["collection.agency.import.wizard"]
            .with_user(user or self.collector)
            .create({"placement_id": placement.id, "file": data, "filename": filename})
        )

    # ------------------------------------------------------------------ closed or recalled placements (item 10)
    def test_closed_placement_refuses_a_status_file_and_stays_closed(self):
        self._close_placement()
        # the agency changes its mind on a line of the closed placement: it used to reopen it
        data = self._csv([[self.invoice_a.name, "in_progress", "", "", "Debtor found again"]])
        with self.assertRaisesRegex(UserError, f"Placement {self.placement.name} is closed: .* takes no status file"):
            self.placement.import_file(data, "reopen.csv")
        self.assertEqual(self.placement.state, "closed")
        self.assertEqual(self._line(self.invoice_a).status, "uncollectible")
        self.assertEqual(len(self.placement.import_ids), 1)

    def test_closed_placement_refuses_the_wizard(self):
        self._close_placement()
        with self.assertRaisesRegex(UserError, "is closed"):
            self.placement.with_user(self.collector).action_import_status()
        # a wizard created directly (over RPC) is refused too
        wizard = self._wizard(self._csv([[self.invoice_a.name, "in_progress", "", "", ""]]), "reopen.csv")
        with self.assertRaisesRegex(UserError, "is closed"):
            wizard.action_import()
        self.assertEqual(self.placement.state, "closed")
        self.assertEqual(self._line(self.invoice_a).status, "uncollectible")

    def test_wholly_recalled_placement_refuses_a_status_file(self):
        self.placement.line_ids._recall("Debtor paid us directly")
        data = self._csv([])  # even a file with nothing to apply is an import on the placement
        with self.assertRaisesRegex(UserError, f"Every invoice of placement {self.placement.name} was recalled"):
            self.placement.import_file(data, "empty.csv")
        with self.assertRaisesRegex(UserError, "was recalled"):
            self._wizard(data, "empty.csv").action_import()
        self.assertFalse(self.placement.import_ids)

    # ------------------------------------------------------------------ cell counts (item 13)
    def test_csv_line_with_more_or_fewer_cells_than_the_header_rejected(self):
        today = str(self.today)
        # an unquoted comma in the note: the note was cut to "Paid" and the file accepted
        data = base64.b64encode(
            (
                ",".join(STATUS_COLUMNS) + "\r\n"
                f"{self.invoice_a.name},partial,300,{today},Paid, 50 more next week\r\n"
                f"{self.invoice_b.name},in_progress\r\n"
            ).encode()
        )
        error = self._assert_rejected(
            data,
            "status.csv",
            [
                (2, "", "This line has 6 cells but the header has 5: quote the cells"),
                (3, "", "This line has 2 cells but the header has 5"),
            ],
        )
        self.assertIn("Paid, 50 more next week", error.errors[0]["value"])
        self.assertFalse(self.placement.import_ids)

    def test_semicolon_csv_line_with_an_extra_cell_rejected(self):
        data = base64.b64encode(
            (";".join(STATUS_COLUMNS) + "\n" + f"{self.invoice_a.name};in_progress;;;Called;left a message\n").encode()
        )
        self._assert_rejected(data, "status.csv", [(2, "", "has 6 cells but the header has 5: .*separator ;")])

    def test_xlsx_cell_outside_the_header_rejected(self):
        data = _xlsx([[self.invoice_a.name, "in_progress", None, None, "Called", "left a message"]])
        self._assert_rejected(data, "status.xlsx", [(2, "", "a cell outside the columns of the header")])
        # empty cells on the right of a row are no extra cells
        data = _xlsx([[self.invoice_a.name, "in_progress", None, None, None, None]])
        self.assertEqual(self.placement.import_file(data, "status.xlsx")["applied"], 1)

    def test_xlsx_rows_beyond_a_wrong_dimension_are_read(self):
        # a sheet that declares fewer rows than it has: the rows after the declared last one were dropped
        data = _xlsx(
            [
                [self.invoice_a.name, "in_progress", None, None, None],
                [self.invoice_b.name, "in_progress", None, None, None],
            ]
        )
        source, forged = io.BytesIO(base64.b64decode(data)), io.BytesIO()
        with zipfile.ZipFile(source) as original, zipfile.ZipFile(forged, "w") as copy:
            for item in original.infolist():
                content = original.read(item.filename)
                if item.filename == "xl/worksheets/sheet1.xml":
                    self.assertIn(b'<dimension ref="A1:E3"/>', content)
                    content = content.replace(b'<dimension ref="A1:E3"/>', b'<dimension ref="A1:E2"/>')
                copy.writestr(item, content)
        self.assertEqual(self.placement.import_file(base64.b64encode(forged.getvalue()), "status.xlsx")["applied"], 2)
        self.assertEqual(self.placement.line_ids.mapped("status"), ["in_progress", "in_progress"])

    # ------------------------------------------------------------------ size and row limits (item 14)
    def test_file_over_the_size_limit_refused_before_parsing(self):
        self.env["ir.config_parameter"].set_param(PARAM_MAX_MB, "1")
        filler = [[self.invoice_a.name, "in_progress", "", "", "x" * 1000]] * 1100
        data = self._csv(filler)
        with self.assertRaisesRegex(UserError, "status.csv is larger than 1 MB: send a smaller file"):
            self.placement.import_file(data, "status.csv")
        # the default is 10 MB: the same file is read (and rejected for its duplicate lines)
        self.env["ir.config_parameter"].set_param(PARAM_MAX_MB, "not a number")
        with self.assertRaises(AgencyImportError):
            self.placement.import_file(data, "status.csv")

    def test_xlsx_that_unpacks_over_ten_times_the_size_limit_refused(self):
        self.env["ir.config_parameter"].set_param(PARAM_MAX_MB, "1")
        # 11 MB of notes that compress to little: a zip bomb in small
        data = _xlsx(
            [[self.invoice_a.name, "in_progress", None, None, f"{index} " + "x" * 32000] for index in range(350)]
        )
        self.assertLess(len(base64.b64decode(data)), 1024 * 1024)
        self._assert_rejected(data, "status.xlsx", [(1, "", "unpacks to more than 10 MB")])

    def test_file_over_the_row_limit_refused(self):
        self.env["ir.config_parameter"].set_param(PARAM_MAX_ROWS, "1")
        rows = [[self.invoice_a.name, "in_progress", "", "", ""], [self.invoice_b.name, "in_progress", "", "", ""]]
        items = [dict(zip(STATUS_COLUMNS, row, strict=True)) for row in rows]
        # the first line over the limit is reported: file line 3 (after the header), JSON object 2
        for data, filename, line in (
            (self._csv(rows), "status.csv", 3),
            (self._json(items), "status.json", 2),
            (_xlsx(rows), "status.xlsx", 3),
        ):
            error = self._assert_rejected(
                data, filename, [(line, "", "more than 1 lines: split it into files of at most 1 lines")]
            )
            self.assertIn("more than 1 lines", str(error))
        # within the limit the same lines are applied
        self.env["ir.config_parameter"].set_param(PARAM_MAX_ROWS, "2")
        self.assertEqual(self.placement.import_file(self._csv(rows), "status.csv")["applied"], 2)

    def test_wizard_reports_the_row_limit(self):
        self.env["ir.config_parameter"].set_param(PARAM_MAX_ROWS, "1")
        wizard = self._wizard(
            self._csv(
                [[self.invoice_a.name, "in_progress", "", "", ""], [self.invoice_b.name, "in_progress", "", "", ""]]
            ),
            "status.csv",
        )
        result = wizard.action_import()
        self.assertEqual(result["res_id"], wizard.id)
        self.assertIn("more than 1 lines", wizard.error_report)
        self.assertEqual(self._line(self.invoice_a).status, "placed")

    # ------------------------------------------------------------------ bad values (item 15)
    def test_values_that_are_no_amount_or_date_rejected_per_line(self):
        today = str(self.today)
        for amount in ("inf", "-inf", "nan", "Infinity", "1e308", "1e400", "1_000", "0x10", "12 EUR"):
            with self.subTest(amount=amount):
                data = self._csv([[self.invoice_a.name, "partial", amount, today, ""]])
                self._assert_rejected(data, "status.csv", [(2, "amount_recovered", "Not a number")])
        # a JSON number is typed: an integer too large for a float overflowed the import
        for amount in (10**400, True, "NaN"):
            with self.subTest(amount=amount):
                data = base64.b64encode(
                    json.dumps(
                        [
                            {
                                "invoice_number": self.invoice_a.name,
                                "status": "partial",
                                "amount_recovered": amount,
                                "payment_date": today,
                            }
                        ]
                    ).encode()
                )
                self._assert_rejected(data, "status.json", [(1, "amount_recovered", "Not a number")])
        # wrong dates, as text or typed
        for payment_date in ("2026-02-30", "0000-00-00", "2026/01/01", "tomorrow", 20260101, 45000.5):
            with self.subTest(payment_date=payment_date):
                data = self._json(
                    [
                        {
                            "invoice_number": self.invoice_a.name,
                            "status": "partial",
                            "amount_recovered": 100,
                            "payment_date": payment_date,
                        }
                    ]
                )
                self._assert_rejected(data, "status.json", [(1, "payment_date", "Not a date: write dates as")])
        data = self._csv([[self.invoice_a.name, "partial", "100", "9999-12-31", ""]])
        self._assert_rejected(data, "status.csv", [(2, "payment_date", "in the future")])

    def test_cells_of_the_wrong_kind_rejected_per_line(self):
        data = self._json(
            [
                {"invoice_number": [self.invoice_a.name], "status": "in_progress"},
                {"invoice_number": self.invoice_b.name, "status": {"code": "paid"}, "note": ["a", "b"]},
            ]
        )
        self._assert_rejected(
            data,
            "status.json",
            [
                (1, "invoice_number", "not a list or an object"),
                (2, "status", "not a list or an object"),
                (2, "note", "not a list or an object"),
            ],
        )

    def test_nul_characters_rejected_per_line(self):
        # PostgreSQL refuses NUL in text: the import crashed in the middle of the search or the write
        data = self._csv(
            [
                [self.invoice_a.name, "in_progress", "", "", "Called\x00"],
                [self.invoice_b.name + "\x00", "in_progress", "", "", ""],
            ]
        )
        self._assert_rejected(
            data,
            "status.csv",
            [(2, "note", "NUL character"), (3, "invoice_number", "NUL character")],
        )

    def test_huge_values_are_cut_in_the_report(self):
        data = self._csv([["INV/" + "9" * 100000, "in_progress", "", "", ""]])
        error = self._assert_rejected(data, "status.csv", [(2, "invoice_number", "Unknown invoice")])
        self.assertLessEqual(len(error.errors[0]["value"]), 100)
        self.assertLess(len(str(error)), 1000)

    def test_json_nested_too_deeply_rejected(self):
        data = base64.b64encode(b"[" * 100000 + b"]" * 100000)
        self._assert_rejected(data, "status.json", [(1, "", "Invalid JSON")])

    def test_wrong_arguments_get_a_user_error(self):
        valid = self._csv([[self.invoice_a.name, "in_progress", "", "", ""]])
        for data, filename, regex in (
            (None, "status.csv", "send the content of the file as base64 text"),
            (42, "status.csv", "send the content of the file as base64 text"),
            (["a"], "status.csv", "send the content of the file as base64 text"),
            ({"data": "x"}, "status.csv", "send the content of the file as base64 text"),
            (valid, None, r"\(no name\).*\.csv, \.json or \.xlsx"),
            (valid, 42, r"\.csv, \.json or \.xlsx"),
            (valid, ["status.csv"], r"\.csv, \.json or \.xlsx"),
            ("", "status.csv", "The file is empty"),
        ):
            with self.subTest(data=data, filename=filename):
                with self.assertRaisesRegex(UserError, regex):
                    self.placement.import_file(data, filename)
        self.assertEqual(self._line(self.invoice_a).status, "placed")

    def test_import_on_several_or_no_placements_gets_a_user_error(self):
        other = self._placement(self.agency, self._invoice(self.customer_a, 90, 80.0))
        data = self._csv([[self.invoice_a.name, "in_progress", "", "", ""]])
        with self.assertRaisesRegex(UserError, "one placement at a time; 2 were given"):
            (self.placement | other).import_file(data, "status.csv")
        with self.assertRaisesRegex(UserError, "one placement at a time; 0 were given"):
            self.env["collection.agency.placement"].import_file(data, "status.csv")

    def test_wizard_without_a_file_gets_a_user_error(self):
        wizard = self._wizard(False, False)
        with self.assertRaisesRegex(UserError, "Choose the agency's status file"):
            wizard.action_import()
        wizard = self._wizard(base64.b64encode(b"\x89PNG\r\n\x1a\n"), "status.xlsx")
        wizard.action_import()
        self.assertIn("Unreadable Excel file", wizard.error_report)
