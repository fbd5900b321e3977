import base64
import io
from datetime import timedelta

import xlsxwriter

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common_import import STATUS_COLUMNS, AgencyImportCommon


@tagged("post_install", "-at_install")
class TestAgencyImport(AgencyImportCommon):
    def test_status_file_updates_lines_logs_events_and_acknowledges(self):
        today = str(self.today)
        data = self._csv(
            [
                [self.invoice_a.name, "promised", "", today, "Debtor promised to pay on Friday"],
                [self.invoice_b.name, "in_progress", "0", "", ""],
            ]
        )
        result = self.placement.import_file(data, "status.csv")
        self.assertEqual(result, {"applied": 2, "errors": []})
        line_a, line_b = self._line(self.invoice_a), self._line(self.invoice_b)
        self.assertEqual((line_a.status, line_a.status_date), ("promised", self.today))
        self.assertEqual(line_a.agency_note, "Debtor promised to pay on Friday")
        self.assertEqual((line_b.status, line_b.amount_recovered), ("in_progress", 0.0))
        self.assertEqual(self.placement.state, "acknowledged")
        events = self.env["collection.event"].search([("channel", "=", "agency"), ("direction", "=", "inbound")])
        self.assertEqual(events.case_id, line_a.case_id | line_b.case_id)
        event_a = events.filtered(lambda e: e.case_id == line_a.case_id)
        self.assertEqual(event_a.invoice_ids, self.invoice_a)
        self.assertIn("Promised", event_a.name)
        self.assertIn("Friday", event_a.note)
        imported = self.placement.import_ids
        self.assertEqual((imported.filename, imported.applied_count), ("status.csv", 2))
        self.assertEqual(base64.b64decode(imported.attachment_id.datas), base64.b64decode(data))
        self.assertFalse(self.env["account.payment"].search([("partner_id", "=", self.customer_a.id)]))

    def test_unknown_invoice_rejected(self):
        data = self._csv([[self.invoice_a.name, "in_progress", "", "", ""], ["INV/1999/99999", "paid", "", "", ""]])
        self._assert_rejected(data, "status.csv", [(3, "invoice_number", "Unknown invoice INV/1999/99999")])

    def test_invoice_not_placed_with_this_placement_rejected(self):
        other_invoice = self._invoice(self.customer_a, 100, 200.0)
        unplaced = self._invoice(self.customer_b, 100, 300.0)
        other_placement = self._placement(self.agency, other_invoice)
        other_agency = self.env["collection.agency"].create(
            {"name": "Other Agency", "partner_id": self.agency_partner.id}
        )
        elsewhere = self._invoice(self.customer_b, 100, 50.0)
        self._placement(other_agency, elsewhere)
        data = self._csv(
            [
                [other_invoice.name, "in_progress", "", "", ""],
                [unplaced.name, "in_progress", "", "", ""],
                [elsewhere.name, "in_progress", "", "", ""],
            ]
        )
        error = self._assert_rejected(
            data,
            "status.csv",
            [
                (
                    2,
                    "invoice_number",
                    f"not in placement {self.placement.name} but in placement {other_placement.name}",
                ),
                (3, "invoice_number", "is not placed with Recovery Ltd"),
                (4, "invoice_number", "is not placed with Recovery Ltd"),
            ],
        )
        self.assertNotIn("Other Agency", str(error))

    def test_unknown_status_rejected(self):
        data = self._csv([[self.invoice_a.name, "settled", "", "", ""], [self.invoice_b.name, "recalled", "", "", ""]])
        error = self._assert_rejected(
            data,
            "status.csv",
            [(2, "status", "Unknown status. Use one of: placed, in_progress"), (3, "status", "Only we recall")],
        )
        self.assertEqual(error.errors[0]["value"], "settled")

    def test_negative_amount_rejected(self):
        data = self._csv([[self.invoice_a.name, "partial", "-10", str(self.today), ""]])
        self._assert_rejected(data, "status.csv", [(2, "amount_recovered", "cannot be negative")])

    def test_non_numeric_amount_rejected(self):
        data = self._csv([[self.invoice_a.name, "partial", "12,50 EUR", str(self.today), ""]])
        error = self._assert_rejected(data, "status.csv", [(2, "amount_recovered", "Not a number")])
        self.assertEqual(error.errors[0]["value"], "12,50 EUR")

    def test_recovered_more_than_placed_rejected_cumulatively(self):
        today = str(self.today)
        self.placement.import_file(self._csv([[self.invoice_a.name, "partial", "600", today, ""]]), "first.csv")
        self.assertEqual(self._line(self.invoice_a).amount_recovered, 600.0)
        # the file reports totals recovered so far: 1100 is more than the 1000 placed
        self._assert_rejected(
            self._csv([[self.invoice_a.name, "partial", "1100", today, ""]]),
            "second.csv",
            [(2, "amount_recovered", "Recovered more than placed")],
        )
        self._assert_rejected(
            self._csv([[self.invoice_a.name, "partial", "500", today, ""]]),
            "third.csv",
            [(2, "amount_recovered", "Lower than the .* already recovered")],
        )
        self._assert_rejected(
            self._csv([[self.invoice_b.name, "paid", "300", today, ""]]),
            "fourth.csv",
            [(2, "amount_recovered", "A paid invoice must have recovered")],
        )

    def test_bad_and_future_dates_rejected(self):
        tomorrow = str(self.today + timedelta(days=1))
        data = self._csv(
            [
                [self.invoice_a.name, "partial", "100", "23/11/2026", ""],
                [self.invoice_b.name, "partial", "100", tomorrow, ""],
            ]
        )
        self._assert_rejected(
            data,
            "status.csv",
            [(2, "payment_date", "Not a date"), (3, "payment_date", "in the future")],
        )
        self._assert_rejected(
            self._csv([[self.invoice_a.name, "partial", "100", "", ""]]),
            "nodate.csv",
            [(2, "payment_date", "payment date of the remitted amount is missing")],
        )
        self.placement.date = self.today - timedelta(days=5)
        self._assert_rejected(
            self._csv([[self.invoice_a.name, "partial", "100", str(self.today - timedelta(days=6)), ""]]),
            "early.csv",
            [(2, "payment_date", "before the placement date")],
        )

    def test_duplicate_lines_rejected(self):
        data = self._csv(
            [
                [self.invoice_a.name, "in_progress", "", "", ""],
                [self.invoice_b.name, "in_progress", "", "", ""],
                [self.invoice_a.name, "promised", "", "", ""],
            ]
        )
        self._assert_rejected(data, "status.csv", [(4, "invoice_number", "Duplicate line: .* already on line 2")])

    def test_wrong_encoding_rejected(self):
        data = self._csv([[self.invoice_a.name, "in_progress", "", "", "Débiteur injoignable"]], encoding="latin-1")
        self._assert_rejected(data, "status.csv", [(2, "", "not UTF-8 encoded")])

    def test_missing_columns_rejected(self):
        header = ["invoice_number", "status", "note"]
        data = self._csv([[self.invoice_a.name, "in_progress", ""]], header=header)
        self._assert_rejected(
            data,
            "status.csv",
            [(1, "amount_recovered", "missing from the header"), (1, "payment_date", "missing from the header")],
        )
        self._assert_rejected(
            self._json([{"invoice_number": self.invoice_a.name}]), "status.json", [(1, "status", "is missing")]
        )

    def test_unsupported_extension_and_bad_base64_rejected(self):
        with self.assertRaisesRegex(UserError, r"\.csv, \.json or \.xlsx"):
            self.placement.import_file(self._csv([]), "status.pdf")
        with self.assertRaisesRegex(UserError, "not base64"):
            self.placement.import_file("not base64 at all!", "status.csv")

    def test_json_and_xlsx_files_accepted(self):
        data = self._json([{"invoice_number": self.invoice_a.name, "status": "disputed", "note": "Goods returned"}])
        self.assertEqual(self.placement.import_file(data, "status.json")["applied"], 1)
        self.assertEqual(self._line(self.invoice_a).status, "disputed")
        buffer = io.BytesIO()
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
        sheet = workbook.add_worksheet()
        for col, code in enumerate(STATUS_COLUMNS):
            sheet.write_string(0, col, code)
        sheet.write_string(1, 0, self.invoice_b.name)
        sheet.write_string(1, 1, "Uncollectible")  # the label is accepted too
        sheet.write_number(1, 2, 0)
        sheet.write_string(1, 4, "Debtor insolvent")
        workbook.close()
        result = self.placement.import_file(base64.b64encode(buffer.getvalue()), "status.xlsx")
        self.assertEqual(result["applied"], 1)
        self.assertEqual(self._line(self.invoice_b).status, "uncollectible")
        self.assertEqual(self._line(self.invoice_b).agency_note, "Debtor insolvent")

    def test_reimporting_the_same_file_applies_nothing(self):
        data = self._csv([[self.invoice_a.name, "partial", "250", str(self.today), "First instalment"]])
        self.assertEqual(self.placement.import_file(data, "status.csv")["applied"], 1)
        payments = self.env["account.payment"].search([("partner_id", "=", self.customer_a.id)])
        self.assertEqual(len(payments), 1)
        before = self._state()
        self.assertEqual(self.placement.import_file(data, "status-again.csv"), {"applied": 0, "errors": []})
        self.assertEqual(self._state(), before)
        # the same line in another file (with another line) is not applied twice either
        data = self._csv(
            [
                [self.invoice_a.name, "partial", "250", str(self.today), "First instalment"],
                [self.invoice_b.name, "in_progress", "", "", ""],
            ]
        )
        self.assertEqual(self.placement.import_file(data, "status-2.csv")["applied"], 1)
        self.assertEqual(self._line(self.invoice_a).amount_recovered, 250.0)
        self.assertEqual(len(self.env["account.payment"].search([("partner_id", "=", self.customer_a.id)])), 1)

    def test_placement_closed_when_every_line_is_final(self):
        today = str(self.today)
        self.placement.import_file(self._csv([[self.invoice_a.name, "uncollectible", "", "", ""]]), "one.csv")
        self.assertEqual(self.placement.state, "acknowledged")
        self.placement.import_file(self._csv([[self.invoice_b.name, "paid", "500", today, ""]]), "two.csv")
        self.assertEqual(self.placement.state, "closed")

    def test_draft_placement_refuses_status(self):
        draft = self._placement(self.agency, self._invoice(self.customer_a, 90, 80.0), state="draft")
        with self.assertRaisesRegex(UserError, "was not sent"):
            draft.import_file(self._csv([]), "status.csv")

    def test_remittance_needs_settlement_configuration(self):
        self.agency.journal_id = False
        before = self._state()
        with self.assertRaisesInPlace(
            UserError, "Agency Recovery Ltd cannot settle remittances yet: set its Remittance Journal"
        ):
            self.placement.import_file(
                self._csv([[self.invoice_a.name, "partial", "100", str(self.today), ""]]), "s.csv"
            )
        self.assertEqual(self._state(), before)
        # a status without money does not need it
        self.placement.import_file(self._csv([[self.invoice_a.name, "in_progress", "", "", ""]]), "s2.csv")
        self.assertEqual(self._line(self.invoice_a).status, "in_progress")

    def test_wizard_shows_the_report_and_applies_nothing(self):
        action = self.placement.with_user(self.collector).action_import_status()
        wizard = (
            self.env[action["res_model"]]
            .with_user(self.collector)
            .with_context(**action["context"])
            .create(
                {
                    "file": self._csv(
                        [[self.invoice_a.name, "lost", "", "", ""], [self.invoice_b.name, "paid", "x", "", ""]]
                    ),
                    "filename": "status.csv",
                }
            )
        )
        self.assertEqual(wizard.placement_id, self.placement)
        before = self._state()
        result = wizard.action_import()
        self.assertEqual(result["res_model"], "collection.agency.import.wizard")
        self.assertEqual(result["res_id"], wizard.id)
        self.assertIn("lost", wizard.error_report)
        self.assertIn("Unknown status", wizard.error_report)
        self.assertIn("Not a number", wizard.error_report)
        self.assertEqual(self._state(), before)
        wizard.write({"file": self._csv([[self.invoice_a.name, "in_progress", "", "", ""]]), "filename": "ok.csv"})
        result = wizard.action_import()
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn("1 line(s)", result["params"]["message"])
        self.assertEqual(self._line(self.invoice_a).status, "in_progress")

    def test_import_needs_write_access_to_the_placement(self):
        portal = self.env["res.users"].create(
            {
                "name": "Agency Clerk",
                "login": "agency_clerk",
                "groups_id": [(6, 0, self.env.ref("base.group_portal").ids)],
            }
        )
        self.agency.user_ids = portal
        data = self._csv([[self.invoice_a.name, "in_progress", "", "", ""]])
        with self.assertRaisesInPlace(AccessError):
            self.placement.with_user(portal).import_file(data, "status.csv")
        self.assertEqual(self._line(self.invoice_a).status, "placed")
