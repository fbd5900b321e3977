"""Measure one engine operation on a benchmark database, in this process; print one JSON line.

Usage: python measure.py -c ODOO_CONF -d DB --measure refresh|run1|run2|dispatch|aging|floor|backtest
       [--date YYYY-MM-DD] [--worker]

- refresh: ``collection.case.refresh_cases()`` (from zero on a fresh copy);
- run1 / run2: ``collection.case.run_collections(date)``, the first and second run of the day
  (reminder emails and letters are queued events; no email rendered, no PDF);
- dispatch: ``collection.event._dispatch_emails()``, the cron step after the run that renders the
  queued reminder emails into Odoo's mail queue (never sent); ``cases`` counts the emails. With
  ``--worker`` it runs as one of several cron workers at once: it commits each batch as the cron
  does, so the workers split the queue (``FOR UPDATE SKIP LOCKED``); the line gives its start and
  end (``started``/``ended``, epoch seconds) for ``bench.py`` to sum the workers up;
- aging: ``collection.aged.receivable.get_aging()`` over the whole ledger, when the model exists;
- floor: one plain SQL scan of the open receivable lines, grouped by customer;
- backtest: the cash forecast's back-test (``collection.engine._forecast_backtest``): for the
  invoices fully paid in the last 90 days, the mean absolute error in days of the payment-behaviour
  forecast made on their posting date (``mae_behaviour_days``) and of the naive one, the due date
  (``mae_naive_days``); then the time the run's expected-dates step takes to compute the dates of
  every open invoice (``expected_dates_s``).

Counted: wall time of the operation (commit included), SQL queries it ran (every cursor of the
process), peak RSS of the process, and the collection events it created.
"""

import argparse
import datetime
import json
import os
import resource
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from odoo_env import odoo_env  # noqa: E402

from odoo import sql_db  # noqa: E402

FLOOR_QUERY = """
    SELECT aml.partner_id, SUM(aml.amount_residual)
      FROM account_move_line aml
      JOIN account_account acc ON acc.id = aml.account_id
     WHERE acc.account_type = 'asset_receivable' AND NOT aml.reconciled AND aml.parent_state = 'posted'
     GROUP BY 1
"""


def scalar(cr, query):
    cr.execute(query)
    return cr.fetchone()[0]


def operation(env, measure, run_date, worker=False):
    """Return (callable, note); the callable returns (result, cases worked)."""
    day = datetime.date.fromisoformat(run_date)  # the run date in the context is a date object
    Case = env["collection.case"].with_context(collection_date=day)
    if measure == "refresh":

        def refresh():
            result = Case.refresh_cases()
            return result, result["created"] + result["updated"]

        return refresh, None
    if measure in ("run1", "run2"):

        def run():
            result = Case.run_collections(date=run_date)
            return result, result["cases"]

        return run, None
    if measure == "dispatch":

        def dispatch():
            # the queued reminder emails of the first run, rendered into Odoo's mail queue
            result = env["collection.event"].sudo().with_context(collection_date=day)._dispatch_emails(commit=worker)
            return result, sum(result.values())

        return dispatch, None
    if measure == "aging":
        if "collection.aged.receivable" not in env:
            return None, "skipped: the model collection.aged.receivable is not installed"

        def aging():
            result = env["collection.aged.receivable"].with_context(collection_date=day).get_aging()
            rows = len(result) if isinstance(result, list | dict) else None
            return {"rows": rows}, scalar(env.cr, "SELECT COUNT(*) FROM collection_case WHERE state = 'open'")

        return aging, None
    if measure == "backtest":
        if not hasattr(env["collection.engine"], "_forecast_backtest"):
            return None, "skipped: no expected payment dates in this version"

        def backtest():
            # the back-test of the forecast on the generated history, then the cost of the daily
            # step's computation over every open invoice (what the run pays whatever changed)
            Engine = env["collection.engine"].sudo()
            companies = env["res.company"].sudo().search([])
            result = Engine._forecast_backtest(companies, day)
            started = time.perf_counter()
            open_count = len(Engine._expected_dates_of(companies, day))
            result.update(expected_dates_s=round(time.perf_counter() - started, 3), open_invoices=open_count)
            return result, result["invoices"]

        return backtest, None
    if measure == "floor":

        def floor():
            env.cr.execute(FLOOR_QUERY)
            rows = env.cr.fetchall()
            return {"rows": len(rows)}, scalar(env.cr, "SELECT COUNT(*) FROM collection_case WHERE state = 'open'")

        return floor, None
    raise SystemExit(f"unknown measure {measure!r}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--conf", required=True)
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument(
        "--measure", required=True, choices=["refresh", "run1", "run2", "dispatch", "aging", "floor", "backtest"]
    )
    parser.add_argument("--date", help="run date (default today)")
    parser.add_argument("--profile", help="write a cProfile dump of the operation to this file")
    parser.add_argument("--worker", action="store_true", help="dispatch: one of several cron workers at once")
    args = parser.parse_args()
    run_date = args.date or time.strftime("%Y-%m-%d")
    with odoo_env(args.conf, args.database) as env:
        cr = env.cr
        invoices = scalar(cr, "SELECT COUNT(*) FROM account_move WHERE move_type = 'out_invoice' AND state = 'posted'")
        customers = scalar(
            cr,
            "SELECT COUNT(DISTINCT commercial_partner_id) FROM account_move"
            " WHERE move_type = 'out_invoice' AND state = 'posted'",
        )
        events_before = scalar(cr, "SELECT COUNT(*) FROM collection_event")
        func, note = operation(env, args.measure, run_date, worker=args.worker)
        line = {"measure": args.measure, "invoices": invoices, "customers": customers, "date": run_date}
        if func is None:
            line.update(cases=0, wall_s=None, queries=None, peak_rss_mb=None, events=0, note=note)
        else:
            env.invalidate_all()
            profiler = None
            if args.profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            queries_before = sql_db.sql_counter
            started_at = time.time()
            cpu_before = sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
            started = time.perf_counter()
            result, cases = func()
            env.flush_all()
            cr.commit()
            wall = time.perf_counter() - started
            cpu = sum(resource.getrusage(resource.RUSAGE_SELF)[:2]) - cpu_before
            queries = sql_db.sql_counter - queries_before
            if profiler:
                profiler.disable()
                profiler.dump_stats(args.profile)
            events = scalar(cr, "SELECT COUNT(*) FROM collection_event") - events_before
            line.update(
                cases=cases,
                wall_s=round(wall, 3),
                cpu_s=round(cpu, 3),
                queries=queries,
                peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                events=events,
                queries_per_1000_cases=round(queries / cases * 1000, 1) if cases else None,
                result=result,
                started=round(started_at, 3),
                ended=round(time.time(), 3),
            )
    print(json.dumps(line), flush=True)


if __name__ == "__main__":
    main()
