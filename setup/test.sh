#!/usr/bin/env bash
# Run the collections test suite on a fresh database:
#   1. create a uniquely named database and install the three addons with demo data,
#      failing on any ERROR, traceback or warning from our modules in the install log;
#   2. run every test under the addons' tests/ and the top-level tests/ with pytest-odoo
#      (HTTP server on, so HttpCase and browser tests run);
#   3. drop the database.
# Extra pytest arguments: PYTEST_ARGS="account_collections/tests/test_policy.py -k default"
# Keep the database afterwards for inspection: KEEP_DB=1
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$REPO_DIR/setup/install.sh" --with-browser

TEST_DB="${TEST_DB:-collections_test_$(date +%Y%m%d%H%M%S)_$$}"
LOG_DIR="$CACHE_DIR/logs"
INSTALL_LOG="$LOG_DIR/$TEST_DB.install.log"
mkdir -p "$LOG_DIR"

cleanup() {
    local rc=$?
    if [ "${KEEP_DB:-0}" = 1 ]; then
        info "kept database '$TEST_DB'"
    elif psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$TEST_DB'" 2>/dev/null | grep -q 1; then
        step "Dropping '$TEST_DB'"
        dropdb --if-exists --force "$TEST_DB" || info "could not drop '$TEST_DB': drop it by hand"
        rm -rf "$DATA_DIR/filestore/$TEST_DB"
    fi
    exit "$rc"
}
trap cleanup EXIT

step "Installing $COLLECTIONS_MODULES with demo data into '$TEST_DB'"
if ! odoo_bin -d "$TEST_DB" -i "$COLLECTIONS_MODULES" --stop-after-init --log-level=info \
        --logfile "$INSTALL_LOG"; then
    grep -E 'ERROR|CRITICAL|Traceback' -A20 "$INSTALL_LOG" | head -60 >&2 || true
    die "Installing the addons failed (full log: $INSTALL_LOG)."
fi
modules_re=$(tr ',' '|' <<<"$COLLECTIONS_MODULES")
problems=$(grep -nE ' (ERROR|CRITICAL) |Traceback' "$INSTALL_LOG" || true)
warnings=$(grep -nE " WARNING .*($modules_re|collection\.)" "$INSTALL_LOG" || true)
if [ -n "$problems$warnings" ]; then
    printf '%s\n' "$problems" "$warnings" | sed '/^$/d' | head -40 >&2
    die "The install log has errors or warnings from our modules (full log: $INSTALL_LOG)." \
        "Fix them: a clean install is part of the test."
fi
info "clean install ($(grep -c . "$INSTALL_LOG") log lines, no error, no warning from our modules)"

step "Running the tests (pytest-odoo)"
cd "$REPO_DIR"
paths=()
for addon in ${COLLECTIONS_MODULES//,/ }; do
    [ -d "$addon/tests" ] && paths+=("$addon/tests")
done
[ -d tests ] && paths+=(tests)
set +e
# shellcheck disable=SC2086
"$PYTHON" -m pytest --odoo-config "$CONF_FILE" --odoo-database "$TEST_DB" --odoo-http \
    --odoo-log-level "${ODOO_TEST_LOG_LEVEL:-warn}" "${paths[@]}" ${PYTEST_ARGS:-}
rc=$?
set -e
if [ "$rc" = 5 ]; then
    die "pytest collected no test." "Check PYTEST_ARGS or the test files."
fi
exit "$rc"
