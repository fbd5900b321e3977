from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    """How much of a debt collectors may give up in a settlement offer."""

    _inherit = "res.company"

    collection_settlement_user_max_discount = fields.Float(
        string="Settlement Discount Limit (Users)",
        digits=(5, 2),
        default=10.0,
        help="Largest discount, in % of the amount due, a Collections User may offer in a settlement.",
    )
    collection_settlement_manager_max_discount = fields.Float(
        string="Settlement Discount Limit (Managers)",
        digits=(5, 2),
        default=100.0,
        help="Largest discount, in % of the amount due, a Collections Manager may offer in a settlement "
        "(100 = no limit).",
    )

    @api.constrains("collection_settlement_user_max_discount", "collection_settlement_manager_max_discount")
    def _check_collection_settlement_limits(self):
        for company in self:
            user_limit = company.collection_settlement_user_max_discount
            manager_limit = company.collection_settlement_manager_max_discount
            if not (0 <= user_limit <= 100 and 0 <= manager_limit <= 100):
                raise ValidationError(
                    self.env._(
                        "The settlement discount limits of %(company)s must be between 0 %% and 100 %%.",
                        company=company.name,
                    )
                )
            if user_limit > manager_limit:
                raise ValidationError(
                    self.env._(
                        "The settlement discount limit of Collections Users of %(company)s (%(user).2f %%) "
                        "cannot exceed the one of Collections Managers (%(manager).2f %%).",
                        company=company.name,
                        user=user_limit,
                        manager=manager_limit,
                    )
                )
