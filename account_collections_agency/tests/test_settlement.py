from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import float_is_zero

from .common_import import AgencyImportCommon


@tagged("post_install", "-at_install")
class TestAgencySettlement(AgencyImportCommon):
    def _remit(self, invoice, total, status="partial", filename="remittance.csv"):
        data = self._csv([[invoice.name, status, str(total), str(self.today), ""]])
        return self.placement.import_file(data, filename)

    def _assert_balanced(self, moves):
        for move in moves:
            self.assertEqual(move.state, "posted")
            self.assertTrue(
                float_is_zero(
                    sum(move.line_ids.mapped("balance")), precision_rounding=move.company_currency_id.rounding
                )
            )

    def test_defaults_come_from_the_company_journals(self):
        self.assertEqual(self.agency.settlement_mode, "gross")
        self.assertEqual(self.agency.journal_id.type, "bank")
        self.assertEqual(self.agency.commission_journal_id.type, "purchase")
        self.assertEqual(self.agency.commission_account_id.account_type, "expense")
        self.agency.settlement_mode = "net"
        self.assertEqual(self.agency.commission_journal_id.type, "general")

    def test_settlement_accounts_are_checked(self):
        with self.assertRaisesRegex(ValidationError, "must be a bank or cash journal"):
            self.agency.journal_id = self.company_data["default_journal_sale"]
        with self.assertRaisesRegex(ValidationError, "must be an expense account"):
            self.agency.commission_account_id = self.company_data["default_account_receivable"]

    def test_gross_settlement_full_payment_and_commission_bill(self):
        self.assertEqual(self._remit(self.invoice_a, 1000, status="paid")["applied"], 1)
        line = self._line(self.invoice_a)
        self.assertEqual((line.status, line.amount_recovered, line.commission), ("paid", 1000.0, 100.0))
        self.assertTrue(float_is_zero(self.invoice_a.amount_residual, precision_digits=2))
        self.assertIn(self.invoice_a.payment_state, ("paid", "in_payment"))
        imported = self.placement.import_ids
        payment = imported.payment_ids
        self.assertEqual(
            (payment.amount, payment.partner_id, payment.journal_id), (1000.0, self.customer_a, self.agency.journal_id)
        )
        bill = imported.commission_move_ids
        self.assertEqual(
            (bill.move_type, bill.partner_id, bill.journal_id),
            ("in_invoice", self.agency_partner, self.agency.commission_journal_id),
        )
        self.assertEqual(bill.amount_total, 100.0)
        self.assertEqual(bill.invoice_line_ids.account_id, self.agency.commission_account_id)
        self._assert_balanced(payment.move_id | bill)
        self.assertEqual(self.placement.amount_recovered, 1000.0)
        self.assertEqual(self.placement.commission, 100.0)

    def test_net_settlement_payment_net_of_commission_and_expense_entry(self):
        self.agency.settlement_mode = "net"
        self._remit(self.invoice_a, 1000, status="paid")
        imported = self.placement.import_ids
        self.assertEqual(imported.payment_ids.amount, 900.0)
        entry = imported.commission_move_ids
        self.assertEqual((entry.move_type, entry.journal_id), ("entry", self.agency.commission_journal_id))
        self._assert_balanced(imported.payment_ids.move_id | entry)
        expense = entry.line_ids.filtered(lambda line: line.account_id == self.agency.commission_account_id)
        receivable = entry.line_ids - expense
        self.assertEqual((expense.debit, receivable.credit), (100.0, 100.0))
        self.assertEqual(receivable.partner_id, self.customer_a)
        self.assertTrue(receivable.reconciled)
        self.assertTrue(float_is_zero(self.invoice_a.amount_residual, precision_digits=2))
        self.assertIn(self.invoice_a.payment_state, ("paid", "in_payment"))
        self.assertEqual(self._line(self.invoice_a).commission, 100.0)

    def test_net_settlement_in_instalments_reconciles_each_step(self):
        self.agency.settlement_mode = "net"
        self._remit(self.invoice_b, 200, filename="one.csv")
        self.assertAlmostEqual(self.invoice_b.amount_residual, 300.0)
        self.assertEqual(self.invoice_b.payment_state, "partial")
        self._remit(self.invoice_b, 500, status="paid", filename="two.csv")
        self.assertTrue(float_is_zero(self.invoice_b.amount_residual, precision_digits=2))
        line = self._line(self.invoice_b)
        self.assertEqual((line.amount_recovered, line.commission), (500.0, 50.0))
        payments = self.placement.import_ids.payment_ids
        self.assertEqual(sorted(payments.mapped("amount")), [180.0, 270.0])
        entries = self.placement.import_ids.commission_move_ids
        self.assertEqual(len(entries), 2)
        self._assert_balanced(payments.move_id | entries)

    def test_gross_settlement_of_two_invoices_one_bill(self):
        data = self._csv(
            [
                [self.invoice_a.name, "partial", "400", str(self.today), ""],
                [self.invoice_b.name, "paid", "500", str(self.today), ""],
            ]
        )
        self.assertEqual(self.placement.import_file(data, "remittance.csv")["applied"], 2)
        imported = self.placement.import_ids
        self.assertEqual(sorted(imported.payment_ids.mapped("amount")), [400.0, 500.0])
        self.assertEqual(len(imported.commission_move_ids), 1)
        self.assertEqual(imported.commission_move_ids.amount_total, 90.0)
        self.assertAlmostEqual(self.invoice_a.amount_residual, 600.0)
        self.assertTrue(float_is_zero(self.invoice_b.amount_residual, precision_digits=2))
        event = self.env["collection.event"].search(
            [("channel", "=", "agency"), ("invoice_ids", "in", self.invoice_a.ids)]
        )
        self.assertIn("remitted", event.name)

    def test_net_settlement_in_the_invoice_currency(self):
        eur = self.setup_other_currency("EUR")
        invoice = self._invoice(self.customer_a, 60, 1000.0, currency=eur)
        self.agency.settlement_mode = "net"
        placement = self._placement(self.agency, invoice)
        data = self._csv([[invoice.name, "paid", "1000", str(self.today), ""]])
        self.assertEqual(placement.import_file(data, "eur.csv")["applied"], 1)
        line = self._line(invoice, placement)
        self.assertEqual((line.currency_id, line.commission), (eur, 100.0))
        self.assertEqual(line.commission_company, 50.0)  # 2 EUR for 1 USD
        imported = placement.import_ids
        self.assertEqual((imported.payment_ids.amount, imported.payment_ids.currency_id), (900.0, eur))
        entry = imported.commission_move_ids
        self._assert_balanced(imported.payment_ids.move_id | entry)
        expense = entry.line_ids.filtered(lambda line: line.account_id == self.agency.commission_account_id)
        self.assertEqual((expense.amount_currency, expense.debit), (100.0, 50.0))
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertIn(invoice.payment_state, ("paid", "in_payment"))
