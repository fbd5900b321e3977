from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

# journal type the commission is booked in, per settlement mode
COMMISSION_JOURNAL_TYPES = {"gross": "purchase", "net": "general"}


class CollectionAgency(models.Model):
    _name = "collection.agency"
    _description = "Collection Agency"
    _inherit = ["mail.thread"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Agency Contact",
        required=True,
        tracking=True,
        help="The agency as a partner: placement files are emailed to it, and its invoices are paid to it.",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, default=lambda self: self.env.company)
    agency_type = fields.Selection(
        [("collection", "Collection Agency"), ("legal", "Law Firm")],
        required=True,
        default="collection",
        tracking=True,
        help="Cases placed with a law firm move to the Legal stage instead of At Agency.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Placement Email",
        domain=[("model", "=", "collection.agency.placement")],
        default=lambda self: self.env.ref(
            "account_collections_agency.mail_template_placement", raise_if_not_found=False
        ),
        help="Email sent to the agency contact with the placement file attached.",
    )
    commission_rate = fields.Float(
        string="Commission (%)",
        digits=(5, 2),
        tracking=True,
        help="Share of every recovered amount the agency keeps.",
    )
    export_format = fields.Selection(
        [("csv", "CSV"), ("json", "JSON"), ("xlsx", "Excel (XLSX)")],
        required=True,
        default="csv",
        tracking=True,
    )
    include_fields = fields.Many2many(
        "collection.agency.column",
        string="Columns Sent",
        default=lambda self: self.env["collection.agency.column"].search([]),
        help="Only these columns of the placement file are sent to the agency (data minimisation).",
    )
    user_ids = fields.Many2many(
        "res.users",
        string="Portal Users",
        domain=[("share", "=", True)],
        help="Agency staff who see this agency's placements on the portal and post updates.",
    )
    note = fields.Html(string="Notes")

    @api.constrains("commission_rate")
    def _check_commission_rate(self):
        for agency in self.filtered(lambda a: not 0 <= a.commission_rate <= 100):
            raise ValidationError(
                self.env._(
                    "The commission of agency %(agency)s must be between 0 and 100 %%.",
                    agency=agency.name,
                )
            )

    # ------------------------------------------------------------------ settlement of what the agency recovers
    # how the money an agency recovers comes back: the remittance payment and its commission
    settlement_mode = fields.Selection(
        [
            ("gross", "Gross: the agency remits everything and bills its commission"),
            ("net", "Net: the agency keeps its commission from the remittance"),
        ],
        required=True,
        default="gross",
        tracking=True,
        help="Gross: each remittance is booked as a customer payment of the full recovered amount and the "
        "commission as a vendor bill of the agency. Net: the customer payment is the recovered amount less "
        "the commission, and a journal entry books the commission as an expense that clears the rest of "
        "the invoice.",
    )
    journal_id = fields.Many2one(
        "account.journal",
        string="Remittance Journal",
        check_company=True,
        domain="[('type', 'in', ('bank', 'cash')), ('company_id', '=', company_id)]",
        compute="_compute_settlement_journals",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Bank journal the agency's remittances are received in.",
    )
    commission_account_id = fields.Many2one(
        "account.account",
        string="Commission Account",
        check_company=True,
        domain="[('account_type', 'in', ('expense', 'expense_direct_cost'))]",
        compute="_compute_commission_account_id",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Expense account the agency's commission is booked on.",
    )
    commission_journal_id = fields.Many2one(
        "account.journal",
        string="Commission Journal",
        check_company=True,
        domain="[('type', 'in', ('purchase', 'general')), ('company_id', '=', company_id)]",
        compute="_compute_settlement_journals",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Gross settlement: purchase journal of the agency's commission bills. "
        "Net settlement: miscellaneous journal of the commission entries.",
    )

    @api.depends("company_id", "settlement_mode")
    def _compute_settlement_journals(self):
        Journal = self.env["account.journal"]
        for agency in self:
            company = agency.company_id or self.env.company
            if not agency.journal_id or agency.journal_id.company_id != company:
                agency.journal_id = Journal.search(
                    [*Journal._check_company_domain(company), ("type", "=", "bank")], limit=1
                )
            journal_type = COMMISSION_JOURNAL_TYPES[agency.settlement_mode or "gross"]
            journal = agency.commission_journal_id
            if not journal or journal.type != journal_type or journal.company_id != company:
                agency.commission_journal_id = Journal.search(
                    [*Journal._check_company_domain(company), ("type", "=", journal_type)], limit=1
                )

    @api.depends("company_id")
    def _compute_commission_account_id(self):
        Account = self.env["account.account"]
        for agency in self:
            company = agency.company_id or self.env.company
            if agency.commission_account_id and company in agency.commission_account_id.company_ids:
                continue
            # the expense account of the company's default purchase journal, else any expense account
            journal = self.env["account.journal"].search(
                [*self.env["account.journal"]._check_company_domain(company), ("type", "=", "purchase")], limit=1
            )
            account = journal.default_account_id.filtered(lambda a: a.account_type == "expense")
            agency.commission_account_id = account or Account.search(
                [*Account._check_company_domain(company), ("account_type", "=", "expense")], limit=1
            )

    @api.constrains("journal_id", "commission_journal_id", "commission_account_id", "settlement_mode")
    def _check_settlement_accounts(self):
        for agency in self:
            if agency.journal_id and agency.journal_id.type not in ("bank", "cash"):
                raise ValidationError(
                    self.env._(
                        "The remittance journal of agency %(agency)s must be a bank or cash journal, not %(journal)s.",
                        agency=agency.name,
                        journal=agency.journal_id.display_name,
                    )
                )
            expected = COMMISSION_JOURNAL_TYPES[agency.settlement_mode]
            if agency.commission_journal_id and agency.commission_journal_id.type != expected:
                raise ValidationError(
                    self.env._(
                        "Agency %(agency)s settles %(mode)s: its commission journal must be a %(type)s journal, "
                        "not %(journal)s.",
                        agency=agency.name,
                        mode=agency.settlement_mode,
                        type=dict(self.env["account.journal"]._fields["type"]._description_selection(self.env))[
                            expected
                        ],
                        journal=agency.commission_journal_id.display_name,
                    )
                )
            if agency.commission_account_id.account_type in ("asset_receivable", "liability_payable"):
                raise ValidationError(
                    self.env._(
                        "The commission account of agency %(agency)s must be an expense account, "
                        "not the receivable or payable account %(account)s.",
                        agency=agency.name,
                        account=agency.commission_account_id.display_name,
                    )
                )

    def _check_settlement_ready(self):
        """Raise if an agency lacks what booking a remittance needs, naming the agency and the fix."""
        labels = {name: self._fields[name]._description_string(self.env) for name in self._settlement_fields()}
        for agency in self:
            missing = [labels[name] for name in self._settlement_fields() if not agency[name]]
            if missing:
                raise UserError(
                    self.env._(
                        "Agency %(agency)s cannot settle remittances yet: set its %(fields)s on the agency's "
                        "Settlement tab (Collections > Configuration > Agencies).",
                        agency=agency.name,
                        fields=", ".join(missing),
                    )
                )

    @api.model
    def _settlement_fields(self):
        return ("journal_id", "commission_account_id", "commission_journal_id")
