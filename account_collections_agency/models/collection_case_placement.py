from odoo import fields, models


class CollectionCase(models.Model):
    """Cases handed over to a collection agency or a law firm."""

    _inherit = "collection.case"

    placement_line_ids = fields.One2many(
        "collection.agency.placement.line", "case_id", string="Placed Invoices", readonly=True
    )
    placement_count = fields.Integer(compute="_compute_placement_count", string="Placements")
    placed_agency_id = fields.Many2one(
        "collection.agency",
        string="Placed With",
        compute="_compute_placement_count",
        help="The agency currently working this case.",
    )

    def _compute_placement_count(self):
        lines = self.env["collection.agency.placement.line"].search([("case_id", "in", self.ids)])
        for case in self:
            case_lines = lines.filtered(lambda line, case=case: line.case_id == case)
            case.placement_count = len(case_lines.placement_id)
            case.placed_agency_id = case_lines.filtered("is_open")[:1].agency_id

    def _log_agency_event(self, placement, name, **values):
        """One outbound agency event per case about a placement (its invoices of the case, its file)."""
        lines = placement.line_ids
        vals_list = []
        for case in self:
            vals = {
                "channel": "agency",
                "direction": "outbound",
                "invoice_ids": [(6, 0, lines.filtered(lambda line, case=case: line.case_id == case).invoice_id.ids)],
                "attachment_id": placement.attachment_id.id,
            }
            vals.update(values)
            vals_list.append(case._event_vals(name, **vals))
        # sudo: the log is append-only, users cannot create events directly
        return self.env["collection.event"].sudo().create(vals_list)

    def action_agency_handover(self):
        """Open the handover wizard on these cases."""
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Hand Over to Agency"),
            "res_model": "collection.agency.handover",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def action_view_placements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections_agency.action_collection_agency_placement"
        )
        action["domain"] = [("line_ids.case_id", "=", self.id)]
        action["context"] = {}
        return action
