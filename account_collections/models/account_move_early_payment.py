from odoo import api, fields, models

from ..tools import collection_today


class AccountMove(models.Model):
    """Early-payment discount of an invoice, as the reminders and the portal state it."""

    _inherit = "account.move"

    collection_epd_date = fields.Date(
        string="Early Payment Discount Until",
        compute="_compute_collection_epd",
        help="Last day the customer may pay the discounted amount: the discount date of the invoice's "
        "payment term line, while the early-payment discount still applies.",
    )
    collection_epd_amount = fields.Monetary(
        string="Discounted Amount",
        compute="_compute_collection_epd",
        currency_field="currency_id",
        help="What the customer pays if paying by the discount date, as Odoo's payment term computed it.",
    )

    @api.depends(
        "invoice_payment_term_id.early_discount",
        "line_ids.discount_date",
        "line_ids.discount_amount_currency",
        "line_ids.amount_residual_currency",
        "payment_state",
    )
    @api.depends_context("collection_date")
    def _compute_collection_epd(self):
        """Read the discount from the payment term line, the way the invoice portal page does
        (``_get_installments_data``): nothing is recomputed from the percentage here."""
        today = collection_today(self)
        for move in self:
            move.collection_epd_date = False
            move.collection_epd_amount = 0.0
            if (
                move.state != "posted"
                or move.move_type not in ("out_invoice", "out_receipt")
                or move.payment_state not in ("not_paid", "partial")
                or not move.invoice_payment_term_id.early_discount
            ):
                continue
            term_lines = move.line_ids.filtered(lambda line: line.display_type == "payment_term")
            installment = next(
                (
                    item
                    for item in term_lines._get_installments_data(payment_date=today)
                    if item["type"] == "early_payment_discount"
                ),
                None,
            )
            if installment and installment["line"].discount_date and installment["line"].discount_date >= today:
                move.collection_epd_date = installment["line"].discount_date
                move.collection_epd_amount = installment["amount_residual_currency_unsigned"]
