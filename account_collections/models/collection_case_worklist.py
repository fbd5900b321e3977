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
        scores = self._priority_scores({case.id: case.risk_score for case in self})
        for case in self:
            case.priority_score = scores[case.id]

    def _priority_scores(self, risks):
        """{case id: priority score} of these cases, given their customers' risk ({case id: risk})."""
        rates, scores = {}, {}
        for case in self:
            scores[case.id] = (
                self._priority_value(
                    case.company_id, case.currency_id, case.amount_overdue, case.oldest_due_date, risks[case.id], rates
                )
                if case.state == "open"
                else 0.0
            )
        return scores

    @api.model
    def _priority_value(self, company, currency, amount_overdue, oldest_due_date, risk, rates):
        """Priority of an open case from its values (see _compute_priority_score); ``rates`` caches
        the conversion rate of each (currency, company)."""
        key = (currency, company)
        if key not in rates:
            rates[key] = (
                1.0
                if currency == company.currency_id
                else currency._get_conversion_rate(
                    currency, company.currency_id, company, fields.Date.context_today(self)
                )
            )
        overdue = max(amount_overdue or 0.0, 0.0) * rates[key]
        age = (AGE_ANCHOR - oldest_due_date).days / 30.0 if oldest_due_date else 0.0
        return round(10.0 * math.log10(1.0 + overdue) + 0.2 * (risk or 0) + age, 2)
