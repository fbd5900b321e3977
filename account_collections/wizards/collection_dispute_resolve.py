from odoo import fields, models

from ..tools import GROUP_USER, check_group


class CollectionDisputeResolve(models.TransientModel):
    """Ask how a dispute was settled, then settle it: resolved, credited or rejected."""

    _name = "collection.dispute.resolve"
    _description = "Settle a Collection Dispute"

    dispute_id = fields.Many2one("collection.dispute", required=True, ondelete="cascade")
    currency_id = fields.Many2one(related="dispute_id.currency_id")
    amount = fields.Monetary(related="dispute_id.amount", string="Disputed Amount")
    invoice_id = fields.Many2one(related="dispute_id.invoice_id")
    decision = fields.Selection(
        [
            ("resolve", "Resolved (explained, no credit)"),
            ("credit", "Credit the disputed amount"),
            ("reject", "Rejected"),
        ],
        required=True,
        default="resolve",
    )
    resolution = fields.Text(required=True, help="How the dispute was settled: kept on the dispute and in the log.")

    def action_apply(self):
        check_group(self.env, GROUP_USER, self.env._("settle a dispute"))
        self.ensure_one()
        dispute = self.dispute_id
        dispute.resolution = self.resolution
        {
            "resolve": dispute.action_resolve,
            "credit": dispute.action_credit,
            "reject": dispute.action_reject,
        }[self.decision]()
        return {"type": "ir.actions.act_window_close"}
