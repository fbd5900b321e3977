from odoo import fields, models
from odoo.exceptions import UserError

from ..tools import GROUP_USER, check_group


class AccountMove(models.Model):
    """Disputes raised on a customer invoice."""

    _inherit = "account.move"

    collection_dispute_ids = fields.One2many(
        "collection.dispute",
        "invoice_id",
        string="Disputes",
        readonly=True,
        groups="account_collections.group_collection_user",
    )
    collection_dispute_count = fields.Integer(
        compute="_compute_collection_dispute_count",
        string="Disputes Count",
        groups="account_collections.group_collection_user",
    )

    def _compute_collection_dispute_count(self):
        counts = dict(
            self.env["collection.dispute"]._read_group([("invoice_id", "in", self.ids)], ["invoice_id"], ["__count"])
        )
        for move in self:
            move.collection_dispute_count = counts.get(move, 0)

    def action_new_collection_dispute(self):
        """Invoice form button: a new dispute on this invoice, in its customer's open case."""
        check_group(self.env, GROUP_USER, self.env._("record a dispute on an invoice"))
        self.ensure_one()
        case = self.collection_case_id.filtered(lambda c: c.state == "open")
        if (
            self.move_type != "out_invoice"
            or self.state != "posted"
            or self.payment_state in ("paid", "in_payment", "reversed")
        ):
            raise UserError(
                self.env._(
                    "%(invoice)s cannot be disputed: only posted customer invoices with an amount due can.",
                    invoice=self.display_name,
                )
            )
        if not case:
            raise UserError(
                self.env._(
                    "%(invoice)s is not part of an open collection case yet (it is not overdue or due soon): "
                    "run the collections or wait until it is due to record a dispute.",
                    invoice=self.display_name,
                )
            )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Dispute"),
            "res_model": "collection.dispute",
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {"default_case_id": case.id, "default_invoice_id": self.id},
        }

    def action_view_collection_disputes(self):
        check_group(self.env, GROUP_USER, self.env._("view the disputes of an invoice"))
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("account_collections.action_collection_dispute")
        action.update(domain=[("invoice_id", "=", self.id)], context={"create": False})
        return action
