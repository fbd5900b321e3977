from odoo import fields, models

from .collection_settlement import LIVE_STATES


class AccountMove(models.Model):
    _inherit = "account.move"

    collection_hold = fields.Selection(
        selection_add=[("settlement", "Settlement offer")], ondelete={"settlement": "set null"}
    )

    def _collection_agreement_sources(self):
        return [
            *super()._collection_agreement_sources(),
            ("settlement", "collection.settlement", "invoice_ids", LIVE_STATES),
        ]
