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
    collection_promise_max_days = fields.Integer(
        string="Longest Promise (days)",
        default=30,
        help="A promise to pay may be at most this many days away; longer needs a payment plan.",
    )
    collection_promise_max_broken = fields.Integer(
        string="Broken Promises per Case",
        default=2,
        help="Once a customer broke this many promises to pay on a case, no new promise is accepted on it "
        "(on the portal or by a collector): a payment plan is the way forward. 0: no limit.",
    )
    collection_limitation_years = fields.Integer(
        string="Statute of Limitations (years)",
        default=0,
        help="Invoices whose due date is older than this many years are time-barred and never dunned "
        "automatically. 0 disables the check.",
    )

    collection_send_thanks = fields.Boolean(
        string="Thank-you Email",
        help="Email the customer a thank-you note when a collection case is paid in full.",
    )
    collection_fee_product_id = fields.Many2one(
        "product.product",
        string="Late Fee Product",
        help="Product (and so income account and taxes) of the late-fee invoices.",
    )
    collection_interest_product_id = fields.Many2one(
        "product.product",
        string="Interest Product",
        help="Product (and so income account and taxes) of the statutory interest invoices.",
    )
    collection_interest_regime = fields.Selection(
        [("eu", "EU late payment directive"), ("uk", "UK late payment act")],
        string="Statutory Interest",
        default="eu",
        help="EU: reference rate + margin, and a fixed compensation of 40 per invoice. "
        "UK: base rate + margin, and a fixed compensation of 40, 70 or 100 depending on the debt.",
    )
    collection_reference_rate = fields.Float(
        string="Reference Rate (%)",
        digits=(5, 2),
        help="Central bank reference rate (ECB main refinancing rate, Bank of England base rate) "
        "for the current half-year.",
    )
    collection_interest_margin = fields.Float(
        string="Interest Margin (points)", digits=(5, 2), default=8.0, help="Points added to the reference rate."
    )

    collection_plan_reminder_days = fields.Integer(
        string="Installment Reminder (days before)",
        default=3,
        help="Remind the customer by email this many days before each installment of a payment plan "
        "falls due (0: no reminder).",
    )

    @api.constrains(
        "collection_window_start",
        "collection_window_end",
        "collection_weekly_cap",
        "collection_limitation_years",
        "collection_promise_max_days",
        "collection_promise_max_broken",
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
            if company.collection_promise_max_days < 1:
                raise ValidationError(
                    self.env._(
                        "The longest promise to pay of %(company)s must be at least 1 day.", company=company.name
                    )
                )
            if company.collection_promise_max_broken < 0:
                raise ValidationError(
                    self.env._(
                        "The broken promises allowed per case at %(company)s cannot be negative (0: no limit).",
                        company=company.name,
                    )
                )
            if company.collection_limitation_years < 0:
                raise ValidationError(
                    self.env._(
                        "The statute of limitations of %(company)s cannot be negative (0 disables it).",
                        company=company.name,
                    )
                )
