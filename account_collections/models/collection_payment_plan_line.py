from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import float_compare, float_is_zero


class CollectionPaymentPlanLine(models.Model):
    """One installment (or the down payment) of a payment plan."""

    _name = "collection.payment.plan.line"
    _description = "Payment Plan Installment"
    _inherit = ["collection.workflow.mixin"]
    _order = "plan_id, due_date, sequence, id"
    _check_company_auto = True

    # what was paid on the installment, set by the daily run from the invoices' payments
    _workflow_fields = {
        "state": ("run_collections",),
        "amount_paid": ("run_collections",),
        "reminder_sent": ("run_collections",),
    }

    plan_id = fields.Many2one("collection.payment.plan", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    due_date = fields.Date(required=True)
    amount = fields.Monetary(required=True)
    amount_paid = fields.Monetary(string="Paid", readonly=True, copy=False)
    amount_open = fields.Monetary(string="Open", compute="_compute_amount_open")
    is_down_payment = fields.Boolean(string="Down Payment")
    state = fields.Selection(
        [("pending", "Pending"), ("partial", "Partially Paid"), ("paid", "Paid"), ("late", "Late")],
        default="pending",
        required=True,
        readonly=True,
        copy=False,
    )
    reminder_sent = fields.Boolean(
        readonly=True, copy=False, help="The customer was reminded of this installment before its due date."
    )
    plan_state = fields.Selection(related="plan_id.state", string="Plan Status")
    partner_id = fields.Many2one(related="plan_id.partner_id", string="Customer")
    company_id = fields.Many2one(related="plan_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="plan_id.currency_id", store=True)

    _sql_constraints = [
        ("amount_positive", "CHECK(amount > 0)", "Each installment of a payment plan must be a positive amount."),
    ]

    @api.depends("amount", "amount_paid")
    def _compute_amount_open(self):
        for line in self:
            line.amount_open = line.amount - line.amount_paid

    @api.depends("plan_id.name", "due_date")
    def _compute_display_name(self):
        for line in self:
            line.display_name = f"{line.plan_id.name or ''} - {line.due_date or ''}"

    def _portal_pay_path(self):
        """Where the customer pays the installment online (the portal page checks it is theirs)."""
        self.ensure_one()
        return f"/my/collections/installment/{self.id}/pay"

    def _state_for(self, paid, today):
        """State of the installment once ``paid`` is allocated to it, on ``today``."""
        self.ensure_one()
        rounding = self.currency_id.rounding
        if float_compare(paid, self.amount, precision_rounding=rounding) >= 0:
            return "paid"
        if self.due_date < today:
            return "late"
        return "pending" if float_is_zero(paid, precision_rounding=rounding) else "partial"

    def write(self, vals):
        locked = {"due_date", "amount", "sequence", "is_down_payment", "plan_id"} & set(vals)
        if locked:
            fixed = self.filtered(lambda ln: ln.plan_id.state != "draft")
            if fixed:
                raise UserError(
                    self.env._(
                        "The schedule of %(plans)s is agreed with the customer: only draft plans can be changed.",
                        plans=", ".join(fixed.plan_id.mapped("display_name")),
                    )
                )
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_only_draft(self):
        fixed = self.filtered(lambda ln: ln.plan_id.state != "draft")
        if fixed:
            raise UserError(
                self.env._(
                    "The schedule of %(plans)s is agreed with the customer: only draft plans can be changed.",
                    plans=", ".join(fixed.plan_id.mapped("display_name")),
                )
            )
