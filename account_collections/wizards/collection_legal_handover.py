from odoo import api, fields, models

from ..tools import GROUP_USER, check_group


class CollectionLegalHandover(models.TransientModel):
    """Hand a collection case over to a lawyer or a court."""

    _name = "collection.legal.handover"
    _description = "Legal Handover"

    case_id = fields.Many2one("collection.case", string="Case", required=True, ondelete="cascade")
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer")
    currency_id = fields.Many2one(related="case_id.currency_id")
    amount_due = fields.Monetary(related="case_id.amount_due")
    lawyer_id = fields.Many2one(
        "res.partner",
        string="Lawyer / Court",
        required=True,
        help="The law firm or court that takes over the claim: the legal file is prepared for it.",
    )
    note = fields.Text(help="Instructions for the lawyer; kept in the collections log.")

    @api.model
    def default_get(self, fields_list):
        check_group(self.env, GROUP_USER, self.env._("hand a case over to legal"))
        values = super().default_get(fields_list)
        context = self.env.context
        if not values.get("case_id") and context.get("active_model") == "collection.case" and context.get("active_id"):
            values["case_id"] = context["active_id"]
        return values

    def action_confirm(self):
        """Move the case to the legal stage, log it and attach the legal file."""
        check_group(self.env, GROUP_USER, self.env._("hand a case over to legal"))
        self.ensure_one()
        self.case_id._legal_handover(self.lawyer_id, note=self.note)
        return {
            "type": "ir.actions.act_window",
            "res_model": "collection.case",
            "res_id": self.case_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }
