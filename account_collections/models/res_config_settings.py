from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    """The company's collections settings, in Accounting > Configuration > Settings > Collections."""

    _inherit = "res.config.settings"

    # contact rules, promises, statute of limitations, charges, payment plans
    collection_window_start = fields.Float(related="company_id.collection_window_start", readonly=False)
    collection_window_end = fields.Float(related="company_id.collection_window_end", readonly=False)
    collection_weekly_cap = fields.Integer(related="company_id.collection_weekly_cap", readonly=False)
    collection_contact_weekends = fields.Boolean(related="company_id.collection_contact_weekends", readonly=False)
    collection_consumer_category_ids = fields.Many2many(
        related="company_id.collection_consumer_category_ids", readonly=False
    )
    collection_consumer_interest = fields.Boolean(related="company_id.collection_consumer_interest", readonly=False)
    collection_call_max_attempts = fields.Integer(related="company_id.collection_call_max_attempts", readonly=False)
    collection_call_period_days = fields.Integer(related="company_id.collection_call_period_days", readonly=False)
    collection_call_pause_days = fields.Integer(related="company_id.collection_call_pause_days", readonly=False)
    collection_reply_pause_days = fields.Integer(related="company_id.collection_reply_pause_days", readonly=False)
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

    # disputes
    collection_dispute_sla_days = fields.Integer(related="company_id.collection_dispute_sla_days", readonly=False)

    # settlement offers
    collection_settlement_user_max_discount = fields.Float(
        related="company_id.collection_settlement_user_max_discount", readonly=False
    )
    collection_settlement_manager_max_discount = fields.Float(
        related="company_id.collection_settlement_manager_max_discount", readonly=False
    )

    # bad-debt write-offs
    collection_bad_debt_account_id = fields.Many2one(
        related="company_id.collection_bad_debt_account_id", readonly=False
    )
    collection_write_off_journal_id = fields.Many2one(
        related="company_id.collection_write_off_journal_id", readonly=False
    )
    collection_write_off_mode = fields.Selection(related="company_id.collection_write_off_mode", readonly=False)
    collection_write_off_limit = fields.Monetary(related="company_id.collection_write_off_limit", readonly=False)
