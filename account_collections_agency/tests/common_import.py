import base64
import csv
import io
import json

from odoo import Command, fields

from odoo.addons.account_collections.tests.common import CollectionsCommon

STATUS_COLUMNS = ["invoice_number", "status", "amount_recovered", "payment_date", "note"]


class AgencyImportCommon(CollectionsCommon):
    """An agency with a placement of two customers' overdue invoices, sent and waiting for news."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.today = fields.Date.context_today(cls.env["res.partner"])
        cls.agency_partner = cls.env["res.partner"].create(
            {"name": "Recovery Ltd", "is_company": True, "email": "desk@recovery.example.com"}
        )
        cls.agency = cls.env["collection.agency"].create(
            {"name": "Recovery Ltd", "partner_id": cls.agency_partner.id, "commission_rate": 10.0}
        )
        cls.customer_a = cls._customer("Alpha Retail")
        cls.customer_b = cls._customer("Bravo Stores")
        for customer in cls.customer_a | cls.customer_b:
            customer.with_company(cls.company).collection_policy_id = cls.policy
        cls.invoice_a = cls._invoice(cls.customer_a, 120, 1000.0)
        cls.invoice_b = cls._invoice(cls.customer_b, 150, 500.0)
        cls.env["collection.case"].refresh_cases()
        cls.placement = cls._placement(cls.agency, cls.invoice_a | cls.invoice_b)

    @classmethod
    def _placement(cls, agency, invoices, state="sent", **vals):
        cases = cls.env["collection.case"].search([("invoice_ids", "in", invoices.ids)])
        # sudo: a placement already in that state, as its actions would have left it
        Placement = cls.env["collection.agency.placement"].sudo()
        placement = Placement.create(
            {
                "agency_id": agency.id,
                "state": state,
                "line_ids": [
                    Command.create(
                        {
                            "invoice_id": invoice.id,
                            "case_id": cases.filtered(lambda c, i=invoice: i in c.invoice_ids)[:1].id,
                            "amount_placed": invoice.amount_residual,
                        }
                    )
                    for invoice in invoices
                ],
                **vals,
            }
        )
        return placement.sudo(False)

    @staticmethod
    def _csv(rows, header=None, encoding="utf-8"):
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(header or STATUS_COLUMNS)
        writer.writerows(rows)
        return base64.b64encode(buffer.getvalue().encode(encoding))

    @staticmethod
    def _json(items):
        return base64.b64encode(json.dumps(items).encode())

    def _line(self, invoice, placement=None):
        return (placement or self.placement).line_ids.filtered(lambda line: line.invoice_id == invoice)

    def _state(self, placement=None):
        """Everything an import may change, to check a rejected file changed nothing."""
        placement = placement or self.placement
        placement.invalidate_recordset()
        placement.line_ids.invalidate_recordset()
        return {
            "placement": placement.state,
            "lines": [
                (line.status, line.amount_recovered, line.commission, line.status_date, line.agency_note)
                for line in placement.line_ids
            ],
            "imports": self.env["collection.agency.import"].search_count([]),
            "events": self.env["collection.event"].search_count([("channel", "=", "agency")]),
            "payments": self.env["account.payment"].search_count([]),
            "moves": self.env["account.move"].search_count([]),
            "residuals": placement.line_ids.invoice_id.mapped("amount_residual"),
        }

    def _assert_rejected(self, data, filename, expected, placement=None):
        """Import must fail with exactly the ``expected`` (line, column, message regex) errors and change nothing."""
        placement = placement or self.placement
        before = self._state(placement)
        # not assertRaises: its rollback would hide what a failed import half-applied
        with self.assertRaisesInPlace(Exception) as catcher:
            placement.import_file(data, filename)
        error = catcher.exception
        self.assertEqual(type(error).__name__, "AgencyImportError", str(error))
        self.assertEqual(len(error.errors), len(expected), error.errors)
        for reported, (line, column, regex) in zip(error.errors, expected, strict=True):
            self.assertEqual(reported["line"], line, reported)
            self.assertEqual(reported["column"], column, reported)
            self.assertRegex(reported["message"], regex)
            self.assertIn(f"Line {line}", str(error))
        self.assertEqual(self._state(placement), before)
        return error
