from odoo import api, fields, models
from odoo.tools import SQL, create_index

from ..tools import GROUP_USER, check_companies, check_date, check_group

# (code, label, first day overdue, last day overdue); None = open-ended. "current" is not yet due
# (due on or after the as-of date): day 0 is current, day 1 is the first day past due.
AGING_BUCKETS = (
    ("current", "Current", None, 0),
    ("1_30", "1-30", 1, 30),
    ("31_60", "31-60", 31, 60),
    ("61_90", "61-90", 61, 90),
    ("91_120", "91-120", 91, 120),
    ("120_plus", "120+", 121, None),
)


class CollectionAgedReceivable(models.Model):
    """Open receivable items as of a date, one row per journal item, in company currency.

    The as-of date comes from the context key ``aging_date`` (default: today), so that the pivot and
    graph views, which read through ``_read_group``, show the ledger as it stood on that date: items
    booked after it are left out, and reconciliations with counterparts dated after it are undone.
    """

    _name = "collection.aged.receivable"
    _description = "Aged Receivables"
    _auto = False
    _rec_name = "move_id"
    _order = "date_maturity, id"

    move_line_id = fields.Many2one("account.move.line", string="Journal Item", readonly=True)
    move_id = fields.Many2one("account.move", string="Entry", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    company_currency_id = fields.Many2one("res.currency", string="Company Currency", readonly=True)
    currency_id = fields.Many2one("res.currency", string="Currency", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    collector_id = fields.Many2one("res.users", string="Collector", readonly=True)
    country_id = fields.Many2one("res.country", string="Country", readonly=True)
    date = fields.Date(readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(readonly=True, aggregator="max", help="Days past due on the as-of date.")
    aging_bucket = fields.Selection([(code, label) for code, label, _first, _last in AGING_BUCKETS], readonly=True)
    amount_residual_currency = fields.Monetary(
        string="Open in Currency", currency_field="currency_id", readonly=True, aggregator=None
    )
    amount_current = fields.Monetary(string="Current", currency_field="company_currency_id", readonly=True)
    amount_1_30 = fields.Monetary(string="1-30", currency_field="company_currency_id", readonly=True)
    amount_31_60 = fields.Monetary(string="31-60", currency_field="company_currency_id", readonly=True)
    amount_61_90 = fields.Monetary(string="61-90", currency_field="company_currency_id", readonly=True)
    amount_91_120 = fields.Monetary(string="91-120", currency_field="company_currency_id", readonly=True)
    amount_120_plus = fields.Monetary(string="120+", currency_field="company_currency_id", readonly=True)
    amount_total = fields.Monetary(string="Total", currency_field="company_currency_id", readonly=True)

    _depends = {
        "account.move.line": [
            "move_id",
            "account_id",
            "partner_id",
            "company_id",
            "currency_id",
            "date",
            "date_maturity",
            "parent_state",
            "reconciled",
            "amount_residual",
            "amount_residual_currency",
        ],
        "account.move": ["invoice_user_id"],
        "account.partial.reconcile": [
            "debit_move_id",
            "credit_move_id",
            "amount",
            "debit_amount_currency",
            "credit_amount_currency",
            "max_date",
            "company_id",
        ],
        "account.account": ["account_type"],
        "res.partner": ["commercial_partner_id", "country_id", "collection_user_id"],
    }

    def init(self):
        # the as-of query looks up the reconciliations dated after the as-of date
        create_index(
            self.env.cr,
            "account_partial_reconcile_max_date_index",
            "account_partial_reconcile",
            ["max_date"],
        )

    @api.model
    def _aging_date(self):
        date = self.env.context.get("aging_date")
        return fields.Date.to_date(date) if date else fields.Date.context_today(self)

    @property
    def _table_query(self):
        return self._aging_query(self._aging_date())

    @api.model
    def _aging_query(self, date, company_ids=None):
        """One row per receivable item open on ``date``, with its residual on that date.

        The residual as of the date is today's residual plus what reconciliations with a counterpart
        dated after the date took off it (``max_date`` of a partial is the later of its two lines).
        """
        company_filter = SQL("AND aml.company_id = ANY(%s)", list(company_ids)) if company_ids else SQL()
        days = SQL("(%s::date - aml.date_maturity)", date)
        residual = SQL("aml.residual")
        bucket_amounts = []
        bucket_case = []
        for code, _label, first, last in AGING_BUCKETS:
            if first is None:
                condition = SQL("%s <= %s", days, last)
            elif last is None:
                condition = SQL("%s >= %s", days, first)
            else:
                condition = SQL("%s BETWEEN %s AND %s", days, first, last)
            bucket_amounts.append(
                SQL("CASE WHEN %s THEN %s ELSE 0 END AS %s", condition, residual, SQL.identifier(f"amount_{code}"))
            )
            bucket_case.append(SQL("WHEN %s THEN %s", condition, code))
        line_columns = SQL(
            """aml.id, aml.move_id, aml.company_id, aml.company_currency_id, aml.currency_id, aml.partner_id,
               aml.date, COALESCE(aml.date_maturity, aml.date) AS date_maturity"""
        )
        # the receivable accounts as constants: the planner then estimates the open lines well enough to
        # read them through the partial index of unreconciled lines
        receivable_ids = [
            account_id
            for (account_id,) in self.env.execute_query(
                SQL("SELECT id FROM account_account WHERE account_type = 'asset_receivable' ORDER BY id")
            )
        ]
        line_filter = SQL(
            """aml.account_id = ANY(%s)
               AND aml.parent_state = 'posted'
               AND aml.date <= %s
               %s""",
            receivable_ids,
            date,
            company_filter,
        )
        return SQL(
            """
            WITH later_parts AS (
                SELECT apr.debit_move_id AS line_id, apr.amount, apr.debit_amount_currency AS amount_currency
                  FROM account_partial_reconcile apr
                 WHERE apr.max_date > %(date)s
                UNION ALL
                SELECT apr.credit_move_id, -apr.amount, -apr.credit_amount_currency
                  FROM account_partial_reconcile apr
                 WHERE apr.max_date > %(date)s
            ),
            later AS (
                SELECT line_id, SUM(amount) AS amount, SUM(amount_currency) AS amount_currency
                  FROM later_parts
                 GROUP BY line_id
            ),
            open_lines AS (
                -- open today (through the partial index on unreconciled lines), plus what was taken off later
                SELECT %(line_columns)s,
                       aml.amount_residual + COALESCE(later.amount, 0) AS residual,
                       aml.amount_residual_currency + COALESCE(later.amount_currency, 0) AS residual_currency
                  FROM account_move_line aml
                  LEFT JOIN later ON later.line_id = aml.id
                 WHERE aml.reconciled IS NOT TRUE AND %(line_filter)s
                UNION ALL
                -- settled today, but by a counterpart dated after the date
                SELECT %(line_columns)s,
                       aml.amount_residual + later.amount,
                       aml.amount_residual_currency + later.amount_currency
                  FROM later
                  JOIN account_move_line aml ON aml.id = later.line_id
                 WHERE aml.reconciled AND %(line_filter)s
            )
            SELECT aml.id AS id,
                   aml.id AS move_line_id,
                   aml.move_id,
                   aml.company_id,
                   aml.company_currency_id,
                   aml.currency_id,
                   partner.commercial_partner_id AS partner_id,
                   move.invoice_user_id AS user_id,
                   (commercial.collection_user_id ->> aml.company_id::text)::integer AS collector_id,
                   commercial.country_id,
                   aml.date,
                   aml.date_maturity,
                   %(days)s AS days_overdue,
                   CASE %(bucket_case)s END AS aging_bucket,
                   aml.residual_currency AS amount_residual_currency,
                   %(bucket_amounts)s,
                   aml.residual AS amount_total
              FROM open_lines aml
              JOIN account_move move ON move.id = aml.move_id
              LEFT JOIN res_partner partner ON partner.id = aml.partner_id
              LEFT JOIN res_partner commercial ON commercial.id = partner.commercial_partner_id
             WHERE aml.residual != 0
            """,
            date=date,
            days=days,
            bucket_amounts=SQL(", ").join(bucket_amounts),
            bucket_case=SQL(" ").join(bucket_case),
            line_columns=line_columns,
            line_filter=line_filter,
        )

    @api.model
    def _check_aging_companies(self, company_ids):
        """The companies of a report: those passed if they are the caller's, else the current ones."""
        return check_companies(self.env, company_ids, self.env._("read the aged receivables")).with_env(self.env)

    @api.model
    def get_aging(self, date=None, company_ids=None):
        """Totals of open receivables per aging bucket as of ``date``, in one set-based query.

        :param date: ISO date string (or date); default today
        :param company_ids: ids of the companies to include; default the user's current companies
        :return: ``{"date", "buckets": {bucket: amount, "total": amount}, "partner_count", "line_count",
            "companies": [{"company_id", "company", "currency", "buckets", "partner_count",
            "line_count"}]}``; amounts in each company's currency (the overall ``buckets`` add them up
            as they are, meaningful when the companies share a currency)
        """
        check_group(self.env, GROUP_USER, self.env._("read the aged receivables"))
        date = check_date(self.env, date, self.env._("Aged receivables")) or fields.Date.context_today(self)
        companies = self._check_aging_companies(company_ids)
        # one query over the ledger: check the ORM rights it bypasses
        self.env["account.move.line"].check_access("read")
        self._flush_aging()
        codes = [code for code, _label, _first, _last in AGING_BUCKETS]
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT company_id, %(sums)s, SUM(amount_total) AS total,
                       COUNT(DISTINCT partner_id) AS partner_count, COUNT(*) AS line_count
                  FROM (%(aging)s) aging
                 GROUP BY GROUPING SETS ((company_id), ())
                """,
                sums=SQL(", ").join(
                    SQL("SUM(%s) AS %s", SQL.identifier(f"amount_{code}"), SQL.identifier(code)) for code in codes
                ),
                aging=self._aging_query(date, companies.ids),
            )
        )

        def buckets(row):
            values = {code: float(row[code] or 0.0) for code in codes}
            values["total"] = float(row["total"] or 0.0)
            return values

        overall = next((row for row in rows if row["company_id"] is None), None)
        per_company = {row["company_id"]: row for row in rows if row["company_id"] is not None}
        result = {
            "date": fields.Date.to_string(date),
            "buckets": buckets(overall) if overall else dict.fromkeys([*codes, "total"], 0.0),
            "partner_count": overall["partner_count"] if overall else 0,
            "line_count": overall["line_count"] if overall else 0,
            "companies": [],
        }
        for company in companies:
            row = per_company.get(company.id)
            result["companies"].append(
                {
                    "company_id": company.id,
                    "company": company.name,
                    "currency": company.currency_id.name,
                    "buckets": buckets(row) if row else dict.fromkeys([*codes, "total"], 0.0),
                    "partner_count": row["partner_count"] if row else 0,
                    "line_count": row["line_count"] if row else 0,
                }
            )
        return result

    @api.model
    def _flush_aging(self):
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model(["invoice_user_id"])
        self.env["account.partial.reconcile"].flush_model()
        self.env["res.partner"].flush_model(["commercial_partner_id", "country_id", "collection_user_id"])

    @api.model
    def _partner_aging(self, date, companies):
        """Aging per company and commercial partner (for the PDF and XLSX exports), largest total first.

        :return: ``{company id: [{"partner_id", "partner", <bucket code>: amount, ..., "total"}]}``
        """
        self.env["account.move.line"].check_access("read")
        self._flush_aging()
        codes = [code for code, _label, _first, _last in AGING_BUCKETS]
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT aging.company_id, aging.partner_id, COALESCE(partner.name, '') AS partner,
                       %(sums)s, SUM(aging.amount_total) AS total
                  FROM (%(aging)s) aging
                  LEFT JOIN res_partner partner ON partner.id = aging.partner_id
                 GROUP BY aging.company_id, aging.partner_id, partner.name
                 ORDER BY aging.company_id, SUM(aging.amount_total) DESC, partner.name
                """,
                sums=SQL(", ").join(
                    SQL("SUM(aging.%s) AS %s", SQL.identifier(f"amount_{code}"), SQL.identifier(code)) for code in codes
                ),
                aging=self._aging_query(date, companies.ids),
            )
        )
        result = {company.id: [] for company in companies}
        for row in rows:
            result[row.pop("company_id")].append(
                {key: float(value or 0.0) if key in codes or key == "total" else value for key, value in row.items()}
            )
        return result
