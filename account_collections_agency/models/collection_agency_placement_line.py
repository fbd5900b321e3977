from odoo import api, fields, models
from odoo.exceptions import UserError

from odoo.addons.account_collections.tools import GROUP_USER, check_group

LINE_STATUSES = [
    ("placed", "Placed"),
    ("in_progress", "In Progress"),
    ("promised", "Promised"),
    ("paid", "Paid"),
    ("partial", "Partially Paid"),
    ("uncollectible", "Uncollectible"),
    ("disputed", "Disputed"),
    ("recalled", "Recalled"),
]
# the agency still works these lines: the case stays with it
OPEN_LINE_STATUSES = ("placed", "in_progress", "promised", "partial", "disputed")
# a placement cannot be closed while one of its lines is in one of these
ACTIVE_LINE_STATUSES = ("placed", "in_progress", "promised")


class CollectionAgencyPlacementLine(models.Model):
    """One invoice handed over to an agency, with what the agency reports back about it."""

    _name = "collection.agency.placement.line"
    _description = "Collection Agency Placement Line"
    _inherit = ["collection.workflow.mixin"]
    _order = "placement_id desc, id"
    _rec_name = "invoice_id"

    # what the agency reports back (status imports) and the recall: never typed in
    _workflow_fields = {
        "status": ("import_file", "action_recall"),
        "status_date": ("import_file", "action_recall"),
        "amount_recovered": ("import_file",),
        "commission": ("import_file",),
        "recall_reason": ("action_recall",),
    }

    placement_id = fields.Many2one(
        "collection.agency.placement", required=True, ondelete="cascade", index=True, readonly=True
    )
    agency_id = fields.Many2one(related="placement_id.agency_id", store=True, index=True)
    company_id = fields.Many2one(related="placement_id.company_id", store=True, index=True)
    company_currency_id = fields.Many2one(related="company_id.currency_id", string="Company Currency")
    placement_date = fields.Date(related="placement_id.date", store=True)
    case_id = fields.Many2one("collection.case", index=True, readonly=True)
    partner_id = fields.Many2one(related="case_id.partner_id", store=True, index=True, string="Customer")
    invoice_id = fields.Many2one(
        "account.move", string="Invoice", required=True, index=True, readonly=True, ondelete="restrict"
    )
    currency_id = fields.Many2one(
        "res.currency", compute="_compute_currency_id", store=True, precompute=True, readonly=True
    )
    amount_placed = fields.Monetary(readonly=True, help="Open amount of the invoice when it was handed over.")
    amount_recovered = fields.Monetary(readonly=True, help="What the agency collected on this invoice so far.")
    commission = fields.Monetary(readonly=True, help="What the agency keeps from the recovered amount.")
    amount_placed_company = fields.Monetary(
        string="Placed (Company Currency)",
        currency_field="company_currency_id",
        compute="_compute_company_amounts",
        store=True,
    )
    amount_recovered_company = fields.Monetary(
        string="Recovered (Company Currency)",
        currency_field="company_currency_id",
        compute="_compute_company_amounts",
        store=True,
    )
    commission_company = fields.Monetary(
        string="Commission (Company Currency)",
        currency_field="company_currency_id",
        compute="_compute_company_amounts",
        store=True,
    )
    status = fields.Selection(LINE_STATUSES, default="placed", required=True, readonly=True, index=True)
    status_date = fields.Date(
        readonly=True, help="When the agency last changed the status (for paid lines: the recovery date)."
    )
    is_open = fields.Boolean(
        string="Open",
        compute="_compute_is_open",
        store=True,
        index=True,
        help="The agency still works this invoice: not paid, uncollectible or recalled, placement not closed.",
    )
    recall_reason = fields.Char(readonly=True)
    agency_note = fields.Text(help="The agency's last note on this invoice.")

    _sql_constraints = [
        (
            "placement_invoice_uniq",
            "unique(placement_id, invoice_id)",
            "An invoice can be placed only once per placement.",
        ),
    ]

    @api.depends("invoice_id")
    def _compute_currency_id(self):
        for line in self:
            line.currency_id = line.invoice_id.currency_id

    @api.depends(
        "amount_placed",
        "amount_recovered",
        "commission",
        "currency_id",
        "placement_id.date",
        "company_id",
    )
    def _compute_company_amounts(self):
        for line in self:
            company = line.company_id or line.invoice_id.company_id
            date = line.placement_id.date or fields.Date.context_today(line)
            if not line.currency_id or not company or line.currency_id == company.currency_id:
                line.amount_placed_company = line.amount_placed
                line.amount_recovered_company = line.amount_recovered
                line.commission_company = line.commission
                continue
            convert = line.currency_id._convert
            line.amount_placed_company = convert(line.amount_placed, company.currency_id, company, date)
            line.amount_recovered_company = convert(line.amount_recovered, company.currency_id, company, date)
            line.commission_company = convert(line.commission, company.currency_id, company, date)

    @api.depends("status", "placement_id.state")
    def _compute_is_open(self):
        for line in self:
            line.is_open = line.status in OPEN_LINE_STATUSES and line.placement_id.state != "closed"

    def _recall(self, reason):
        """Take the invoices back from the agency; cases left with nothing at an agency return to
        internal dunning at their level (stage Reminded, or New if no level was sent yet)."""
        reason = (reason or "").strip()
        if not reason:
            raise UserError(self.env._("Say why the invoices are recalled from the agency."))
        closed = self.filtered(lambda line: not line.is_open)
        if closed:
            raise UserError(
                self.env._(
                    "These invoices are no longer worked by the agency and cannot be recalled: %(lines)s.",
                    lines=", ".join(f"{line.invoice_id.display_name} ({line.placement_id.name})" for line in closed),
                )
            )
        if not self:
            raise UserError(self.env._("There is no open placed invoice to recall."))
        today = fields.Date.context_today(self)
        self._write_workflow({"status": "recalled", "recall_reason": reason, "status_date": today})
        cases = self.case_id
        still_placed = self.search([("case_id", "in", cases.ids), ("is_open", "=", True)]).case_id
        returning = (cases - still_placed).filtered(lambda c: c.state == "open" and c.stage_code in ("agency", "legal"))
        for code, group in (
            ("reminded", returning.filtered("level_id")),
            ("new", returning - returning.filtered("level_id")),
        ):
            group._move_to_stage(code, self.env._("Back to internal dunning after the recall from the agency"))
        for placement, lines in self.grouped("placement_id").items():
            name = self.env._("Recalled from %(agency)s: %(reason)s", agency=placement.agency_id.name, reason=reason)
            for case, case_lines in lines.grouped("case_id").items():
                if case:
                    case._log_agency_event(placement, name, invoice_ids=[(6, 0, case_lines.invoice_id.ids)])
            placement.message_post(
                body=self.env._("%(count)s invoice(s) recalled: %(reason)s", count=len(lines), reason=reason)
            )
        return True

    def action_recall(self):
        """Open the recall wizard on these lines."""
        check_group(self.env, GROUP_USER, self.env._("recall invoices from an agency"))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Recall from Agency"),
            "res_model": "collection.agency.recall",
            "view_mode": "form",
            "target": "new",
            "context": {"default_line_ids": self.filtered("is_open").ids},
        }
