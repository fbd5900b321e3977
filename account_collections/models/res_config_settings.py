from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_window_start = fields.Float(related="company_id.collection_window_start", readonly=False)
    collection_window_end = fields.Float(related="company_id.collection_window_end", readonly=False)
    collection_weekly_cap = fields.Integer(related="company_id.collection_weekly_cap", readonly=False)
    collection_limitation_years = fields.Integer(related="company_id.collection_limitation_years", readonly=False)
    collection_promise_max_days = fields.Integer(related="company_id.collection_promise_max_days", readonly=False)
    collection_promise_max_broken = fields.Integer(related="company_id.collection_promise_max_broken", readonly=False)
    collection_send_thanks = fields.Boolean(related="company_id.collection_send_thanks", readonly=False)
    collection_fee_product_id = fields.Many2one(related="company_id.collection_fee_product_id", readonly=False)
    collection_interest_product_id = fields.Many2one(
        related="company_id.collection_interest_product_id", readonly=False
    )
    collection_interest_regime = fields.Selection(related="company_id.collection_interest_regime", readonly=False)
    collection_reference_rate = fields.Float(related="company_id.collection_reference_rate", readonly=False)
    collection_interest_margin = fields.Float(related="company_id.collection_interest_margin", readonly=False)
    collection_plan_reminder_days = fields.Integer(related="company_id.collection_plan_reminder_days", readonly=False)
