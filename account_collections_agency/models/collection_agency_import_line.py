from odoo import fields, models

from .collection_agency_placement_line import LINE_STATUSES


class CollectionAgencyImportLine(models.Model):
    """One applied line of an agency file; its key makes the same line apply only once."""

    _name = "collection.agency.import.line"
    _description = "Collection Agency Status Import Line"
    _order = "import_id desc, sequence, id"

    import_id = fields.Many2one("collection.agency.import", required=True, ondelete="cascade", index=True)
    placement_line_id = fields.Many2one(
        "collection.agency.placement.line", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="import_id.company_id", store=True, index=True)
    sequence = fields.Integer(string="File Line")
    key = fields.Char(required=True, index=True, help="SHA-256 of invoice, status, amount and date.")
    invoice_id = fields.Many2one(related="placement_line_id.invoice_id")
    currency_id = fields.Many2one(related="placement_line_id.currency_id")
    status = fields.Selection(LINE_STATUSES, required=True)
    amount_recovered = fields.Monetary(help="Total recovered on the invoice according to this line.")
    amount_remitted = fields.Monetary(help="What this line added to the recovered amount.")
    commission = fields.Monetary(help="Commission on the remitted amount.")
    payment_date = fields.Date()
    payment_id = fields.Many2one("account.payment", ondelete="set null")

    _sql_constraints = [
        ("placement_line_key_uniq", "unique(placement_line_id, key)", "This line was already applied."),
    ]
