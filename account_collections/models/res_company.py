from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    """The collections settings of a company."""

    _inherit = "res.company"

    # contact rules, promises, statute of limitations
    collection_window_start = fields.Float(
        string="Contact Window Start",
        default=8.0,
        help="Earliest local time (in the customer's time zone) at which a customer may be contacted.",
    )
    collection_window_end = fields.Float(
        string="Contact Window End",
        default=21.0,
        help="Latest local time (in the customer's time zone) at which a customer may be contacted.",
    )
    collection_weekly_cap = fields.Integer(
        string="Contacts per Week",
        default=7,
        help="Maximum number of outbound contacts per customer in any rolling 7 days, all channels together.",
    )
    collection_promise_max_days = fields.Integer(
        string="Longest Promise (days)",
        default=30,
        help="A promise to pay may be at most this many days away; longer needs a payment plan.",
    )
    collection_promise_max_broken = fields.Integer(
        string="Broken Promises per Case",
        default=2,
        help="Once a customer broke this many promises to pay on a case, no new promise is accepted on it "
        "(on the portal or by a collector): a payment plan is the way forward. 0: no limit.",
    )
    collection_limitation_years = fields.Integer(
        string="Statute of Limitations (years)",
        default=0,
        help="Invoices whose due date is older than this many years are time-barred and never dunned "
        "automatically. 0 disables the check.",
    )

    # thank-you email, late fees and interest
    collection_send_thanks = fields.Boolean(
        string="Thank-you Email",
        help="Email the customer a thank-you note when a collection case is paid in full.",
    )
    collection_fee_product_id = fields.Many2one(
        "product.product",
        string="Late Fee Product",
        help="Product (and so income account and taxes) of the late-fee invoices.",
    )
    collection_interest_product_id = fields.Many2one(
        "product.product",
        string="Interest Product",
        help="Product (and so income account and taxes) of the statutory interest invoices.",
    )
    collection_interest_regime = fields.Selection(
        [("eu", "EU late payment directive"), ("uk", "UK late payment act")],
        string="Statutory Interest",
        default="eu",
        help="EU: reference rate + margin, and a fixed compensation of 40 per invoice. "
        "UK: base rate + margin, and a fixed compensation of 40, 70 or 100 depending on the debt.",
    )
    collection_reference_rate = fields.Float(
        string="Reference Rate (%)",
        digits=(5, 2),
        help="Central bank reference rate (ECB main refinancing rate, Bank of England base rate) "
        "for the current half-year.",
    )
    collection_interest_margin = fields.Float(
        string="Interest Margin (points)", digits=(5, 2), default=8.0, help="Points added to the reference rate."
    )

    # payment plans
    collection_plan_reminder_days = fields.Integer(
        string="Installment Reminder (days before)",
        default=3,
        help="Remind the customer by email this many days before each installment of a payment plan "
        "falls due (0: no reminder).",
    )

    # settlement offers: how much of a debt collectors may give up
    collection_settlement_user_max_discount = fields.Float(
        string="Settlement Discount Limit (Users)",
        digits=(5, 2),
        default=10.0,
        help="Largest discount, in % of the amount due, a Collections User may offer in a settlement.",
    )
    collection_settlement_manager_max_discount = fields.Float(
        string="Settlement Discount Limit (Managers)",
        digits=(5, 2),
        default=100.0,
        help="Largest discount, in % of the amount due, a Collections Manager may offer in a settlement "
        "(100 = no limit).",
    )

    # bad-debt write-offs
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

    # ------------------------------------------------------------------ constraints
    @api.constrains(
        "collection_window_start",
        "collection_window_end",
        "collection_weekly_cap",
        "collection_limitation_years",
        "collection_promise_max_days",
        "collection_promise_max_broken",
    )
    def _check_collection_settings(self):
        for company in self:
            start, end = company.collection_window_start, company.collection_window_end
            if not (0 <= start < end <= 24):
                raise ValidationError(
                    self.env._(
                        "The contact window of %(company)s must start before it ends, between 00:00 and 24:00.",
                        company=company.name,
                    )
                )
            if company.collection_weekly_cap < 1:
                raise ValidationError(
                    self.env._("The weekly contact cap of %(company)s must be at least 1.", company=company.name)
                )
            if company.collection_promise_max_days < 1:
                raise ValidationError(
                    self.env._(
                        "The longest promise to pay of %(company)s must be at least 1 day.", company=company.name
                    )
                )
            if company.collection_promise_max_broken < 0:
                raise ValidationError(
                    self.env._(
                        "The broken promises allowed per case at %(company)s cannot be negative (0: no limit).",
                        company=company.name,
                    )
                )
            if company.collection_limitation_years < 0:
                raise ValidationError(
                    self.env._(
                        "The statute of limitations of %(company)s cannot be negative (0 disables it).",
                        company=company.name,
                    )
                )

    @api.constrains("collection_settlement_user_max_discount", "collection_settlement_manager_max_discount")
    def _check_collection_settlement_limits(self):
        for company in self:
            user_limit = company.collection_settlement_user_max_discount
            manager_limit = company.collection_settlement_manager_max_discount
            if not (0 <= user_limit <= 100 and 0 <= manager_limit <= 100):
                raise ValidationError(
                    self.env._(
                        "The settlement discount limits of %(company)s must be between 0 %% and 100 %%.",
                        company=company.name,
                    )
                )
            if user_limit > manager_limit:
                raise ValidationError(
                    self.env._(
                        "The settlement discount limit of Collections Users of %(company)s (%(user).2f %%) "
                        "cannot exceed the one of Collections Managers (%(manager).2f %%).",
                        company=company.name,
                        user=user_limit,
                        manager=manager_limit,
                    )
                )

    @api.constrains("collection_write_off_limit")
    def _check_collection_write_off_limit(self):
        for company in self.filtered(lambda c: c.collection_write_off_limit < 0):
            raise ValidationError(
                self.env._("The collector write-off limit of %(company)s cannot be negative.", company=company.name)
            )
