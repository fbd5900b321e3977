from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    collection_window_start = fields.Float(
        string="Contact Window Start",
        default=8.0,
        help="Earliest local time (in the customer's time zone) at which a customer may be contacted.",
    )
    collection_window_end = fields.Float(
        string="Contact Window End",
        default=21.0,
        help="Latest local time (in the customer's time zone) at which a customer may be contacted.",
    )
    collection_weekly_cap = fields.Integer(
        string="Contacts per Week",
        default=7,
        help="Maximum number of outbound contacts per customer in any rolling 7 days, all channels together.",
    )
    collection_limitation_years = fields.Integer(
        string="Statute of Limitations (years)",
        default=0,
        help="Invoices whose due date is older than this many years are time-barred and never dunned "
        "automatically. 0 disables the check.",
    )

    @api.constrains(
        "collection_window_start", "collection_window_end", "collection_weekly_cap", "collection_limitation_years"
    )
    def _check_collection_settings(self):
        for company in self:
            start, end = company.collection_window_start, company.collection_window_end
            if not (0 <= start < end <= 24):
                raise ValidationError(
                    self.env._(
                        "The contact window of %(company)s must start before it ends, between 00:00 and 24:00.",
                        company=company.name,
                    )
                )
            if company.collection_weekly_cap < 1:
                raise ValidationError(
                    self.env._("The weekly contact cap of %(company)s must be at least 1.", company=company.name)
                )
            if company.collection_limitation_years < 0:
                raise ValidationError(
                    self.env._(
                        "The statute of limitations of %(company)s cannot be negative (0 disables it).",
                        company=company.name,
                    )
                )
