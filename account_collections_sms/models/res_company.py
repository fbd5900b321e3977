from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    collection_sms_max_segments = fields.Integer(
        string="Maximum SMS Segments",
        default=2,
        help="A collections SMS longer than this many segments (160 GSM-7 or 70 UCS-2 characters each) is not sent.",
    )

    @api.constrains("collection_sms_max_segments")
    def _check_collection_sms_max_segments(self):
        for company in self.filtered(lambda c: c.collection_sms_max_segments < 1):
            raise ValidationError(
                self.env._(
                    "The maximum number of SMS segments of %(company)s must be at least 1.", company=company.name
                )
            )
