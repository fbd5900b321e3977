from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, date_utils

from ..tools import GROUP_USER, check_date, check_group


class CollectionKpiMonth(models.Model):
    """Days sales outstanding and collection effectiveness per company and month, in company currency.

    Read from the ledger on the fly for the last ``kpi_months`` months (context, default 12) up to
    ``kpi_date`` (context, default today); the current month ends on that date.

    - receivables: balance of the receivable accounts at the end of the period;
    - credit sales: receivables booked by customer invoices, net of credit notes, in the period;
    - DSO = closing receivables / credit sales x days in the period;
    - CEI = (opening receivables + credit sales - closing receivables)
      / (opening receivables + credit sales - closing receivables not yet due) x 100.
    """

    _name = "collection.kpi.month"
    _description = "Collection KPIs per Month"
    _auto = False
    _order = "company_id, month"
    _rec_name = "month"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Currency", readonly=True)
    month = fields.Date(readonly=True, help="First day of the month.")
    period_end = fields.Date(readonly=True, help="Last day of the month, or the report date in the current month.")
    days = fields.Integer(readonly=True, aggregator="max", help="Days in the period.")
    receivable_opening = fields.Monetary(string="Opening Receivables", readonly=True)
    receivable_closing = fields.Monetary(string="Receivables", readonly=True)
    receivable_current = fields.Monetary(string="Receivables Not Yet Due", readonly=True)
    credit_sales = fields.Monetary(readonly=True)
    collected = fields.Monetary(readonly=True, help="Opening receivables + credit sales - closing receivables.")
    dso = fields.Float(string="DSO", digits=(16, 1), readonly=True, aggregator="avg")
    cei = fields.Float(string="CEI (%)", digits=(16, 1), readonly=True, aggregator="avg")

    _depends = {
        "account.move.line": [
            "account_id",
            "company_id",
            "date",
            "date_maturity",
            "parent_state",
            "balance",
            "move_id",
        ],
        "account.move": ["move_type"],
        "account.partial.reconcile": ["debit_move_id", "credit_move_id", "amount", "max_date"],
        "account.account": ["account_type"],
    }

    @property
    def _table_query(self):
        date = self.env.context.get("kpi_date")
        date = fields.Date.to_date(date) if date else fields.Date.context_today(self)
        return self._kpi_query(date, int(self.env.context.get("kpi_months") or 12))

    @api.model
    def _kpi_query(self, date, months, company_ids=None):
        company_filter = SQL("AND aml.company_id = ANY(%s)", list(company_ids)) if company_ids else SQL()
        month_company_filter = SQL("WHERE company.id = ANY(%s)", list(company_ids)) if company_ids else SQL()
        receivable_accounts = SQL("SELECT id FROM account_account WHERE account_type = 'asset_receivable'")
        return SQL(
            """
            WITH months AS (
                SELECT company.id AS company_id,
                       company.currency_id,
                       gs::date AS month,
                       LEAST((gs + INTERVAL '1 month' - INTERVAL '1 day')::date, %(date)s::date) AS period_end
                  FROM res_company company
                 CROSS JOIN generate_series(
                           date_trunc('month', %(date)s::date) - %(back)s * INTERVAL '1 month',
                           date_trunc('month', %(date)s::date),
                           INTERVAL '1 month'
                       ) gs
                 %(month_company_filter)s
            ),
            movements AS (
                SELECT aml.company_id,
                       date_trunc('month', aml.date)::date AS month,
                       SUM(aml.balance) AS movement,
                       SUM(aml.balance) FILTER (
                           WHERE move.move_type IN ('out_invoice', 'out_refund', 'out_receipt')
                       ) AS sales
                  FROM account_move_line aml
                  JOIN account_move move ON move.id = aml.move_id
                 WHERE aml.account_id IN (%(receivable_accounts)s)
                   AND aml.parent_state = 'posted'
                   AND aml.date <= %(date)s
                   %(company_filter)s
                 GROUP BY aml.company_id, date_trunc('month', aml.date)
            ),
            not_due AS (
                SELECT months.company_id, months.month,
                       SUM(aml.balance - COALESCE(debit_part.amount, 0) + COALESCE(credit_part.amount, 0)) AS amount
                  FROM months
                  JOIN account_move_line aml
                    ON aml.company_id = months.company_id
                   AND aml.date <= months.period_end
                   AND aml.date_maturity > months.period_end
                  LEFT JOIN LATERAL (
                        SELECT SUM(apr.amount) AS amount
                          FROM account_partial_reconcile apr
                         WHERE apr.debit_move_id = aml.id AND apr.max_date <= months.period_end
                  ) debit_part ON TRUE
                  LEFT JOIN LATERAL (
                        SELECT SUM(apr.amount) AS amount
                          FROM account_partial_reconcile apr
                         WHERE apr.credit_move_id = aml.id AND apr.max_date <= months.period_end
                  ) credit_part ON TRUE
                 WHERE aml.account_id IN (%(receivable_accounts)s)
                   AND aml.parent_state = 'posted'
                   AND aml.date_maturity > %(window_end)s
                   AND aml.date <= %(date)s
                 GROUP BY months.company_id, months.month
            ),
            openings AS (
                SELECT months.company_id, months.month, COALESCE(SUM(mv.movement), 0) AS amount
                  FROM months
                  LEFT JOIN movements mv ON mv.company_id = months.company_id AND mv.month < months.month
                 GROUP BY months.company_id, months.month
            ),
            periods AS MATERIALIZED (
                SELECT months.company_id,
                       months.currency_id,
                       months.month,
                       months.period_end,
                       months.period_end - months.month + 1 AS days,
                       openings.amount AS receivable_opening,
                       COALESCE(this.movement, 0) AS movement,
                       COALESCE(this.sales, 0) AS credit_sales,
                       COALESCE(not_due.amount, 0) AS receivable_current
                  FROM months
                  JOIN openings ON openings.company_id = months.company_id AND openings.month = months.month
                  LEFT JOIN movements this ON this.company_id = months.company_id AND this.month = months.month
                  LEFT JOIN not_due ON not_due.company_id = months.company_id AND not_due.month = months.month
            )
            SELECT ROW_NUMBER() OVER (ORDER BY company_id, month) AS id,
                   company_id,
                   currency_id,
                   month,
                   period_end,
                   days,
                   receivable_opening,
                   receivable_opening + movement AS receivable_closing,
                   receivable_current,
                   credit_sales,
                   receivable_opening + credit_sales - (receivable_opening + movement) AS collected,
                   COALESCE((receivable_opening + movement) / NULLIF(credit_sales, 0) * days, 0) AS dso,
                   COALESCE(
                       (receivable_opening + credit_sales - (receivable_opening + movement)) * 100
                       / NULLIF(receivable_opening + credit_sales - receivable_current, 0),
                       0
                   ) AS cei
              FROM periods
            """,
            date=date,
            # the end of the first month: what is due before it is never "not yet due" in the window
            window_end=date_utils.end_of(date - relativedelta(months=months - 1), "month"),
            back=months - 1,
            month_company_filter=month_company_filter,
            company_filter=company_filter,
            receivable_accounts=receivable_accounts,
        )

    @api.model
    def get_kpis(self, company_ids=None, months=12, date=None):
        """DSO and CEI per company and month for the ``months`` months up to ``date`` (default today).

        :return: list of dicts ``{"company_id", "company", "currency", "month" (ISO first day),
            "period_end", "days", "receivable_opening", "receivable_closing", "receivable_current",
            "credit_sales", "collected", "dso", "cei"}`` ordered by company and month
        """
        check_group(self.env, GROUP_USER, self.env._("read the collection KPIs"))
        if not isinstance(months, int) or not 1 <= months <= 120:
            raise UserError(self.env._("Collection KPIs: months must be a whole number from 1 to 120, not %s.", months))
        date = check_date(self.env, date, self.env._("Collection KPIs")) or fields.Date.context_today(self)
        companies = self.env["collection.aged.receivable"]._check_aging_companies(company_ids)
        self.env["account.move.line"].check_access("read")
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model(["move_type"])
        self.env["account.partial.reconcile"].flush_model()
        rows = self.env.execute_query_dict(
            SQL("SELECT * FROM (%s) kpi ORDER BY company_id, month", self._kpi_query(date, months, companies.ids))
        )
        names = {company.id: (company.name, company.currency_id.name) for company in companies}
        result = []
        for row in rows:
            company_name, currency = names[row["company_id"]]
            result.append(
                {
                    "company_id": row["company_id"],
                    "company": company_name,
                    "currency": currency,
                    "month": fields.Date.to_string(row["month"]),
                    "period_end": fields.Date.to_string(row["period_end"]),
                    "days": row["days"],
                    **{
                        key: round(float(row[key] or 0.0), 2)
                        for key in (
                            "receivable_opening",
                            "receivable_closing",
                            "receivable_current",
                            "credit_sales",
                            "collected",
                            "dso",
                            "cei",
                        )
                    },
                }
            )
        return result
