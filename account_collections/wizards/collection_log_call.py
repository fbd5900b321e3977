from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.collection_event import CALL_OUTCOMES
from ..tools import GROUP_USER, check_group


class CollectionLogCall(models.TransientModel):
    """Record a phone call with a customer on their collection case."""

    _name = "collection.log.call"
    _description = "Log a Collection Call"

    case_id = fields.Many2one("collection.case", string="Case", required=True, ondelete="cascade")
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer")
    phone = fields.Char(related="case_id.partner_id.phone")
    mobile = fields.Char(related="case_id.partner_id.mobile")
    currency_id = fields.Many2one(related="case_id.currency_id")
    amount_overdue = fields.Monetary(related="case_id.amount_overdue")
    direction = fields.Selection(
        [("outbound", "We called"), ("inbound", "The customer called")],
        default="outbound",
        required=True,
        help="Calls we make count toward the weekly contact cap.",
    )
    outcome = fields.Selection(CALL_OUTCOMES, required=True, default="reached")
    note = fields.Text(help="What was said; kept in the collections log.")
    follow_up_date = fields.Date(help="Schedule a call activity for the collector on this date.")

    @api.model
    def default_get(self, fields_list):
        check_group(self.env, GROUP_USER, self.env._("log a call"))
        values = super().default_get(fields_list)
        if not values.get("case_id"):
            values["case_id"] = self._default_case().id
        return values

    @api.model
    def _default_case(self):
        """The case in the context, else the open case of the partner in the context."""
        context = self.env.context
        if context.get("active_model") == "collection.case" and context.get("active_id"):
            return self.env["collection.case"].browse(context["active_id"])
        partner_id = context.get("collection_partner_id") or (
            context.get("active_model") == "res.partner" and context.get("active_id")
        )
        if not partner_id:
            return self.env["collection.case"]
        partner = self.env["res.partner"].browse(partner_id).commercial_partner_id
        case = self.env["collection.case"].search(
            [("partner_id", "=", partner.id), ("state", "=", "open"), ("company_id", "in", self.env.companies.ids)],
            order="amount_overdue desc, id",
            limit=1,
        )
        if not case:
            raise UserError(
                self.env._(
                    "%(partner)s has no open collection case: a call is logged on a case, and a case opens "
                    "when the customer has overdue invoices.",
                    partner=partner.display_name,
                )
            )
        return case

    def action_confirm(self):
        """Log the call on the case; a promise opens the promise form, pre-filled."""
        check_group(self.env, GROUP_USER, self.env._("log a call"))
        self.ensure_one()
        event = self.case_id._log_call(
            self.outcome, note=self.note, direction=self.direction, follow_up_date=self.follow_up_date
        )
        if self.outcome == "promise":
            return self.case_id._promise_form_action(call_event=event)
        return {"type": "ir.actions.act_window_close"}
