"""Benchmark of the collections engine on a generated ledger; prints one JSON line per measure.

Settings from the environment: BENCH_CUSTOMERS (20000), BENCH_INVOICES (100000), BENCH_DATE
(today), BENCH_SEED_INVOICES (2000, invoices created through the ORM before the SQL copies),
BENCH_TEMPLATE (``bench_template_<customers>_<invoices>``), BENCH_DISPATCH_WORKERS (2),
BENCH_DROP_TEMPLATE=1 to drop the template at the end (the smoke test does).

1. The template database is built once (install of ``account_collections`` without demo data,
   then ``generate.py``) and reused by later runs.
2. A copy of the template (``CREATE DATABASE ... TEMPLATE ...``) gets the addon's current code
   (``-u account_collections``), then each measure runs in its own process (``measure.py``):
   floor and aging (read only), refresh_cases from zero, first run_collections of the day,
   second run the same day, then the dispatch of the first run's queued reminder emails (the
   cron step that renders them) by BENCH_DISPATCH_WORKERS (2) cron workers at once, each in its
   own process, splitting the queue; last, the back-test of the cash forecast on the generated
   history (mean absolute error of the expected payment dates against the due dates).
3. A last JSON line sums up: ratios to the floor and the targets met or missed, among them
   ``end_to_end_s``: refresh + first run + the dispatch of the first run's emails, from the
   first worker's start to the last one's end.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

import psycopg2

HERE = os.path.dirname(os.path.abspath(__file__))
MEASURES = ["floor", "aging", "refresh", "run1", "run2", "dispatch", "backtest"]
TARGETS = {
    # name: (limit, unit)
    "refresh_plus_first_run_s": (60.0, "s"),
    "queries_per_1000_cases": (20.0, "queries"),
    "peak_rss_mb": (1536.0, "MB"),
    "second_run_s": (5.0, "s"),
    "aging_s": (1.0, "s"),
    "end_to_end_s": (180.0, "s"),
}


def log(message):
    print(f"# {message}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, conf, python, odoo_bin):
        self.conf, self.python, self.odoo_bin = conf, python, odoo_bin
        self.data_dir = self._conf_value("data_dir")

    def _conf_value(self, key):
        with open(self.conf) as handle:
            for line in handle:
                name, _sep, value = line.partition("=")
                if name.strip() == key:
                    return value.strip()
        return None

    def _connect(self):
        params = {"dbname": "postgres"}
        for key, param in (("db_host", "host"), ("db_port", "port"), ("db_user", "user"), ("db_password", "password")):
            value = self._conf_value(key)
            if value and value != "False":
                params[param] = value
        connection = psycopg2.connect(**params)
        connection.autocommit = True
        return connection

    def sql(self, query, params=None):
        connection = self._connect()
        try:
            with connection.cursor() as cr:
                cr.execute(query, params)
                return cr.fetchall() if cr.description else None
        finally:
            connection.close()

    def exists(self, db):
        return bool(self.sql("SELECT 1 FROM pg_database WHERE datname = %s", [db]))

    def filestore(self, db):
        return os.path.join(self.data_dir, "filestore", db) if self.data_dir else None

    def drop(self, db):
        self.sql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        path = self.filestore(db)
        if path and os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)

    def copy(self, source, target):
        self.drop(target)
        self.sql(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
        src, dst = self.filestore(source), self.filestore(target)
        if src and os.path.isdir(src):
            shutil.copytree(src, dst)

    def odoo(self, db, *args):
        command = [self.python, self.odoo_bin, "-c", self.conf, "-d", db, "--stop-after-init", "--log-level=warn"]
        subprocess.run(command + list(args), check=True, stdout=sys.stderr)

    def script(self, name, *args):
        command = [self.python, os.path.join(HERE, name), "-c", self.conf, *args]
        output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
        return json.loads(output.strip().splitlines()[-1])

    def workers(self, count, name, *args):
        """Run ``count`` copies of a script at once; their JSON lines, in the order they end."""
        command = [self.python, os.path.join(HERE, name), "-c", self.conf, *args]
        processes = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _index in range(count)]
        lines = []
        for process in processes:
            output, _errors = process.communicate()
            if process.returncode:
                raise subprocess.CalledProcessError(process.returncode, command, output)
            lines.append(json.loads(output.strip().splitlines()[-1]))
        return lines

    def build_template(self, template, customers, invoices, seed_invoices, run_date):
        """Install and generate into a work database, renamed to the template once complete."""
        build = f"{template}_build"
        self.drop(build)
        log(f"building the template database {template} (install, then generate)")
        started = time.time()
        self.odoo(build, "-i", "account_collections", "--without-demo=all")
        install_s = round(time.time() - started, 1)
        args = ["-d", build, "--customers", str(customers), "--invoices", str(invoices)]
        args += ["--seed-invoices", str(seed_invoices)]
        if run_date:
            args += ["--date", run_date]
        line = self.script("generate.py", *args)
        line["install_s"] = install_s
        self.sql(f'ALTER DATABASE "{build}" RENAME TO "{template}"')
        src, dst = self.filestore(build), self.filestore(template)
        if src and os.path.isdir(src):
            shutil.move(src, dst)
        return line


def combine_workers(lines):
    """One dispatch line for workers that ran at once: wall time from the first start to the
    last end, emails, events and queries summed, peak RSS of the largest worker."""
    first = lines[0]
    started, ended = min(line["started"] for line in lines), max(line["ended"] for line in lines)
    cases = sum(line["cases"] for line in lines)
    queries = sum(line["queries"] for line in lines)
    result = {}
    for line in lines:
        for key, value in (line.get("result") or {}).items():
            result[key] = result.get(key, 0) + value
    return {
        "measure": first["measure"],
        "invoices": first["invoices"],
        "customers": first["customers"],
        "date": first["date"],
        "workers": len(lines),
        "cases": cases,
        "wall_s": round(ended - started, 3),
        "cpu_s": round(sum(line["cpu_s"] for line in lines), 3),
        "queries": queries,
        "peak_rss_mb": max(line["peak_rss_mb"] for line in lines),
        "events": sum(line["events"] for line in lines),
        "queries_per_1000_cases": round(queries / cases * 1000, 1) if cases else None,
        "result": result,
        "per_worker": [{"cases": line["cases"], "wall_s": line["wall_s"]} for line in lines],
    }


def summary(lines, load):
    by_measure = {line["measure"]: line for line in lines}
    floor = (by_measure.get("floor") or {}).get("wall_s") or None
    engine_lines = [by_measure[m] for m in ("refresh", "run1") if m in by_measure]
    daily = sum(line["wall_s"] for line in engine_lines)
    per_1000 = [line["queries_per_1000_cases"] for line in engine_lines if line.get("queries_per_1000_cases")]
    rss = [line["peak_rss_mb"] for line in lines if line.get("peak_rss_mb")]
    aging = by_measure.get("aging", {})
    dispatch = by_measure.get("dispatch", {})
    values = {
        "refresh_plus_first_run_s": round(daily, 3),
        "queries_per_1000_cases": max(per_1000) if per_1000 else None,
        "peak_rss_mb": max(rss) if rss else None,
        "second_run_s": by_measure.get("run2", {}).get("wall_s"),
        "aging_s": aging.get("wall_s"),
        "end_to_end_s": round(daily + dispatch["wall_s"], 3) if dispatch.get("wall_s") is not None else None,
    }
    targets = {}
    for name, (limit, unit) in TARGETS.items():
        value = values[name]
        targets[name] = {"value": value, "limit": limit, "unit": unit, "met": None if value is None else value <= limit}
    ratios = {}
    if floor:
        for measure in ("refresh", "run1", "run2", "aging"):
            wall = by_measure.get(measure, {}).get("wall_s")
            if wall is not None:
                ratios[f"{measure}/floor"] = round(wall / floor, 1)
        ratios["daily/floor"] = round(daily / floor, 1)
    first = lines[0] if lines else {}
    return {
        "measure": "summary",
        "invoices": first.get("invoices"),
        "customers": first.get("customers"),
        "floor_s": floor,
        "ratios": ratios,
        "targets": targets,
        "missed": [name for name, target in targets.items() if target["met"] is False],
        "dispatch": {
            "workers": dispatch.get("workers"),
            "emails": dispatch.get("cases"),
            "wall_s": dispatch.get("wall_s"),
            "ms_per_email": round(dispatch["wall_s"] * 1000 / dispatch["cases"], 2) if dispatch.get("cases") else None,
        },
        "backtest": {
            key: (by_measure.get("backtest", {}).get("result") or {}).get(key)
            for key in ("invoices", "mae_behaviour_days", "mae_naive_days", "expected_dates_s")
        },
        "load": load,
        "cpus": os.cpu_count(),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-c", "--conf", required=True, help="Odoo configuration file")
    parser.add_argument("--odoo-bin", required=True)
    parser.add_argument("--python", default=sys.executable)
    args = parser.parse_args()
    customers = int(os.environ.get("BENCH_CUSTOMERS") or 20000)
    invoices = int(os.environ.get("BENCH_INVOICES") or 100000)
    seed_invoices = int(os.environ.get("BENCH_SEED_INVOICES") or 2000)
    run_date = os.environ.get("BENCH_DATE") or None
    template = os.environ.get("BENCH_TEMPLATE") or f"bench_template_{customers}_{invoices}"
    drop_template = os.environ.get("BENCH_DROP_TEMPLATE") == "1"
    dispatch_workers = max(1, int(os.environ.get("BENCH_DISPATCH_WORKERS") or 2))
    bench = Bench(args.conf, args.python, args.odoo_bin)
    work = f"{template}_run"
    try:
        built = not bench.exists(template)
        if built:
            print(json.dumps(bench.build_template(template, customers, invoices, seed_invoices, run_date)), flush=True)
        else:
            log(f"reusing the template database {template}")
        started = time.time()
        bench.copy(template, work)
        if not built:
            # the template may predate the current code: bring the copy up to date
            bench.odoo(work, "-u", "account_collections")
        log(f"copy of the template ready in {time.time() - started:.1f} s")
        lines = []
        for measure in MEASURES:
            measure_args = ["-d", work, "--measure", measure] + (["--date", run_date] if run_date else [])
            if measure == "dispatch":
                line = combine_workers(bench.workers(dispatch_workers, "measure.py", *measure_args, "--worker"))
            else:
                line = bench.script("measure.py", *measure_args)
            lines.append(line)
            print(json.dumps(line), flush=True)
        load = "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())
        print(json.dumps(summary(lines, load)), flush=True)
    finally:
        bench.drop(work)
        bench.drop(f"{template}_build")
        if drop_template:
            bench.drop(template)


if __name__ == "__main__":
    main()
