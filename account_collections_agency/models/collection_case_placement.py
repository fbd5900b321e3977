from odoo import fields, models
from odoo.exceptions import UserError

from odoo.addons.account_collections.tools import GROUP_USER, check_group

from .collection_agency_placement_line import OPEN_LINE_STATUSES


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

    def _handled_by(self):
        """A case at an agency is handled by the agency of its open placement."""
        if self.stage_code == "agency" and self.placed_agency_id:
            return self.placed_agency_id.partner_id
        return super()._handled_by()

    def write(self, vals):
        """A placed case stays at its agency until recalled: moving it by hand would dun it again
        behind the agency's back."""
        if "stage_id" in vals and not self.env.su:
            stage = self.env["collection.stage"].browse(vals["stage_id"])
            placed = self.filtered(lambda c: c.stage_id != stage and c.placed_agency_id)
            if placed:
                raise UserError(
                    self.env._(
                        "Case %(case)s is placed with %(agency)s: recall its placed invoices from the agency "
                        "(Recall on the placement) before moving the case to %(stage)s.",
                        case=placed[0].display_name,
                        agency=placed[0].placed_agency_id.name,
                        stage=stage.name,
                    )
                )
        return super().write(vals)

    def _close(self, today):
        """A placed case the customer paid directly: the agency lines are closed as paid (nothing
        recovered by the agency), logged, so the placement can be closed and the agency told."""
        res = super()._close(today)
        if self.env.context.get("collection_agency_import"):
            return res
        lines = self.env["collection.agency.placement.line"].search(
            [("case_id", "in", self.ids), ("status", "in", OPEN_LINE_STATUSES)]
        )
        lines = lines.filtered(lambda line: line.invoice_id.currency_id.is_zero(line.invoice_id.amount_residual))
        if lines:
            lines._write_workflow(
                {
                    "status": "paid",
                    "status_date": today,
                    "agency_note": self.env._("Paid directly to us, not through the agency."),
                }
            )
            for placement in lines.placement_id:
                placement_lines = lines.filtered(lambda line, placement=placement: line.placement_id == placement)
                placement_lines.case_id._log_agency_event(
                    placement,
                    self.env._(
                        "Paid directly: %(invoices)s closed on placement %(placement)s (tell %(agency)s)",
                        invoices=", ".join(placement_lines.invoice_id.mapped("name")),
                        placement=placement.name,
                        agency=placement.agency_id.name,
                    ),
                    invoice_ids=[(6, 0, placement_lines.invoice_id.ids)],
                )
        return res

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
        check_group(self.env, GROUP_USER, self.env._("hand cases over to an agency"))
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Hand Over to Agency"),
            "res_model": "collection.agency.handover",
            "view_mode": "form",
            "target": "new",
            "context": {"active_model": self._name, "active_ids": self.ids},
        }

    def action_view_placements(self):
        check_group(self.env, GROUP_USER, self.env._("view the placements of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "account_collections_agency.action_collection_agency_placement"
        )
        action["domain"] = [("line_ids.case_id", "=", self.id)]
        action["context"] = {}
        return action
