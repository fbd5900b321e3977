from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CollectionLegalCost(models.Model):
    """A cost of taking a case to court: lawyer's fees, court fees, bailiff."""

    _name = "collection.legal.cost"
    _description = "Legal Cost"
    _order = "date desc, id desc"
    _check_company_auto = True

    case_id = fields.Many2one(
        "collection.case", string="Collection Case", required=True, index=True, ondelete="cascade", check_company=True
    )
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    date = fields.Date(required=True, default=fields.Date.context_today)
    name = fields.Char(string="Description", required=True)
    partner_id = fields.Many2one(
        "res.partner",
        string="Lawyer / Court",
        help="Who charged the cost (lawyer, court, bailiff).",
    )
    amount = fields.Monetary(required=True)
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        compute="_compute_currency_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    recharge = fields.Boolean(
        string="Recharge to Customer",
        help="The cost is claimed back from the customer (where the law or the contract allows it).",
    )

    @api.depends("case_id")
    def _compute_currency_id(self):
        for cost in self:
            cost.currency_id = cost.currency_id or cost.case_id.currency_id or cost.case_id.company_id.currency_id

    @api.constrains("amount")
    def _check_amount(self):
        for cost in self.filtered(lambda c: c.amount <= 0):
            raise ValidationError(
                self.env._("Legal cost %(cost)s must have a positive amount.", cost=cost.name or cost.display_name)
            )
