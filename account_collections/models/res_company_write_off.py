from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    """Bad-debt write-off settings."""

    _inherit = "res.company"

    collection_bad_debt_account_id = fields.Many2one(
        "account.account",
        string="Bad Debt Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        help="Expense account debited by bad-debt write-offs (and used on write-off credit notes).",
    )
    collection_write_off_journal_id = fields.Many2one(
        "account.journal",
        string="Write-off Journal",
        check_company=True,
        domain="[('type', '=', 'general')]",
        help="Miscellaneous journal of the write-off entries (credit notes use the invoice's journal). "
        "Empty: the first miscellaneous journal of the company.",
    )
    collection_write_off_mode = fields.Selection(
        [("entry", "Journal Entry"), ("credit_note", "Credit Note")],
        string="Write-off Mode",
        default="entry",
        help="Journal Entry: bad-debt expense against the receivable, the VAT already declared is kept. "
        "Credit Note: a customer credit note on the bad-debt account with the invoice's taxes pro rata, "
        "to recover the output VAT where the law grants bad-debt relief.",
    )
    collection_write_off_limit = fields.Monetary(
        string="Collector Write-off Limit",
        currency_field="currency_id",
        help="Collections Users may write off up to this amount per write-off (company currency); above it, "
        "only Collections Managers. 0: only managers write off.",
    )

    @api.constrains("collection_write_off_limit")
    def _check_collection_write_off_limit(self):
        for company in self.filtered(lambda c: c.collection_write_off_limit < 0):
            raise ValidationError(
                self.env._("The collector write-off limit of %(company)s cannot be negative.", company=company.name)
            )
