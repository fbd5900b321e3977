from odoo import fields, models


class CollectionAgencyImport(models.Model):
    """One status or remittance file an agency sent back, kept as it was received.

    The checksum makes a second import of the same file a no-op; the line keys do the same for
    lines repeated in a later file.
    """

    _name = "collection.agency.import"
    _description = "Collection Agency Status Import"
    _order = "date desc, id desc"
    _rec_name = "filename"

    placement_id = fields.Many2one(
        "collection.agency.placement", required=True, ondelete="cascade", index=True, readonly=True
    )
    agency_id = fields.Many2one(related="placement_id.agency_id", store=True, index=True)
    company_id = fields.Many2one(related="placement_id.company_id", store=True, index=True)
    filename = fields.Char(required=True, readonly=True)
    checksum = fields.Char(string="SHA-256", required=True, readonly=True, index=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    user_id = fields.Many2one("res.users", string="Imported By", readonly=True, default=lambda self: self.env.user)
    applied_count = fields.Integer(string="Lines Applied", readonly=True)
    attachment_id = fields.Many2one("ir.attachment", string="File", readonly=True, ondelete="set null")
    line_ids = fields.One2many("collection.agency.import.line", "import_id", string="Applied Lines", readonly=True)
    payment_ids = fields.Many2many("account.payment", string="Payments", readonly=True)
    commission_move_ids = fields.Many2many(
        "account.move",
        string="Commission Entries",
        readonly=True,
        help="Vendor bills of the agency (gross settlement) or commission journal entries (net settlement).",
    )

    _sql_constraints = [
        (
            "placement_checksum_uniq",
            "unique(placement_id, checksum)",
            "This file was already imported on this placement.",
        ),
    ]
