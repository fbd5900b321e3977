from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..models.collection_write_off import OPEN_PAYMENT_STATES, WRITE_OFF_MODES, WRITE_OFF_REASONS
from ..tools import GROUP_USER, check_group


class CollectionWriteOffWizard(models.TransientModel):
    """Write off the open amount of customer invoices, from a case or from the invoice list.

    Invoices of several customers get one write-off each, for their whole open amount; a lower
    (partial) amount needs invoices of one customer and currency.
    """

    _name = "collection.write.off.wizard"
    _description = "Write Off Bad Debt"

    case_id = fields.Many2one("collection.case", string="Case")
    invoice_ids = fields.Many2many(
        "account.move",
        string="Invoices",
        required=True,
        domain="[('move_type', '=', 'out_invoice'), ('state', '=', 'posted'),"
        " ('payment_state', 'in', ('not_paid', 'partial'))]",
    )
    company_id = fields.Many2one("res.company", compute="_compute_totals")
    currency_id = fields.Many2one("res.currency", compute="_compute_totals")
    customer_count = fields.Integer(compute="_compute_totals")
    amount_residual = fields.Monetary(string="Open Amount", compute="_compute_totals")
    amount = fields.Monetary(
        string="Amount to Write Off",
        compute="_compute_amount",
        store=True,
        readonly=False,
        precompute=True,
        help="Lower it for a partial write-off (oldest due invoice first).",
    )
    reason = fields.Text(required=True)
    reason_code = fields.Selection(WRITE_OFF_REASONS, string="Reason Type", required=True, default="uncollectible")
    date = fields.Date(string="Accounting Date", required=True, default=fields.Date.context_today)
    mode = fields.Selection(
        WRITE_OFF_MODES, compute="_compute_mode", store=True, readonly=False, precompute=True, required=True
    )
    limit_warning = fields.Char(compute="_compute_limit_warning")

    @api.model
    def default_get(self, fields_list):
        check_group(self.env, GROUP_USER, self.env._("write off invoices"))
        values = super().default_get(fields_list)
        context = self.env.context
        if context.get("active_model") == "account.move" and context.get("active_ids") and "invoice_ids" in fields_list:
            invoices = self.env["account.move"].browse(context["active_ids"])
            open_invoices = invoices.filtered(
                lambda m: m.move_type == "out_invoice"
                and m.state == "posted"
                and m.payment_state in OPEN_PAYMENT_STATES
            )
            if not open_invoices:
                raise UserError(
                    self.env._("Select posted customer invoices with something left to pay to write them off.")
                )
            values["invoice_ids"] = [Command.set(open_invoices.ids)]
        return values

    @api.depends("invoice_ids")
    def _compute_totals(self):
        for wizard in self:
            invoices = wizard.invoice_ids
            wizard.customer_count = len(
                {(m.commercial_partner_id, m.company_id, m.currency_id) for m in invoices._origin or invoices}
            )
            wizard.company_id = invoices[:1].company_id or wizard.case_id.company_id or self.env.company
            wizard.currency_id = invoices[:1].currency_id or wizard.case_id.currency_id or wizard.company_id.currency_id
            wizard.amount_residual = sum(invoices.mapped("amount_residual")) if wizard.customer_count <= 1 else 0.0

    @api.depends("invoice_ids")
    def _compute_amount(self):
        for wizard in self:
            wizard.amount = wizard.amount_residual

    @api.depends("company_id")
    def _compute_mode(self):
        for wizard in self:
            wizard.mode = wizard.company_id.collection_write_off_mode or "entry"

    @api.depends("amount", "currency_id", "date", "company_id")
    def _compute_limit_warning(self):
        manager = self.env.user.has_group("account_collections.group_collection_manager")
        for wizard in self:
            company = wizard.company_id
            amount = (
                wizard.currency_id._convert(
                    wizard.amount, company.currency_id, company, wizard.date or fields.Date.context_today(self)
                )
                if wizard.currency_id
                else 0.0
            )
            above = (
                float_compare(
                    amount, company.collection_write_off_limit, precision_rounding=company.currency_id.rounding
                )
                > 0
            )
            wizard.limit_warning = (
                self.env._(
                    "Above your write-off limit of %s: a Collections Manager must write this off.",
                    company.currency_id.format(company.collection_write_off_limit),
                )
                if above and not manager
                else False
            )

    def _groups(self):
        groups = {}
        for invoice in self.invoice_ids:
            key = (invoice.commercial_partner_id, invoice.company_id, invoice.currency_id)
            groups[key] = groups.get(key, self.env["account.move"]) | invoice
        return groups

    def action_confirm(self):
        """Create the write-offs and post them: all validated before anything is booked."""
        check_group(self.env, GROUP_USER, self.env._("write off invoices"))
        self.ensure_one()
        groups = self._groups()
        if not groups:
            raise UserError(self.env._("Choose the invoices to write off."))
        vals_list = []
        for (_partner, _company, _currency), invoices in groups.items():
            vals = {
                "invoice_ids": [Command.set(invoices.ids)],
                "reason": self.reason,
                "reason_code": self.reason_code,
                "date": self.date,
                "mode": self.mode,
            }
            if self.case_id and invoices.collection_case_id == self.case_id:
                vals["case_id"] = self.case_id.id
            if len(groups) == 1:
                vals["amount"] = self.amount
            vals_list.append(vals)
        write_offs = self.env["collection.write.off"].create(vals_list)
        write_offs.action_post()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_write_off")
        if len(write_offs) == 1:
            action.update(views=[(False, "form")], view_mode="form", res_id=write_offs.id)
        else:
            action.update(domain=[("id", "in", write_offs.ids)])
        return action
