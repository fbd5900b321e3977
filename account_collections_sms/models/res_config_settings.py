from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_sms_max_segments = fields.Integer(related="company_id.collection_sms_max_segments", readonly=False)
