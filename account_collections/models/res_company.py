from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

from .collection_reference_rate import INTEREST_REGIMES


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
    collection_contact_weekends = fields.Boolean(
        string="Contact on Weekends",
        help="Contact customers on the weekend days of the company's working calendar too. Off: a contact "
        "that falls on a weekend waits for the next working day. Public holidays of the calendar are never "
        "contact days.",
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
    collection_reply_pause_days = fields.Integer(
        string="Pause after a Reply (days)",
        default=3,
        help="When a customer replies to a reminder, no automatic contact on the case for this many days, "
        "or until a collector answers (0: replies do not pause the case).",
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
        INTEREST_REGIMES,
        string="Statutory Interest",
        default="eu",
        help="EU: reference rate + margin, and a fixed compensation of 40 per invoice. "
        "UK: base rate + margin, and a fixed compensation of 40, 70 or 100 depending on the debt.",
    )
    collection_reference_rate = fields.Float(
        string="Fallback Reference Rate (%)",
        digits=(5, 2),
        help="Fallback for a half-year missing from the reference rates table (ECB main refinancing "
        "rate, Bank of England base rate). 0: no fallback, a missing half-year stops the interest "
        "charge until its rate is added.",
    )
    collection_interest_margin = fields.Float(
        string="Interest Margin (points)", digits=(5, 2), default=8.0, help="Points added to the reference rate."
    )

    # consumers (individuals, or customers with one of the consumer tags)
    collection_consumer_category_ids = fields.Many2many(
        "res.partner.category",
        "res_company_collection_consumer_category_rel",
        "company_id",
        "category_id",
        string="Consumer Tags",
        help="Customers with one of these tags are consumers, even when registered as companies. "
        "Individuals are always consumers.",
    )
    collection_consumer_interest = fields.Boolean(
        string="Statutory Interest for Consumers",
        help="Charge consumers the statutory late-payment interest and the fixed recovery compensation too. "
        "Off: they are charged to businesses only (the EU late payment directive and the UK late payment "
        "act are business-to-business).",
    )
    collection_call_max_attempts = fields.Integer(
        string="Calls per Debt",
        default=7,
        help="A consumer's case gets at most this many call attempts in the call period.",
    )
    collection_call_period_days = fields.Integer(
        string="Call Period (days)",
        default=7,
        help="The rolling period, in days, of the call attempts allowed per consumer case.",
    )
    collection_call_pause_days = fields.Integer(
        string="No Calls after a Conversation (days)",
        default=7,
        help="After a telephone conversation with a consumer about a case, no call on it for this many days.",
    )

    # payment plans
    collection_plan_reminder_days = fields.Integer(
        string="Installment Reminder (days before)",
        default=3,
        help="Remind the customer by email this many days before each installment of a payment plan "
        "falls due (0: no reminder).",
    )

    # disputes
    collection_dispute_sla_days = fields.Integer(
        string="Dispute Service Level (days)",
        default=10,
        help="A dispute should be settled within this many days of its opening; after that it shows as "
        "overdue on the dispute list and the dashboard.",
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

    # ------------------------------------------------------------------ defaults
    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        companies._collection_setup_defaults()
        return companies

    def _collection_setup_defaults(self):
        """Give each company what the collections actions need and it lacks, so that they work
        without a configuration hunt: the late fee and interest products, the layout of the
        letters and, once the company has a chart of accounts, a bad-debt expense account and
        the write-off journal. Run at install, on new companies and after a chart of accounts is
        loaded (``account.chart.template._post_load_data``); a setting already made is kept."""
        fee = self.env.ref("account_collections.product_late_fee", raise_if_not_found=False)
        interest = self.env.ref("account_collections.product_late_interest", raise_if_not_found=False)
        layout = self.env.ref("web.external_layout_standard", raise_if_not_found=False)
        for company in self.sudo():  # sudo: company settings, set by the install or the chart loader
            vals = {}
            if fee and not company.collection_fee_product_id:
                vals["collection_fee_product_id"] = fee.id
            if interest and not company.collection_interest_product_id:
                vals["collection_interest_product_id"] = interest.id
            if layout and not company.external_report_layout_id:
                vals["external_report_layout_id"] = layout.id
            if not company.collection_bad_debt_account_id:
                vals["collection_bad_debt_account_id"] = company._collection_bad_debt_account().id
            if not company.collection_write_off_journal_id:
                vals["collection_write_off_journal_id"] = company._collection_write_off_journal().id
            vals = {name: value for name, value in vals.items() if value}
            if vals:
                company.write(vals)
        self.env["collection.dispute.route"].sudo()._setup_company_routes(self)

    def _collection_bad_debt_account(self):
        """The expense account of the company's chart for bad debts, else a new *Bad debts written
        off*; none while the company has no chart of accounts."""
        self.ensure_one()
        Account = self.env["account.account"].with_company(self).with_context(lang="en_US")
        company_domain = Account._check_company_domain(self)
        if not Account.search_count(company_domain, limit=1):
            return Account
        expense_domain = [*company_domain, ("account_type", "=", "expense"), ("deprecated", "=", False)]
        account = Account.search([*expense_domain, ("name", "=ilike", "%bad debt%")], limit=1)
        if account:
            return account
        # next to the company's default expense account (else its chart's first), numbered the chart's way
        default_id = self.env["ir.default"]._get(
            "product.category", "property_account_expense_categ_id", company_id=self.id
        )
        expense = Account.browse(default_id).exists().filtered_domain(expense_domain) or Account.search(
            expense_domain, limit=1
        )
        code = Account._search_new_account_code(expense.code or "6000")
        return Account.create(
            {
                "name": self.env._("Bad debts written off"),
                "code": code,
                "account_type": "expense",
                "company_ids": [Command.set(self.ids)],
            }
        )

    def _collection_write_off_journal(self):
        """The company's miscellaneous journal (of its chart), else its first general journal other
        than the exchange difference and cash basis ones."""
        self.ensure_one()
        journal = self.env.ref(f"account.{self.id}_general", raise_if_not_found=False)
        if journal and journal.type == "general":
            return journal
        Journal = self.env["account.journal"]
        return Journal.search(
            [
                *Journal._check_company_domain(self),
                ("type", "=", "general"),
                ("id", "not in", (self.currency_exchange_journal_id | self.tax_cash_basis_journal_id).ids),
            ],
            limit=1,
        )

    # ------------------------------------------------------------------ constraints
    @api.constrains(
        "collection_window_start",
        "collection_window_end",
        "collection_weekly_cap",
        "collection_limitation_years",
        "collection_promise_max_days",
        "collection_promise_max_broken",
        "collection_call_max_attempts",
        "collection_call_period_days",
        "collection_call_pause_days",
        "collection_dispute_sla_days",
        "collection_reply_pause_days",
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
            if company.collection_call_max_attempts < 1 or company.collection_call_period_days < 1:
                raise ValidationError(
                    self.env._(
                        "The call limit of %(company)s must allow at least 1 call in at least 1 day.",
                        company=company.name,
                    )
                )
            if company.collection_call_pause_days < 0:
                raise ValidationError(
                    self.env._(
                        "The days without calls after a conversation at %(company)s cannot be negative.",
                        company=company.name,
                    )
                )
            if company.collection_dispute_sla_days < 1:
                raise ValidationError(
                    self.env._("The dispute service level of %(company)s must be at least 1 day.", company=company.name)
                )
            if company.collection_reply_pause_days < 0:
                raise ValidationError(
                    self.env._(
                        "The days a customer's reply pauses a case at %(company)s cannot be negative "
                        "(0: replies do not pause).",
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
