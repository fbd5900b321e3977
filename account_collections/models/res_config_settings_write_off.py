from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    collection_bad_debt_account_id = fields.Many2one(
        related="company_id.collection_bad_debt_account_id", readonly=False
    )
    collection_write_off_journal_id = fields.Many2one(
        related="company_id.collection_write_off_journal_id", readonly=False
    )
    collection_write_off_mode = fields.Selection(related="company_id.collection_write_off_mode", readonly=False)
    collection_write_off_limit = fields.Monetary(related="company_id.collection_write_off_limit", readonly=False)
