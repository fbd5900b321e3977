from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_window_start = fields.Float(related="company_id.collection_window_start", readonly=False)
    collection_window_end = fields.Float(related="company_id.collection_window_end", readonly=False)
    collection_weekly_cap = fields.Integer(related="company_id.collection_weekly_cap", readonly=False)
    collection_limitation_years = fields.Integer(related="company_id.collection_limitation_years", readonly=False)
