from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_settlement_user_max_discount = fields.Float(
        related="company_id.collection_settlement_user_max_discount", readonly=False
    )
    collection_settlement_manager_max_discount = fields.Float(
        related="company_id.collection_settlement_manager_max_discount", readonly=False
    )
