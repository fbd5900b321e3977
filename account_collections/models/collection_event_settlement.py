from odoo import fields, models


class CollectionEvent(models.Model):
    _inherit = "collection.event"

    reason_code = fields.Selection(
        selection_add=[("settlement", "Settlement offer")], ondelete={"settlement": "set null"}
    )
