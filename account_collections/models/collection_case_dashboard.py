from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import GROUP_USER, check_group
from .collection_aged_receivable import AGING_BUCKETS

TOP_OVERDUE_LIMIT = 10


class CollectionCase(models.Model):
    _inherit = "collection.case"

    @api.model
    def get_dashboard_data(self):
        """Everything the collections dashboard shows, for the user's current companies, converted into
        the currency of the current company. ``total_overdue`` and ``top_overdue`` deduct each customer's
        credits (unapplied payments, credit notes) like its case does; ``buckets`` are the plain aging.

        :return: ``{"date", "currency_id", "currency", "total_due", "total_overdue", "buckets": [{"code",
            "label", "amount"}], "recovered_month", "open_cases", "dso_trend": [{"month", "dso", "cei",
            "receivables", "credit_sales"}], "top_overdue": [{"partner_id", "partner", "amount_overdue",
            "days_overdue", "case_id"}]}``
        """
        check_group(self.env, GROUP_USER, self.env._("read the collections dashboard"))
        today = fields.Date.context_today(self)
        companies = self.env.companies
        currency = self.env.company.currency_id
        rates = {company.id: self._dashboard_rate(company, currency, today) for company in companies}

        aging = self.env["collection.aged.receivable"].get_aging(date=today, company_ids=companies.ids)
        labels = dict(self.env["collection.aged.receivable"]._fields["aging_bucket"]._description_selection(self.env))
        amounts = dict.fromkeys([code for code, _label, _first, _last in AGING_BUCKETS], 0.0)
        for company_aging in aging["companies"]:
            for code in amounts:
                amounts[code] += company_aging["buckets"][code] * rates[company_aging["company_id"]]
        buckets = [
            {"code": code, "label": labels[code], "amount": currency.round(amounts[code])}
            for code, _label, _first, _last in AGING_BUCKETS
        ]
        total_due = sum(amounts.values())
        total_overdue, top_overdue = self._dashboard_overdue(companies, rates, today)

        return {
            "date": fields.Date.to_string(today),
            "currency_id": currency.id,
            "currency": currency.name,
            "total_due": currency.round(total_due),
            "total_overdue": currency.round(total_overdue),
            "buckets": buckets,
            "recovered_month": currency.round(self._dashboard_recovered(companies, rates, today)),
            "open_cases": self.search_count([("state", "=", "open"), ("company_id", "in", companies.ids)]),
            "dso_trend": self._dashboard_dso_trend(companies, rates, today),
            "top_overdue": top_overdue,
        }

    @api.model
    def _dashboard_rate(self, company, currency, date):
        if company.currency_id == currency:
            return 1.0
        return self.env["res.currency"]._get_conversion_rate(company.currency_id, currency, company, date)

    @api.model
    def _rates_sql(self, rates):
        return SQL(
            "(VALUES %s) AS rate(company_id, rate)",
            SQL(", ").join(SQL("(%s, %s::numeric)", company_id, rate) for company_id, rate in rates.items()),
        )

    @api.model
    def _dashboard_recovered(self, companies, rates, today):
        """Payments matched with customer invoices this month (by reconciliation date), company currency."""
        rows = self.env.execute_query(
            SQL(
                """
                SELECT COALESCE(SUM(apr.amount * rate.rate), 0)
                  FROM account_partial_reconcile apr
                  JOIN %(rates)s ON rate.company_id = apr.company_id
                  JOIN account_move_line invoice_line ON invoice_line.id = apr.debit_move_id
                  JOIN account_move invoice ON invoice.id = invoice_line.move_id
                  JOIN account_move_line payment_line ON payment_line.id = apr.credit_move_id
                  JOIN account_move payment ON payment.id = payment_line.move_id
                 WHERE apr.max_date BETWEEN %(month_start)s AND %(today)s
                   AND invoice.move_type IN ('out_invoice', 'out_receipt')
                   AND (payment.origin_payment_id IS NOT NULL OR payment.statement_line_id IS NOT NULL)
                """,
                rates=self._rates_sql(rates),
                month_start=today.replace(day=1),
                today=today,
            )
        )
        return float(rows[0][0])

    @api.model
    def _dashboard_dso_trend(self, companies, rates, today):
        """DSO and CEI per month over the last 12 months, all the companies together."""
        months = {}
        for row in self.env["collection.kpi.month"].get_kpis(company_ids=companies.ids, months=12, date=today):
            month = months.setdefault(
                row["month"],
                {
                    "month": row["month"],
                    "days": row["days"],
                    "opening": 0.0,
                    "closing": 0.0,
                    "current": 0.0,
                    "sales": 0.0,
                },
            )
            rate = rates[row["company_id"]]
            month["opening"] += row["receivable_opening"] * rate
            month["closing"] += row["receivable_closing"] * rate
            month["current"] += row["receivable_current"] * rate
            month["sales"] += row["credit_sales"] * rate
        trend = []
        for month in sorted(months.values(), key=lambda month: month["month"]):
            collectable = month["opening"] + month["sales"] - month["current"]
            trend.append(
                {
                    "month": month["month"],
                    "receivables": round(month["closing"], 2),
                    "credit_sales": round(month["sales"], 2),
                    "dso": round(month["closing"] / month["sales"] * month["days"], 1) if month["sales"] else 0.0,
                    "cei": round((month["opening"] + month["sales"] - month["closing"]) * 100 / collectable, 1)
                    if collectable
                    else 0.0,
                }
            )
        return trend

    @api.model
    def _dashboard_overdue(self, companies, rates, today):
        """What customers owe past due, credits deducted like on their cases (a customer's overdue is at
        most its balance: unapplied payments and credit notes count against it), and the customers owing
        the most, with the case to open.

        :return: ``(total overdue, [{"partner_id", "partner", "amount_overdue", "days_overdue", "case_id"}])``
        """
        aging = self.env["collection.aged.receivable"]
        aging._flush_aging()
        rows = self.env.execute_query_dict(
            SQL(
                """
                WITH per_partner AS (
                    SELECT aging.partner_id,
                           GREATEST(LEAST(
                               SUM(aging.amount_total * rate.rate),
                               SUM((aging.amount_total - aging.amount_current) * rate.rate)
                           ), 0) AS amount_overdue,
                           MAX(aging.days_overdue) FILTER (WHERE aging.amount_total > 0) AS days_overdue
                      FROM (%(aging)s) aging
                      JOIN %(rates)s ON rate.company_id = aging.company_id
                     GROUP BY aging.partner_id
                )
                SELECT partner_id, amount_overdue, days_overdue, SUM(amount_overdue) OVER () AS total_overdue
                  FROM per_partner
                 WHERE amount_overdue > 0
                 ORDER BY amount_overdue DESC, partner_id
                 LIMIT %(limit)s
                """,
                aging=aging._aging_query(today, companies.ids),
                rates=self._rates_sql(rates),
                limit=TOP_OVERDUE_LIMIT,
            )
        )
        total_overdue = float(rows[0]["total_overdue"]) if rows else 0.0
        partners = self.env["res.partner"].browse([row["partner_id"] for row in rows if row["partner_id"]])
        cases = self.search(
            [("state", "=", "open"), ("partner_id", "in", partners.ids), ("company_id", "in", companies.ids)],
            order="amount_overdue desc",
        )
        case_by_partner = {}
        for case in cases:
            case_by_partner.setdefault(case.partner_id.id, case.id)
        currency = self.env.company.currency_id
        partner_names = {partner.id: partner.display_name for partner in partners}
        top = [
            {
                "partner_id": row["partner_id"] or False,
                "partner": partner_names.get(row["partner_id"]) or self.env._("(no customer)"),
                "amount_overdue": currency.round(float(row["amount_overdue"])),
                "days_overdue": max(row["days_overdue"] or 0, 0),
                "case_id": case_by_partner.get(row["partner_id"], False),
            }
            for row in rows
        ]
        return total_overdue, top
