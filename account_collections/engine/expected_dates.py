"""Step: the expected payment date of every open customer invoice.

After the agreements settled, each open customer invoice of the run's companies gets the date
its customer is expected to pay it (``account.move.collection_expected_base_date``) and where that
date comes from (``collection_expected_source``), the first of:

1. ``promise``: the promised date of an open promise to pay covering it;
2. ``plan``: the due date of the installment of an active payment plan that completes its
   payment (the plan's invoices, oldest due first, are paid off by its open installments in
   order, in proportion to their open amounts);
3. ``settlement``: the deadline of a live settlement offer (offered or accepted) covering it;
4. ``behaviour``: the due date plus the customer's usual days late: the recency-weighted median
   of the days late (payment date minus due date; negative when paid early) of its last 12
   invoices fully paid to the company, weights 12 for the last one paid down to 1 for the 12th;
   a customer with fewer than 3 fully paid invoices takes the company's median (plain median of
   the invoices fully paid to it in the last 365 days; none: the due date).

An invoice is fully paid on the date of its last reconciliation (``max_date`` of the partial
reconciliations of its receivable lines), as for the customer's payment behaviour
(``res_partner_behaviour.py``).

The date is stored as computed, even once passed: what users see (``collection_expected_date``),
the forecast and its report move a passed date to today when they read it. Stored moved to the
run date, most overdue invoices would change every day (on the benchmark's ledger of 50,000
invoices, 41,000 rows written each run, 5 s); stored as computed, a run writes only what its
inputs changed.

The dates are computed in a few set-based queries over all the open invoices of the run's
companies (one per source), compared with what is stored, and only the changes are written, in
one statement (``bulk_update``); invoices no longer open lose their date. The same weighted
median, computed as of the invoices' posting dates, makes the back-test (``_forecast_backtest``).
"""

import logging
from datetime import timedelta

from odoo.tools import SQL

from ..models.bulk_sql import bulk_update

_logger = logging.getLogger(__name__)

# the customer invoices that get an expected payment date, while open
FORECAST_MOVE_TYPES = ("out_invoice", "out_receipt")
OPEN_PAYMENT_STATES = ("not_paid", "partial")
# the customer's history: its last HISTORY_SIZE fully paid invoices, weighted HISTORY_SIZE (the
# last one paid) down to 1; with fewer than HISTORY_MIN of them, the company's median
HISTORY_SIZE = 12
HISTORY_MIN = 3
# the company's median: the invoices fully paid to it in these last days
COMPANY_HISTORY_DAYS = 365
# the back-test: the invoices fully paid in these last days
BACKTEST_DAYS = 90


