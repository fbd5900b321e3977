from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from ..tools import check_group

# upper bound (days overdue, inclusive) of each aging bucket; the last bucket is open-ended
AGING_LIMITS = (0, 30, 60, 90, 120)
# how far back the statement lists the payments received
PAYMENT_DAYS = 30


class ReportCustomerStatement(models.AbstractModel):
    """Statement of account of customers: open items, aging and recent payments per company and currency."""

    _name = "report.account_collections.report_customer_statement"
    _description = "Customer Statement"

    @api.model
    def _get_report_values(self, docids, data=None):
        # the statement reads the ledger with SQL, past the record rules: invoicing users only
        # (the portal renders the customer's own statement as superuser)
        check_group(self.env, "account.group_account_invoice", self.env._("print a customer statement"))
        partners = self.env["res.partner"].browse(docids)
        today = fields.Date.context_today(self)
        return {
            "doc_ids": docids,
            "doc_model": "res.partner",
            "docs": partners,
            "today": today,
            "payment_since": today - timedelta(days=PAYMENT_DAYS),
            "statements": self._get_statements(partners.commercial_partner_id, today),
        }

    @api.model
    def _aging_bucket(self, days_overdue):
        """Index of the aging bucket: 0 current (not yet overdue), 1-30, 31-60, 61-90, 91-120, 5 over 120 days."""
        return next((index for index, limit in enumerate(AGING_LIMITS) if days_overdue <= limit), len(AGING_LIMITS))

    @api.model
    def _get_statements(self, partners, today):
        """Statements of the commercial partners in the user's companies, from one SQL pass over their
        receivable lines.

        :return: ``{partner id: [statement, ...]}``, one statement per company and currency, each a dict
            with ``company``, ``currency``, ``lines`` (open items), ``aging`` (6 amounts), ``total``,
            ``overdue``, ``payments`` (received in the last 30 days) and ``total_payments``
        """
        # the statement reads the ledger with SQL: check the ORM rights the query bypasses
        self.env["account.move.line"].check_access("read")
        self.env["account.move.line"].flush_model()
        self.env["account.move"].flush_model()
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        since = today - timedelta(days=PAYMENT_DAYS)
        rows = self.env.execute_query_dict(
            SQL(
                """
                SELECT aml.id,
                       p.commercial_partner_id AS partner_id,
                       aml.company_id,
                       aml.currency_id,
                       m.name AS move_name,
                       m.move_type,
                       COALESCE(m.ref, '') AS ref,
                       COALESCE(m.invoice_date, aml.date) AS date,
                       COALESCE(aml.date_maturity, aml.date) AS date_maturity,
                       %(today)s::date - COALESCE(aml.date_maturity, aml.date) AS days_overdue,
                       aml.date AS payment_date,
                       aml.amount_currency,
                       aml.amount_residual_currency,
                       (aml.reconciled IS NOT TRUE AND aml.amount_residual_currency != 0) AS is_open,
                       (m.origin_payment_id IS NOT NULL OR m.statement_line_id IS NOT NULL) AS is_payment
                  FROM account_move_line aml
                  JOIN account_account acc ON acc.id = aml.account_id
                  JOIN res_partner p ON p.id = aml.partner_id
                  JOIN account_move m ON m.id = aml.move_id
                 WHERE acc.account_type = 'asset_receivable'
                   AND aml.parent_state = 'posted'
                   AND p.commercial_partner_id = ANY(%(partners)s)
                   AND aml.company_id = ANY(%(companies)s)
                   AND (
                        (aml.reconciled IS NOT TRUE AND aml.amount_residual_currency != 0)
                        OR (
                            (m.origin_payment_id IS NOT NULL OR m.statement_line_id IS NOT NULL)
                            AND aml.balance < 0
                            AND aml.date BETWEEN %(since)s AND %(today)s
                        )
                   )
              ORDER BY COALESCE(aml.date_maturity, aml.date), m.name, aml.id
                """,
                today=today,
                since=since,
                partners=partners.ids,
                companies=self.env.companies.ids,
            )
        )
        companies = {company.id: company for company in self.env["res.company"].browse({r["company_id"] for r in rows})}
        currencies = {curr.id: curr for curr in self.env["res.currency"].browse({r["currency_id"] for r in rows})}
        statements = {}
        for row in rows:
            key = (row["partner_id"], row["company_id"], row["currency_id"])
            statement = statements.get(key)
            if statement is None:
                statement = statements[key] = {
                    "company": companies[row["company_id"]],
                    "currency": currencies[row["currency_id"]],
                    "lines": [],
                    "aging": [0.0] * (len(AGING_LIMITS) + 1),
                    "payments": [],
                }
            row["kind"] = self._line_kind(row)
            if row["is_open"]:
                statement["lines"].append(row)
                statement["aging"][self._aging_bucket(row["days_overdue"])] += row["amount_residual_currency"]
            if row["is_payment"] and row["amount_currency"] < 0 and since <= row["payment_date"] <= today:
                statement["payments"].append(row)
        result = defaultdict(list)
        for (partner_id, _company_id, _currency_id), statement in sorted(
            statements.items(), key=lambda item: (item[1]["company"].sequence, item[0][1], item[1]["currency"].name)
        ):
            currency = statement["currency"]
            statement["aging"] = [currency.round(amount) for amount in statement["aging"]]
            statement["total"] = currency.round(sum(statement["aging"]))
            statement["overdue"] = currency.round(statement["total"] - statement["aging"][0])
            statement["total_payments"] = currency.round(-sum(row["amount_currency"] for row in statement["payments"]))
            result[partner_id].append(statement)
        return dict(result)

    @api.model
    def _line_kind(self, row):
        """Kind of document of a ledger row, a stable code the template turns into a translated label."""
        if row["move_type"] in ("out_invoice", "out_receipt"):
            return "invoice"
        if row["move_type"] == "out_refund":
            return "credit_note"
        if row["is_payment"]:
            return "payment"
        return "entry"
