from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ..engine.expected_dates import FORECAST_MOVE_TYPES, OPEN_PAYMENT_STATES
from ..tools import GROUP_USER, check_companies, check_group

# weeks the forecast may span
FORECAST_MAX_WEEKS = 104


class CollectionCase(models.Model):
    """The cash-in forecast: the open customer invoices by the week they are expected to be paid."""

    _inherit = "collection.case"

    @api.model
    def get_cash_forecast(self, weeks=13, company_ids=None):
        """What the open customer invoices should bring in, week by week, from their expected
        payment dates (``account.move.collection_expected_base_date``, set by the daily run).

        Weeks start on Monday, the first one this week. Amounts are the invoices' open amounts in
        the currency of the current company (each company's amounts converted at today's rate).
        An invoice whose expected date is past (the run has not run today) or not computed yet
        (posted since) counts today, or on its due date if later.

        :param weeks: number of weeks (1 to 104)
        :param company_ids: ids of the companies to include; default the user's current companies
        :return: ``{"currency", "currency_id", "weeks": [{"week_start", "expected", "promised",
            "planned"}], "later", "total_open"}``: ``expected`` is all that the week should bring
            in, ``promised`` and ``planned`` the parts of it expected from promises to pay and
            payment plans; ``later`` is what is expected after the last week, so that the weeks'
            ``expected`` plus ``later`` make ``total_open``
        """
        check_group(self.env, GROUP_USER, self.env._("read the cash forecast"))
        if type(weeks) is not int or not 1 <= weeks <= FORECAST_MAX_WEEKS:
            raise UserError(
                self.env._(
                    "The cash forecast spans 1 to %(max)s weeks, not %(weeks)s.",
                    max=FORECAST_MAX_WEEKS,
                    weeks=repr(weeks)[:20],
                )
            )
        companies = check_companies(self.env, company_ids, self.env._("read the cash forecast"))
        today = fields.Date.context_today(self)
        first_monday = today - timedelta(days=today.weekday())
        currency = self.env.company.currency_id
        rates = {company.id: self._dashboard_rate(company, currency, today) for company in companies}
        # one query over the ledger: check the ORM rights it bypasses
        self.env["account.move"].check_access("read")
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT (f.day - %(monday)s::date) / 7 AS week, f.source, SUM(f.amount * rate.rate)
                  FROM (
                      SELECT m.company_id,
                             GREATEST(%(today)s::date, COALESCE(m.collection_expected_base_date,
                                                                m.invoice_date_due, m.invoice_date)) AS day,
                             COALESCE(m.collection_expected_source, 'behaviour') AS source,
                             m.amount_residual_signed AS amount
                        FROM account_move m
                       WHERE m.company_id = ANY(%(companies)s) AND m.move_type IN %(types)s
                         AND m.state = 'posted' AND m.payment_state IN %(open)s
                  ) AS f
                  JOIN %(rates)s ON rate.company_id = f.company_id
                 GROUP BY 1, 2
                """,
                monday=first_monday,
                today=today,
                companies=companies.ids,
                types=FORECAST_MOVE_TYPES,
                open=OPEN_PAYMENT_STATES,
                rates=self._rates_sql(rates),
            )
        )
        buckets = [{"expected": 0.0, "promised": 0.0, "planned": 0.0} for _week in range(weeks)]
        later = total = 0.0
        for week, source, amount in rows:
            amount = float(amount or 0.0)
            total += amount
            if week >= weeks:
                later += amount
                continue
            buckets[week]["expected"] += amount
            if source == "promise":
                buckets[week]["promised"] += amount
            elif source == "plan":
                buckets[week]["planned"] += amount
        return {
            "currency": currency.name,
            "currency_id": currency.id,
            "weeks": [
                {
                    "week_start": fields.Date.to_string(first_monday + timedelta(weeks=index)),
                    **{key: currency.round(value) for key, value in bucket.items()},
                }
                for index, bucket in enumerate(buckets)
            ],
            "later": currency.round(later),
            "total_open": currency.round(total),
        }
