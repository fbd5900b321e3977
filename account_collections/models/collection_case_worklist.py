import math
from datetime import date

from odoo import api, fields, models
from odoo.tools import SQL

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

    def _store_scores(self):
        """Compute the risk and priority of these cases and store them in one UPDATE.

        The refresh and the daily risk reassessment change them on thousands of cases at once;
        the ORM would flush them 100 cases per query.
        """
        cases = self.filtered(lambda c: isinstance(c.id, int))
        if not cases:
            return
        risk_field, priority_field = self._fields["risk_score"], self._fields["priority_score"]
        self.env.remove_to_compute(risk_field, cases)
        self.env.remove_to_compute(priority_field, cases)
        # plain rows, not records: the daily risk reassessment rescores every case at once
        self.flush_model(["state", "amount_overdue", "oldest_due_date", "currency_id", "company_id", "partner_id"])
        self.env["res.partner"].flush_model(["risk_score"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT c.id, c.state, c.amount_overdue, c.oldest_due_date, c.currency_id, c.company_id,
                       COALESCE(p.risk_score, 0)
                  FROM collection_case c JOIN res_partner p ON p.id = c.partner_id
                 WHERE c.id = ANY(%s)
                """,
                cases.ids,
            )
        )
        Company, Currency = self.env["res.company"], self.env["res.currency"]
        rates, ids, risks, scores = {}, [], [], []
        for case_id, state, overdue, oldest_due_date, currency_id, company_id, risk in rows:
            ids.append(case_id)
            risks.append(risk)
            scores.append(
                self._priority_value(
                    Company.browse(company_id), Currency.browse(currency_id), overdue, oldest_due_date, risk, rates
                )
                if state == "open"
                else 0.0
            )
        self.env.execute_query(
            SQL(
                """
                UPDATE collection_case c SET risk_score = v.risk, priority_score = v.score
                  FROM unnest(%s::int[], %s::int[], %s::numeric[]) AS v(id, risk, score)
                 WHERE c.id = v.id
                """,
                ids,
                risks,
                scores,
            )
        )
        records = self.browse(ids)
        self.env.cache.update(records, risk_field, risks)
        self.env.cache.update(records, priority_field, scores)

    def _write_amounts(self, updates):
        """The refresh writes amounts in SQL: recompute the score of the cases it touched."""
        res = super()._write_amounts(updates)
        if updates:
            self.browse([case.id for case, _vals in updates])._store_scores()
        return res
