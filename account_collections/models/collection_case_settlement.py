from odoo import Command, fields, models
from odoo.exceptions import UserError

from ..tools import GROUP_USER, check_group


class CollectionCase(models.Model):
    """Settlement offers on a case: accept less, in full and final payment, by a deadline."""

    _inherit = "collection.case"

    settlement_ids = fields.One2many("collection.settlement", "case_id", string="Settlement Offers", readonly=True)
    settlement_count = fields.Integer(compute="_compute_settlement_count", string="Settlement Offer Count")

    def _compute_settlement_count(self):
        counts = dict(
            self.env["collection.settlement"]._read_group([("case_id", "in", self.ids)], ["case_id"], ["__count"])
        )
        for case in self:
            case.settlement_count = counts.get(case, 0)

    def _settlement_invoices(self):
        """Invoices a new settlement offer covers by default: the case's open customer invoices."""
        self.ensure_one()
        return self.open_invoice_ids.filtered(
            lambda m: m.move_type in ("out_invoice", "out_receipt")
            and m.collection_hold not in ("promise", "plan", "settlement")
        )

    def action_new_settlement(self):
        """Case form button: a draft settlement offer on the case's open invoices."""
        check_group(self.env, GROUP_USER, self.env._("offer a settlement"))
        self.ensure_one()
        if self.state != "open":
            raise UserError(
                self.env._("Case %(case)s is closed: there is nothing left to settle.", case=self.display_name)
            )
        invoices = self._settlement_invoices()
        if not invoices:
            raise UserError(
                self.env._(
                    "Case %(case)s has no open invoice free of a promise, payment plan or settlement offer: "
                    "end that agreement first.",
                    case=self.display_name,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Settlement Offer"),
            "res_model": "collection.settlement",
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_case_id": self.id,
                "default_invoice_ids": [Command.set(invoices.ids)],
                "default_amount_settled": self.currency_id.round(sum(invoices.mapped("amount_residual"))),
            },
        }

    def action_view_settlements(self):
        check_group(self.env, GROUP_USER, self.env._("view the settlements of a case"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_settlement")
        action.update(domain=[("case_id", "=", self.id)], context={"default_case_id": self.id})
        return action