class ExpectedDatesStep:
    """Step: each open customer invoice gets its expected payment date and its source."""

    # a mixin of the model: no instance dict, like the model (models.BaseModel.__slots__)
    __slots__ = ()

    def _expected_dates(self, run):
        """Compute the expected payment dates of the open invoices of ``run.companies`` as of
        ``run.today`` and write those that changed; returns how many invoices changed."""
        # sudo: the dates are derived from the ledger and the agreements, whoever launched the run
        Move = self.env["account.move"].sudo()
        self.env.flush_all()
        computed = self._expected_dates_of(run.companies, run.today)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT id, collection_expected_base_date, collection_expected_source
                  FROM account_move
                 WHERE company_id = ANY(%(companies)s)
                   AND (collection_expected_base_date IS NOT NULL
                        OR (move_type IN %(types)s AND state = 'posted' AND payment_state IN %(open)s))
                """,
                companies=run.companies.ids,
                types=FORECAST_MOVE_TYPES,
                open=OPEN_PAYMENT_STATES,
            )
        )
        changes = {}
        for move_id, stored_date, stored_source in rows:
            new_date, new_source = computed.get(move_id, (None, None))
            if (stored_date, stored_source) != (new_date, new_source):
                changes[move_id] = {"collection_expected_base_date": new_date, "collection_expected_source": new_source}
        bulk_update(Move, changes)
        _logger.info("Expected payment dates for %s: %s invoices changed", run.today, len(changes))
        return len(changes)

    def _expected_dates_of(self, companies, today, move_ids=None):
        """{invoice id: (expected date, source)} of the open customer invoices of ``companies``
        (of them, ``move_ids`` only when given), with their customers' history up to ``today``
        (the date may be before ``today``)."""
        result = {}
        for source, dates in (
            ("promise", self._expected_promise_dates(companies)),
            ("plan", self._expected_plan_dates(companies)),
            ("settlement", self._expected_settlement_dates(companies)),
        ):
            for move_id, day in dates.items():
                if move_id not in result:
                    result[move_id] = (day, source)
        targets = SQL(
            """
            SELECT m.id, m.company_id, m.commercial_partner_id AS partner_id,
                   COALESCE(m.invoice_date_due, m.invoice_date, m.date) AS due_date,
                   %(before)s::date AS before_date
              FROM account_move m
             WHERE %(open)s %(only)s
            """,
            before=today + timedelta(days=1),
            open=self._open_invoices_sql(companies),
            only=SQL("AND m.id = ANY(%s)", list(move_ids)) if move_ids is not None else SQL(),
        )
        for move_id, (day, _customer) in self._behaviour_dates(targets).items():
            if move_id not in result:
                result[move_id] = (day, "behaviour")
        return result

    def _open_invoices_sql(self, companies, alias="m"):
        """SQL condition: the move ``alias`` is an open customer invoice of ``companies``."""
        return SQL(
            """
            %(m)s.company_id = ANY(%(companies)s) AND %(m)s.move_type IN %(types)s
            AND %(m)s.state = 'posted' AND %(m)s.payment_state IN %(open)s
            """,
            m=SQL.identifier(alias),
            companies=companies.ids,
            types=FORECAST_MOVE_TYPES,
            open=OPEN_PAYMENT_STATES,
        )

    def _expected_promise_dates(self, companies):
        """{invoice id: promised date} of the open invoices an open promise covers."""
        rows = self.env.execute_query(
            SQL(
                """
                SELECT rel.move_id, MIN(p.promised_date)
                  FROM collection_promise_account_move_rel rel
                  JOIN collection_promise p ON p.id = rel.promise_id
                  JOIN account_move m ON m.id = rel.move_id
                 WHERE p.state = 'open' AND %(open)s
                 GROUP BY rel.move_id
                """,
                open=self._open_invoices_sql(companies),
            )
        )
        return dict(rows)

    def _expected_settlement_dates(self, companies):
        """{invoice id: deadline} of the open invoices a live settlement offer covers."""
        # imported here: the engine is imported before the models, this one needs the agreement mixin
        from ..models.collection_settlement import LIVE_STATES  # noqa: PLC0415

        rows = self.env.execute_query(
            SQL(
                """
                SELECT rel.move_id, MIN(s.deadline)
                  FROM collection_settlement_account_move_rel rel
                  JOIN collection_settlement s ON s.id = rel.settlement_id
                  JOIN account_move m ON m.id = rel.move_id
                 WHERE s.state IN %(live)s AND s.deadline IS NOT NULL AND %(open)s
                 GROUP BY rel.move_id
                """,
                live=LIVE_STATES,
                open=self._open_invoices_sql(companies),
            )
        )
        return dict(rows)

    def _expected_plan_dates(self, companies):
        """{invoice id: installment due date} of the open invoices of active payment plans.

        The plan's open installments (oldest first) pay off its open invoices (oldest due first):
        an invoice is expected on the due date of the installment that brings the share of the
        plan paid up to the share of its open amount reached with that invoice (amounts compared
        as shares, the plan and its invoices may count in different currencies); past the last
        open installment, the plan's last installment."""
        rows = self.env.execute_query(
            SQL(
                """
                WITH plan_moves AS (
                    SELECT rel.plan_id, m.id AS move_id,
                           SUM(ABS(m.amount_residual_signed)) OVER (
                               PARTITION BY rel.plan_id ORDER BY m.invoice_date_due, m.id) AS upto,
                           SUM(ABS(m.amount_residual_signed)) OVER (PARTITION BY rel.plan_id) AS total
                      FROM collection_payment_plan_invoice_rel rel
                      JOIN collection_payment_plan p ON p.id = rel.plan_id AND p.state = 'active'
                      JOIN account_move m ON m.id = rel.move_id
                     WHERE %(open)s
                ), plan_lines AS (
                    SELECT l.plan_id, l.due_date,
                           SUM(l.amount - COALESCE(l.amount_paid, 0)) OVER (
                               PARTITION BY l.plan_id ORDER BY l.due_date, l.sequence, l.id) AS upto,
                           SUM(l.amount - COALESCE(l.amount_paid, 0)) OVER (PARTITION BY l.plan_id) AS total
                      FROM collection_payment_plan_line l
                     WHERE l.amount > COALESCE(l.amount_paid, 0)
                       AND l.plan_id IN (SELECT plan_id FROM plan_moves)
                )
                SELECT pm.move_id,
                       COALESCE(MIN(pl.due_date) FILTER (
                                    WHERE pl.upto / pl.total >= pm.upto / NULLIF(pm.total, 0) - 0.000001),
                                MAX(pl.due_date),
                                (SELECT MAX(l.due_date) FROM collection_payment_plan_line l
                                  WHERE l.plan_id = pm.plan_id))
                  FROM plan_moves pm
                  LEFT JOIN plan_lines pl ON pl.plan_id = pm.plan_id
                 GROUP BY pm.move_id, pm.plan_id
                """,
                open=self._open_invoices_sql(companies),
            )
        )
        result = {}
        for move_id, day in rows:
            if day and (move_id not in result or day < result[move_id]):
                result[move_id] = day
        return result

    def _behaviour_dates(self, targets):
        """The behaviour forecast of ``targets``: {invoice id: (due date plus the usual days late,
        whether the customer's own history decided it, not the company's median)}.

        :param targets: SQL of the rows (id, company_id, partner_id, due_date, before_date): the
            invoices to forecast, each with the history counted (invoices fully paid before its
            ``before_date``)
        """
        customer, company = {}, {}
        for kind, company_id, partner_id, before_date, days_late in self.env.execute_query(
            self._behaviour_medians_sql(targets)
        ):
            if kind == "customer":
                customer[company_id, partner_id, before_date] = days_late
            else:
                company[company_id, before_date] = days_late
        # the medians joined to the invoices here: the planner, which estimates each CTE at a few
        # rows, joined them in SQL by a merge join rescanning the customers' medians for each invoice
        # (2 s for 41,000 invoices)
        result = {}
        for move_id, company_id, partner_id, due_date, before_date in self.env.execute_query(targets):
            late = customer.get((company_id, partner_id, before_date))
            if late is not None:
                result[move_id] = (due_date + timedelta(days=late), True)
            else:
                result[move_id] = (due_date + timedelta(days=company.get((company_id, before_date)) or 0), False)
        return result

    def _behaviour_medians_sql(self, targets):
        """SQL of the medians the behaviour forecast of ``targets`` needs: rows ("customer",
        company, customer, before date, weighted median days late) of the customers with at least
        ``HISTORY_MIN`` fully paid invoices before the date, and ("company", company, None, before
        date, median days late) of the companies."""
        return SQL(
            """
            WITH targets AS MATERIALIZED (%(targets)s),
            paid AS (
                SELECT m.id, m.company_id, m.commercial_partner_id AS partner_id,
                       MAX(apr.max_date) AS paid_date,
                       MAX(apr.max_date) - COALESCE(m.invoice_date_due, m.invoice_date, m.date) AS days_late
                  FROM account_move m
                  JOIN account_move_line aml ON aml.move_id = m.id AND aml.display_type = 'payment_term'
                  JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
                 WHERE m.move_type IN %(types)s
                   AND m.state = 'posted'
                   AND m.payment_state IN ('paid', 'in_payment')
                   AND m.company_id IN (SELECT DISTINCT company_id FROM targets)
                 GROUP BY m.id
            ), customer_keys AS (
                SELECT DISTINCT company_id, partner_id, before_date FROM targets
            ), history AS (
                SELECT k.company_id, k.partner_id, k.before_date, p.days_late,
                       ROW_NUMBER() OVER (PARTITION BY k.company_id, k.partner_id, k.before_date
                                          ORDER BY p.paid_date DESC, p.id DESC) AS recency
                  FROM customer_keys k
                  JOIN paid p ON p.company_id = k.company_id AND p.partner_id = k.partner_id
                             AND p.paid_date < k.before_date
            ), weighted AS (
                SELECT company_id, partner_id, before_date, days_late,
                       SUM(%(size)s + 1 - recency) OVER (
                           PARTITION BY company_id, partner_id, before_date
                           ORDER BY days_late, recency ROWS UNBOUNDED PRECEDING) AS cumulated,
                       SUM(%(size)s + 1 - recency) OVER (PARTITION BY company_id, partner_id, before_date) AS total,
                       COUNT(*) OVER (PARTITION BY company_id, partner_id, before_date) AS paid_count
                  FROM history
                 WHERE recency <= %(size)s
            ), customer AS MATERIALIZED (
                SELECT company_id, partner_id, before_date, MIN(days_late) AS days_late
                  FROM weighted
                 WHERE paid_count >= %(min)s AND 2 * cumulated >= total
                 GROUP BY company_id, partner_id, before_date
            ), company_keys AS (
                SELECT DISTINCT company_id, before_date FROM targets
            ), company AS MATERIALIZED (
                SELECT k.company_id, k.before_date,
                       PERCENTILE_DISC(0.5) WITHIN GROUP (ORDER BY p.days_late) AS days_late
                  FROM company_keys k
                  JOIN paid p ON p.company_id = k.company_id AND p.paid_date < k.before_date
                             AND p.paid_date >= k.before_date - %(company_days)s
                 GROUP BY k.company_id, k.before_date
            )
            SELECT 'customer', company_id, partner_id, before_date, days_late FROM customer
             UNION ALL
            SELECT 'company', company_id, NULL, before_date, days_late FROM company
            """,
            targets=targets,
            types=FORECAST_MOVE_TYPES,
            size=HISTORY_SIZE,
            min=HISTORY_MIN,
            company_days=COMPANY_HISTORY_DAYS,
        )

    # ------------------------------------------------------------------ back-test
    def _forecast_backtest(self, companies, today, days=BACKTEST_DAYS):
        """How well the behaviour forecast would have done: for the customer invoices of
        ``companies`` fully paid in the ``days`` days up to ``today``, the forecast made on their
        posting date (only the invoices fully paid before that date counted) against the date
        they were really paid, next to the naive forecast (the due date).

        :return: ``{"invoices", "mae_behaviour_days", "mae_naive_days", "customer_history"}``:
            the invoices measured, the mean absolute errors in days (``None`` without invoices),
            and how many were forecast from their customer's own history
        """
        self.env.flush_all()
        paid = SQL(
            """
            SELECT m.id, m.company_id, m.commercial_partner_id AS partner_id,
                   COALESCE(m.invoice_date_due, m.invoice_date, m.date) AS due_date,
                   COALESCE(m.invoice_date, m.date) AS posted_date,
                   MAX(apr.max_date) AS paid_date
              FROM account_move m
              JOIN account_move_line aml ON aml.move_id = m.id AND aml.display_type = 'payment_term'
              JOIN account_partial_reconcile apr ON apr.debit_move_id = aml.id
             WHERE m.company_id = ANY(%(companies)s) AND m.move_type IN %(types)s
               AND m.state = 'posted' AND m.payment_state IN ('paid', 'in_payment')
             GROUP BY m.id
            HAVING MAX(apr.max_date) > %(since)s::date AND MAX(apr.max_date) <= %(today)s::date
            """,
            companies=companies.ids,
            types=FORECAST_MOVE_TYPES,
            since=today - timedelta(days=days),
            today=today,
        )
        measured = {
            move_id: (due_date, posted_date, paid_date)
            for move_id, _company, _partner, due_date, posted_date, paid_date in self.env.execute_query(paid)
        }
        targets = SQL(
            "SELECT id, company_id, partner_id, due_date, posted_date AS before_date FROM (%s) AS measured", paid
        )
        errors_behaviour, errors_naive, customer = [], [], 0
        for move_id, (expected, from_customer) in self._behaviour_dates(targets).items():
            due_date, posted_date, paid_date = measured[move_id]
            # as forecast on the posting date: never before it
            errors_behaviour.append(abs((max(expected, posted_date) - paid_date).days))
            errors_naive.append(abs((due_date - paid_date).days))
            customer += bool(from_customer)
        count = len(errors_behaviour)
        mae_behaviour = sum(errors_behaviour) / count if count else 0.0
        mae_naive = sum(errors_naive) / count if count else 0.0
        return {
            "invoices": count,
            "mae_behaviour_days": round(float(mae_behaviour), 2) if count else None,
            "mae_naive_days": round(float(mae_naive), 2) if count else None,
            "customer_history": customer,
        }
