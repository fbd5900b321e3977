from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import CollectionsCommon


class WriteOffCommon(CollectionsCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.bad_debt = cls.company_data["default_account_expense"].copy({"code": "658100", "name": "Bad debts"})
        cls.company.write(
            {
                "collection_bad_debt_account_id": cls.bad_debt.id,
                "collection_write_off_journal_id": cls.company_data["default_journal_misc"].id,
                "collection_write_off_limit": 100.0,
            }
        )
        cls.customer = cls._customer("Kilo Wholesale", email="ap@kilo.example.com")
        cls.invoice = cls._invoice(cls.customer, 40, 1000.0)
        cls.today = fields.Date.context_today(cls.env["res.partner"])

    def _write_off(self, invoices=None, user=None, **vals):
        invoices = invoices or self.invoice
        env = self.env(user=user) if user else self.env
        if "case_id" not in vals:
            vals["case_id"] = self._case(self.customer).filtered(lambda c: c.currency_id == invoices.currency_id).id
        return env["collection.write.off"].create(
            {"invoice_ids": [Command.set(invoices.ids)], "reason": "Customer went silent", **vals}
        )

    def _invoice_with_tax(self, amount):
        invoice = self._invoice(self.customer, 40, amount, post=False)
        invoice.invoice_line_ids.tax_ids = self.company_data["default_tax_sale"]
        invoice.action_post()
        return invoice


@tagged("post_install", "-at_install")
class TestWriteOff(WriteOffCommon):
    def test_entry_write_off_is_balanced_reconciles_and_closes_the_case(self):
        self.company.collection_send_thanks = True
        case = self._case(self.customer)
        self.assertTrue(case)
        write_off = self._write_off(reason_code="uncollectible")
        self.assertEqual(write_off.amount, 1000.0, "defaults to the open amount")
        self.assertEqual(write_off.mode, "entry")
        self.assertTrue(write_off.name.startswith("WO/"))
        write_off.action_post()

        move = write_off.move_id
        self.assertEqual(write_off.state, "posted")
        self.assertEqual(move.state, "posted")
        self.assertEqual(move.journal_id, self.company_data["default_journal_misc"])
        self.assertEqual(sum(move.line_ids.mapped("debit")), sum(move.line_ids.mapped("credit")))
        expense = move.line_ids.filtered(lambda line: line.account_id == self.bad_debt)
        self.assertEqual(expense.debit, 1000.0)
        receivable = move.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        self.assertEqual(receivable.credit, 1000.0)
        self.assertEqual(receivable.partner_id, self.customer)
        self.assertTrue(receivable.reconciled)
        self.assertEqual(self.invoice.amount_residual, 0.0)
        self.assertIn(self.invoice.payment_state, ("paid", "in_payment"))

        self.assertEqual(case.state, "closed")
        self.assertEqual(case.stage_code, "written_off")
        self.assertEqual(case.write_off_count, 1)
        logged = case.event_ids.filtered(lambda e: "Written off" in e.name)
        self.assertEqual(logged.channel, "system")
        self.assertEqual(logged.invoice_ids, self.invoice)
        self.assertEqual(logged.note, "Customer went silent")
        self.assertFalse(case.event_ids.filtered(lambda e: e.channel == "email"), "no thank-you for a bad debt")
        self.assertEqual(self.env["collection.write.off"].search(case.action_view_write_offs()["domain"]), write_off)
        self.assertEqual(write_off.action_view_moves()["res_id"], move.id)

    def test_credit_note_mode_books_bad_debt_with_the_vat_pro_rata(self):
        self.company.collection_write_off_mode = "credit_note"
        tax = self.company_data["default_tax_sale"]
        invoice = self._invoice_with_tax(1000.0)
        self._pay(invoice, amount=invoice.amount_total / 2)
        residual = invoice.amount_residual
        write_off = self._write_off(invoice + self.invoice)
        self.assertEqual(write_off.mode, "credit_note", "the company's mode by default")
        write_off.action_post()

        refunds = write_off.move_ids
        self.assertEqual(len(refunds), 2, "one credit note per invoice")
        self.assertEqual(set(refunds.mapped("move_type")), {"out_refund"})
        refund = refunds.filtered(lambda m: m.reversed_entry_id == invoice)
        self.assertEqual(refund.amount_total, residual)
        self.assertEqual(refund.invoice_line_ids.account_id, self.bad_debt)
        self.assertEqual(refund.invoice_line_ids.tax_ids, tax)
        self.assertAlmostEqual(refund.amount_tax, invoice.amount_tax / 2, places=2)
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(self.invoice.amount_residual, 0.0)
        self.assertEqual(self._case(self.customer), self.env["collection.case"], "nothing left open")

    def test_partial_write_off_leaves_the_rest_to_collect(self):
        older = self._invoice(self.customer, 60, 300.0)
        case = self._case(self.customer)
        write_off = self._write_off(older + self.invoice, amount=500.0, reason_code="small_balance")
        write_off.action_post()
        self.assertEqual(older.amount_residual, 0.0, "the oldest due invoice first")
        self.assertEqual(self.invoice.amount_residual, 800.0)
        self.assertEqual(case.state, "open")
        self.assertNotEqual(case.stage_code, "written_off")
        self.assertEqual(case.amount_due, 800.0)

    def test_amount_above_the_open_amount_is_refused(self):
        write_off = self._write_off(amount=1000.01)
        with self.assertRaisesRegex(UserError, "more than the"):
            write_off.action_post()
        self.assertEqual(write_off.state, "draft")

    def test_collector_limit_above_needs_a_manager(self):
        write_off = self._write_off(user=self.collector, amount=500.0)
        with self.assertRaisesInPlace(UserError, "Collections Manager"):
            write_off.with_user(self.collector).action_post()
        self.assertEqual(write_off.state, "draft")
        self.assertEqual(self.invoice.amount_residual, 1000.0, "nothing booked")
        write_off.with_user(self.collection_manager).action_post()
        self.assertEqual(write_off.state, "posted")
        self.assertEqual(self.invoice.amount_residual, 500.0)

    def test_collector_writes_off_small_balances_alone(self):
        write_off = self._write_off(user=self.collector, amount=80.0, reason_code="small_balance")
        write_off.with_user(self.collector).action_post()
        self.assertEqual(write_off.state, "posted")
        self.assertEqual(self.invoice.amount_residual, 920.0)

    def test_locked_period_gives_odoo_error_and_writes_nothing(self):
        self.company.fiscalyear_lock_date = self.today - timedelta(days=1)
        moves_before = self.env["account.move"].search_count([])
        write_off = self._write_off(date=self.today - timedelta(days=2))
        with self.assertRaisesInPlace(UserError, "prior to and inclusive of"):
            write_off.action_post()
        self.assertEqual(self.env["account.move"].search_count([]), moves_before)
        self.assertEqual(write_off.state, "draft")
        self.assertEqual(self.invoice.amount_residual, 1000.0)
        self.assertEqual(self._case(self.customer).stage_code, "new")

    def test_sale_lock_date_blocks_credit_notes(self):
        self.company.sale_lock_date = self.today - timedelta(days=1)
        write_off = self._write_off(date=self.today - timedelta(days=2), mode="credit_note")
        with self.assertRaisesRegex(UserError, "prior to and inclusive of"):
            write_off.action_post()
        self.assertFalse(write_off.move_ids)

    def test_reversal_reopens_the_case_where_it_was(self):
        case = self._case(self.customer)
        case._move_to_stage("reminded")
        write_off = self._write_off()
        write_off.action_post()
        self.assertEqual(case.stage_code, "written_off")
        write_off.action_reverse()
        self.assertEqual(write_off.state, "reversed")
        self.assertTrue(write_off.reversal_move_ids)
        self.assertEqual(write_off.reversal_move_ids.reversed_entry_id, write_off.move_id)
        self.assertEqual(self.invoice.amount_residual, 1000.0)
        self.assertEqual(self._case(self.customer), case, "the same case reopens")
        self.assertEqual(case.stage_code, "reminded")
        self.assertEqual(case.amount_due, 1000.0)
        self.assertTrue(case.event_ids.filtered(lambda e: "reversed" in e.name))
        with self.assertRaisesRegex(UserError, "not posted"):
            write_off.action_reverse()

    def test_credit_note_reversal_reopens_the_invoice(self):
        write_off = self._write_off(mode="credit_note")
        write_off.action_post()
        self.assertEqual(self.invoice.amount_residual, 0.0)
        write_off.action_reverse()
        self.assertEqual(self.invoice.amount_residual, 1000.0)
        self.assertEqual(self._case(self.customer).state, "open")

    def test_foreign_currency_is_written_off_in_the_invoice_currency(self):
        eur = self.setup_other_currency("EUR", rates=[("2000-01-01", 2.0)])
        invoice = self._invoice(self.customer, 40, 600.0, currency=eur)
        case = self._case(self.customer).filtered(lambda c: c.currency_id == eur)
        write_off = self._write_off(invoice, case_id=case.id)
        self.assertEqual(write_off.currency_id, eur)
        self.assertEqual(write_off.amount, 600.0)
        write_off.action_post()
        receivable = write_off.move_id.line_ids.filtered(lambda line: line.account_type == "asset_receivable")
        self.assertEqual(receivable.currency_id, eur)
        self.assertEqual(receivable.amount_currency, -600.0)
        self.assertEqual(receivable.credit, 300.0)
        self.assertEqual(invoice.amount_residual, 0.0)
        self.assertEqual(case.stage_code, "written_off")
        self.assertEqual(self._case(self.customer).currency_id, self.company.currency_id, "the other case stays")

    def test_posted_write_off_cannot_change_or_be_deleted(self):
        write_off = self._write_off()
        write_off.action_post()
        with self.assertRaisesRegex(UserError, "Reverse it"):
            write_off.amount = 10.0
        with self.assertRaisesRegex(UserError, "reverse it"):
            write_off.unlink()

    def test_other_companies_do_not_see_the_write_off(self):
        write_off = self._write_off()
        write_off.action_post()
        company_b = self.setup_other_company(name="Other Co")["company"]
        self.collection_manager.write({"company_ids": [Command.link(company_b.id)], "company_id": company_b.id})
        WriteOff = self.env["collection.write.off"].with_user(self.collection_manager)
        self.assertFalse(WriteOff.with_context(allowed_company_ids=company_b.ids).search([("id", "=", write_off.id)]))
        self.assertTrue(WriteOff.with_context(allowed_company_ids=self.company.ids).search([("id", "=", write_off.id)]))

    def test_missing_configuration_is_named(self):
        self.company.collection_bad_debt_account_id = False
        with self.assertRaisesRegex(UserError, "bad-debt expense account"):
            self._write_off().action_post()


@tagged("post_install", "-at_install")
class TestWriteOffWizard(WriteOffCommon):
    def test_wizard_from_the_case(self):
        case = self._case(self.customer)
        action = case.action_write_off()
        wizard_form = Form(self.env["collection.write.off.wizard"].with_context(**action["context"]))
        self.assertEqual(wizard_form.amount, 1000.0)
        wizard_form.amount = 250.0
        wizard_form.reason = "Partial insolvency dividend lost"
        wizard_form.reason_code = "insolvency"
        wizard = wizard_form.save()
        result = wizard.action_confirm()
        write_off = self.env["collection.write.off"].browse(result["res_id"])
        self.assertEqual(write_off.case_id, case)
        self.assertEqual(write_off.amount, 250.0)
        self.assertEqual(write_off.reason_code, "insolvency")
        self.assertEqual(self.invoice.amount_residual, 750.0)

    def test_wizard_from_invoices_of_several_customers(self):
        other_customer = self._customer("Lima Retail")
        other = self._invoice(other_customer, 40, 70.0)
        wizard = (
            self.env["collection.write.off.wizard"]
            .with_context(active_model="account.move", active_ids=(self.invoice | other).ids)
            .create({"reason": "Clean-up of the year's bad debts"})
        )
        self.assertEqual(wizard.customer_count, 2)
        result = wizard.action_confirm()
        write_offs = self.env["collection.write.off"].search(result["domain"])
        self.assertEqual(len(write_offs), 2)
        self.assertEqual(set(write_offs.mapped("state")), {"posted"})
        self.assertEqual(self.invoice.amount_residual + other.amount_residual, 0.0)

    def test_wizard_refuses_vendor_bills(self):
        bill = self._invoice(self.customer, 10, 50.0, move_type="in_invoice")
        with self.assertRaisesRegex(UserError, "customer invoices"):
            self.env["collection.write.off.wizard"].with_context(
                active_model="account.move", active_ids=bill.ids
            ).create({"reason": "x"})
