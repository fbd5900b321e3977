from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    collection_hold = fields.Selection(
        selection_add=[("settlement", "Settlement offer")], ondelete={"settlement": "set null"}
    )
