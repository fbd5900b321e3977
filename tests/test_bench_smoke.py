"""The benchmark's quick variant runs end to end, so ``make bench`` never rots (no timing asserted)."""

import json
import os
import subprocess
import sys
import time
from datetime import date

import psycopg2

import odoo
from odoo.tools import config

BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bench", "bench.py")
KEYS = {"measure", "invoices", "customers", "cases", "wall_s", "queries", "peak_rss_mb", "events"}


def _connect():
    params = {"dbname": "postgres"}
    for key, param in (("db_host", "host"), ("db_port", "port"), ("db_user", "user"), ("db_password", "password")):
        if config.get(key):
            params[param] = config[key]
    connection = psycopg2.connect(**params)
    connection.autocommit = True
    return connection


def _drop_databases(prefix):
    """Drop what the run created (template, its build and its copy), even after a failure."""
    connection = _connect()
    try:
        with connection.cursor() as cr:
            cr.execute("SELECT datname FROM pg_database WHERE datname LIKE %s", [prefix + "%"])
            names = [row[0] for row in cr.fetchall()]
            for name in names:
                cr.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return names
    finally:
        connection.close()


def test_bench_quick_variant_prints_its_measures():
    prefix = f"bench_smoke_{os.getpid()}_{int(time.time())}"
    env = dict(
        os.environ,
        BENCH_INVOICES="2000",
        BENCH_CUSTOMERS="200",
        BENCH_SEED_INVOICES="400",
        BENCH_TEMPLATE=prefix,
        BENCH_DROP_TEMPLATE="1",
        # one run date for the ledger and every measure: the two runs are on the same day even
        # when the benchmark runs across midnight
        BENCH_DATE=date.today().isoformat(),
    )
    odoo_bin = os.path.join(os.path.dirname(os.path.dirname(odoo.__file__)), "odoo-bin")
    try:
        process = subprocess.run(
            [sys.executable, BENCH, "-c", config.rcfile, "--odoo-bin", odoo_bin, "--python", sys.executable],
            env=env,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
    finally:
        left = _drop_databases(prefix)
    assert process.returncode == 0, process.stderr[-4000:]
    assert not left, f"the benchmark left databases behind: {left}"
    lines = {line["measure"]: line for line in map(json.loads, process.stdout.splitlines()) if line}

    generated = lines["generate"]
    assert 1900 <= generated["invoices"] <= 2100 and generated["credit_notes"] > 0 and generated["payments"] > 0
    assert 150 <= generated["customers"] <= 250
    for measure in ("floor", "aging", "refresh", "run1", "run2", "dispatch"):
        assert KEYS <= set(lines[measure]), f"{measure} misses {KEYS - set(lines[measure])}"
        assert lines[measure]["invoices"] == generated["invoices"]
    assert lines["floor"]["result"]["rows"] > 0
    refresh, first, second = lines["refresh"], lines["run1"], lines["run2"]
    assert refresh["cases"] > 0 and refresh["events"] > 0 and refresh["queries"] > 0
    assert refresh["result"]["created"] == refresh["cases"]
    assert first["cases"] > 0 and first["events"] > 0 and first["result"]["queued"] > 0
    assert second["cases"] == 0, "nothing is due twice the same day"
    assert second["result"]["queued"] == 0 and second["result"]["sent"] == 0
    assert lines["dispatch"]["workers"] == 2, "the emails are dispatched by two cron workers at once"
    assert sum(worker["cases"] for worker in lines["dispatch"]["per_worker"]) == lines["dispatch"]["cases"]
    dispatch = lines["dispatch"]["result"]
    assert dispatch["queued"] > 0 and dispatch["failed"] == 0, "the first run's reminder emails are rendered"
    assert dispatch["queued"] + dispatch["skipped"] < first["result"]["queued"], "letters are not emails"
    backtest = lines["backtest"]["result"]
    assert backtest["invoices"] > 0 and backtest["expected_dates_s"] is not None
    assert backtest["mae_behaviour_days"] < backtest["mae_naive_days"], "the forecast beats the due date"
    summary = lines["summary"]
    assert set(summary["targets"]) == {
        "refresh_plus_first_run_s",
        "queries_per_1000_cases",
        "peak_rss_mb",
        "second_run_s",
        "aging_s",
        "end_to_end_s",
    }
    assert summary["targets"]["end_to_end_s"]["value"] >= summary["targets"]["refresh_plus_first_run_s"]["value"]
    assert summary["ratios"]["daily/floor"] > 0
