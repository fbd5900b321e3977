import math
from datetime import date

from odoo import api, fields, models

# Fixed anchor of the age term of the priority score (see _compute_priority_score)
AGE_ANCHOR = date(2100, 1, 1)


class CollectionCase(models.Model):
    """The collector's worklist: open cases ranked by how urgent they are."""

    _inherit = "collection.case"

    priority_score = fields.Float(
        string="Priority",
        compute="_compute_priority_score",
        store=True,
        index=True,
        digits=(16, 2),
        help="Rank in the worklist, higher first: 10 points per tenfold overdue amount (in company currency), "
        "0.2 per point of customer risk, 1 per 30 days the oldest invoice is overdue.",
    )

    @api.depends("state", "amount_overdue", "oldest_due_date", "currency_id", "company_id", "partner_id.risk_score")
    def _compute_priority_score(self):
        """Priority of an open case, higher is more urgent::

            10 * log10(1 + amount_overdue in company currency)
            + 0.2 * customer risk_score (0-100)
            + (AGE_ANCHOR - oldest_due_date) / 30 days

        A stored score cannot use today (it would be stale tomorrow), so the age term counts
        days from the oldest due date to a fixed anchor date instead of to today: that is the
        days overdue plus the same constant for every case, so the ranking is the one days
        overdue would give, and it never needs a daily recompute. The score's absolute value
        means nothing, only the order. A case with nothing dunnable (closed, all invoices on
        hold) has no age term and ranks last. Foreign-currency amounts are converted at the
        rate of the day of the computation (once per currency, not per case).
        """
        today = fields.Date.context_today(self)
        rates = {}
        for case in self:
            if case.state != "open":
                case.priority_score = 0.0
                continue
            company = case.company_id
            key = (case.currency_id, company)
            if key not in rates:
                rates[key] = (
                    1.0
                    if case.currency_id == company.currency_id
                    else case.currency_id._get_conversion_rate(case.currency_id, company.currency_id, company, today)
                )
            overdue = max(case.amount_overdue, 0.0) * rates[key]
            age = (AGE_ANCHOR - case.oldest_due_date).days / 30.0 if case.oldest_due_date else 0.0
            case.priority_score = round(10.0 * math.log10(1.0 + overdue) + 0.2 * (case.risk_score or 0) + age, 2)

    def _write_amounts(self, updates):
        """The refresh writes amounts in SQL: recompute the score of the cases it touched."""
        res = super()._write_amounts(updates)
        if updates:
            cases = self.browse([case.id for case, _vals in updates])
            self.env.add_to_compute(self._fields["priority_score"], cases)
        return res
