from odoo import fields, models


class CollectionAgreementMixin(models.AbstractModel):
    """What every agreement with a customer about its case shares (promise to pay, payment plan,
    settlement offer): the case it belongs to, and the customer, company and currency of that case."""

    _name = "collection.agreement.mixin"
    _description = "Collections Agreement"

    case_id = fields.Many2one(
        "collection.case",
        string="Collection Case",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        tracking=True,
        domain="[('state', '=', 'open')]",
    )
    partner_id = fields.Many2one(related="case_id.partner_id", string="Customer", store=True, index=True)
    company_id = fields.Many2one(related="case_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="case_id.currency_id", store=True)
