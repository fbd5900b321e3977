from odoo import Command, api, fields, models

from ..tools import GROUP_USER, check_group


class CollectionCase(models.Model):
    """Bad-debt write-offs of a case."""

    _inherit = "collection.case"

    write_off_ids = fields.One2many("collection.write.off", "case_id", string="Write-offs", readonly=True)
    write_off_count = fields.Integer(compute="_compute_write_off_count", string="Write-off Count")

    @api.depends("write_off_ids")
    def _compute_write_off_count(self):
        counts = dict(
            self.env["collection.write.off"]._read_group([("case_id", "in", self.ids)], ["case_id"], ["__count"])
        )
        for case in self:
            case.write_off_count = counts.get(case, 0)

    def action_write_off(self):
        """Case form button: write off the case's open invoices (wizard)."""
        check_group(self.env, GROUP_USER, self.env._("write off a case"))
        self.ensure_one()
        invoices = self.open_invoice_ids.filtered(lambda m: m.move_type == "out_invoice")
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_write_off_wizard")
        action["context"] = {
            "default_case_id": self.id,
            "default_invoice_ids": [Command.set(invoices.ids)],
        }
        return action

    def action_view_write_offs(self):
        check_group(self.env, GROUP_USER, self.env._("view the write-offs of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_write_off")
        action.update(domain=[("case_id", "=", self.id)], context={"create": False})
        return action
