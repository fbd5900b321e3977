#!/usr/bin/env bash
# Benchmark of the collections engine (see tests/bench/RESULTS.md):
#   1. builds, once, the template database bench_template_<customers>_<invoices> (install of
#      account_collections without demo data, then a generated ledger), reused by later runs;
#   2. measures, on a fresh copy of it, each in its own Odoo process: the floor (one SQL scan of
#      the open receivables), the aged receivables, refresh_cases from zero, the first and the
#      second run_collections of the day;
#   3. prints one JSON line per measure and a summary line (ratios to the floor, targets).
# Settings: BENCH_CUSTOMERS (20000), BENCH_INVOICES (100000), BENCH_DATE (today),
# BENCH_SEED_INVOICES (2000), BENCH_TEMPLATE, BENCH_DROP_TEMPLATE=1.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$REPO_DIR/setup/install.sh"

step "Benchmark: ${BENCH_INVOICES:-100000} invoices, ${BENCH_CUSTOMERS:-20000} customers ($(nproc) cores, $(uptime | sed 's/.*load/load/'))"
"$PYTHON" "$REPO_DIR/tests/bench/bench.py" -c "$CONF_FILE" --odoo-bin "$ODOO_DIR/odoo-bin" --python "$PYTHON"
