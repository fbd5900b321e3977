from odoo import Command, api, fields, models
from odoo.exceptions import UserError

from odoo.addons.account_collections.tools import GROUP_USER, check_group


class CollectionAgencyHandover(models.TransientModel):
    """Preview and confirm the handover of cases to a collection agency or law firm."""

    _name = "collection.agency.handover"
    _description = "Hand Cases Over to an Agency"

    case_ids = fields.Many2many("collection.case", string="Cases", required=True)
    company_id = fields.Many2one("res.company", compute="_compute_company_id")
    agency_id = fields.Many2one(
        "collection.agency",
        string="Agency",
        required=True,
        domain="[('company_id', '=', company_id)]",
    )
    agency_type = fields.Selection(related="agency_id.agency_type")
    line_ids = fields.One2many(
        "collection.agency.handover.line",
        "wizard_id",
        string="Invoices",
        compute="_compute_line_ids",
        store=True,
        readonly=False,
    )
    send_file = fields.Boolean(
        string="Email the File to the Agency",
        compute="_compute_send_file",
        store=True,
        readonly=False,
        help="Send the placement file to the agency contact right away with the agency's email template.",
    )
    warning_count = fields.Integer(compute="_compute_totals")
    included_count = fields.Integer(compute="_compute_totals", string="Invoices to Place")

    @api.model
    def default_get(self, fields_list):
        check_group(self.env, GROUP_USER, self.env._("hand cases over to an agency"))
        res = super().default_get(fields_list)
        if self.env.context.get("active_model") == "collection.case" and self.env.context.get("active_ids"):
            cases = self.env["collection.case"].browse(self.env.context["active_ids"])
            if len(cases.company_id) > 1:
                raise UserError(self.env._("Hand over the cases of one company at a time."))
            self.env["collection.agency.placement"]._check_cases_placeable(cases)
            res["case_ids"] = [Command.set(cases.ids)]
            agencies = self.env["collection.agency"].search([("company_id", "=", cases.company_id.id)])
            if len(agencies) == 1 and "agency_id" in fields_list:
                res["agency_id"] = agencies.id
        return res

    @api.depends("case_ids")
    def _compute_company_id(self):
        for wizard in self:
            wizard.company_id = wizard.case_ids.company_id[:1] or self.env.company

    @api.depends("case_ids")
    def _compute_line_ids(self):
        Placement = self.env["collection.agency.placement"]
        for wizard in self:
            preview = Placement._handover_preview(wizard.case_ids._origin)
            wizard.line_ids = [Command.clear()] + [Command.create(vals) for vals in preview]

    @api.depends("agency_id")
    def _compute_send_file(self):
        for wizard in self:
            wizard.send_file = bool(wizard.agency_id.partner_id.email)

    @api.depends("line_ids.include", "line_ids.warning")
    def _compute_totals(self):
        for wizard in self:
            wizard.warning_count = len(wizard.line_ids.filtered("warning"))
            wizard.included_count = len(wizard.line_ids.filtered("include"))

    def action_confirm(self):
        check_group(self.env, GROUP_USER, self.env._("hand cases over to an agency"))
        self.ensure_one()
        lines = self.line_ids.filtered("include")
        if not lines:
            raise UserError(
                self.env._("No invoice is selected: tick 'Place' on the invoices to hand over to the agency.")
            )
        placement = self.env["collection.agency.placement"]._create_from_cases(
            self.agency_id, lines.invoice_id, send=self.send_file
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": placement._name,
            "res_id": placement.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
