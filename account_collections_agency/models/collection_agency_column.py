from odoo import fields, models


class CollectionAgencyColumn(models.Model):
    """One documented column of the placement file an agency may receive."""

    _name = "collection.agency.column"
    _description = "Collection Agency File Column"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, readonly=True, help="Column header in the placement file.")
    sequence = fields.Integer(required=True, readonly=True)
    personal_data = fields.Boolean(help="The column holds personal data of the debtor.")

    _sql_constraints = [
        ("code_uniq", "unique(code)", "A placement file column code must be unique."),
    ]
