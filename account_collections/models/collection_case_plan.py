from odoo import Command, api, fields, models

from ..tools import GROUP_USER, check_group


class CollectionCase(models.Model):
    """Payment plans on collection cases."""

    _inherit = "collection.case"

    payment_plan_ids = fields.One2many("collection.payment.plan", "case_id", string="Payment Plans", readonly=True)
    payment_plan_count = fields.Integer(compute="_compute_payment_plan_count")

    @api.depends("payment_plan_ids")
    def _compute_payment_plan_count(self):
        counts = dict(
            self.env["collection.payment.plan"]._read_group([("case_id", "in", self.ids)], ["case_id"], ["__count"])
        )
        for case in self:
            case.payment_plan_count = counts.get(case, 0)

    def action_new_payment_plan(self):
        """Open a new payment plan for the case, with the invoices being dunned."""
        check_group(self.env, GROUP_USER, self.env._("propose a payment plan"))
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Payment Plan"),
            "res_model": "collection.payment.plan",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_case_id": self.id,
                "default_invoice_ids": [
                    Command.set(self.dunning_invoice_ids.filtered(lambda m: m.move_type == "out_invoice").ids)
                ],
                "default_user_id": (self.user_id or self.env.user).id,
            },
        }

    def action_view_payment_plans(self):
        check_group(self.env, GROUP_USER, self.env._("view the payment plans of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_payment_plan")
        action.update(
            domain=[("case_id", "=", self.id)],
            context={"default_case_id": self.id, "search_default_active": False},
        )
        return action
