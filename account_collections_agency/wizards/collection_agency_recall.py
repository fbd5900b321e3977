from odoo import api, fields, models

from odoo.addons.account_collections.tools import GROUP_USER, check_group


class CollectionAgencyRecall(models.TransientModel):
    """Recall invoices from an agency, with the reason."""

    _name = "collection.agency.recall"
    _description = "Recall from Agency"

    line_ids = fields.Many2many(
        "collection.agency.placement.line",
        string="Invoices",
        domain="[('is_open', '=', True)]",
    )
    reason = fields.Char(required=True, help="Logged on each case and on the placement.")
    line_count = fields.Integer(compute="_compute_line_count")

    @api.depends("line_ids")
    def _compute_line_count(self):
        for wizard in self:
            wizard.line_count = len(wizard.line_ids)

    def action_confirm(self):
        check_group(self.env, GROUP_USER, self.env._("recall invoices from an agency"))
        self.ensure_one()
        self.line_ids._recall(self.reason)
        return {"type": "ir.actions.act_window_close"}
