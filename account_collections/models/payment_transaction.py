import logging

from odoo import Command, fields, models
from odoo.tools.misc import format_amount

_logger = logging.getLogger(__name__)


class PaymentTransaction(models.Model):
    """An online payment of an installment: the installment it pays, and the plan updated at once."""

    _inherit = "payment.transaction"

    collection_plan_line_id = fields.Many2one(
        "collection.payment.plan.line",
        string="Installment",
        readonly=True,
        index="btree_not_null",
        ondelete="set null",
        help="The payment plan installment the customer paid online with this transaction.",
    )

    def _post_process(self):
        """Once the payment is reconciled with the plan's invoices (oldest due first), allocate it to
        the installments without waiting for the daily run, and log it on the case."""
        super()._post_process()
        done = self.filtered(lambda tx: tx.state == "done" and tx.collection_plan_line_id)
        if not done:
            return
        try:
            # the payment is Odoo's, posted above: a fault of ours must not undo it (the daily run
            # allocates it to the installments all the same)
            with self.env.cr.savepoint():
                done._collection_allocate_installments()
        except Exception:
            _logger.exception("Collections: installments of transactions %s not allocated", done.ids)

    def _collection_allocate_installments(self):
        """Allocate these done transactions to their installments and log them on the cases."""
        # sudo: the transaction is the customer's (or the provider's webhook); the plan is theirs
        plans = self.sudo().collection_plan_line_id.plan_id.filtered(lambda p: p.state == "active")
        if not plans:
            return
        today = self.env["collection.case"]._collection_today()
        plans._update_payments(today)
        self.env["collection.event"].sudo().create(
            [
                tx.collection_plan_line_id.plan_id.case_id._event_vals(
                    self.env._(
                        "Installment of payment plan %(plan)s paid online: %(amount)s (%(reference)s)",
                        plan=tx.collection_plan_line_id.plan_id.name,
                        amount=format_amount(self.env, tx.amount, tx.currency_id),
                        reference=tx.reference,
                    ),
                    channel="portal",
                    direction="inbound",
                    invoice_ids=[Command.set(tx.invoice_ids.ids)],
                )
                for tx in self.sudo()
                if tx.collection_plan_line_id.plan_id in plans
            ]
        )
