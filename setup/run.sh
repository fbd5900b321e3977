#!/usr/bin/env bash
# Serve Odoo 18 with the collections addons and their demo data on
# http://localhost:$HTTP_PORT (database $DB_NAME, login admin / admin).
# Installs what is missing first; later runs reuse everything and start in seconds.
#
# WORKERS=N runs Odoo in multi-process mode (N HTTP workers, 2 cron workers).
# UPDATE=1 upgrades the collections addons in the database before serving.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$REPO_DIR/setup/install.sh"

RUN_MODULES="account,payment_demo,$COLLECTIONS_MODULES"

step "Database '$DB_NAME'"
installed=0
if psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
    wanted=$(tr ',' '\n' <<<"$RUN_MODULES" | grep -c .)
    installed=$(psql -d "$DB_NAME" -tAc \
        "SELECT count(*) FROM ir_module_module WHERE state = 'installed' AND name = ANY(string_to_array('$RUN_MODULES', ','))" \
        2>/dev/null || echo 0)
    [ "$installed" = "$wanted" ] && installed=1 || installed=0
fi
if [ "$installed" = 1 ]; then
    info "reusing '$DB_NAME' (modules installed)"
    if [ "${UPDATE:-0}" = 1 ]; then
        info "upgrading $COLLECTIONS_MODULES"
        odoo_bin -d "$DB_NAME" -u "$COLLECTIONS_MODULES" --stop-after-init --log-level=warn \
            || die "Upgrading the collections addons failed (see the log above)."
    fi
else
    info "installing $RUN_MODULES with demo data (a few minutes the first time)"
    odoo_bin -d "$DB_NAME" -i "$RUN_MODULES" --stop-after-init --log-level=warn \
        || die "Installing the modules into '$DB_NAME' failed (see the log above)." \
               "Drop the database to start over: dropdb $DB_NAME"
fi

step "Odoo on http://localhost:$HTTP_PORT (database '$DB_NAME', login admin / admin; Ctrl+C stops)"
args=(-d "$DB_NAME" --db-filter "^${DB_NAME}\$" --http-port "$HTTP_PORT")
if [ -n "${WORKERS:-}" ] && [ "${WORKERS}" != 0 ]; then
    args+=(--workers "$WORKERS" --max-cron-threads "${CRON_WORKERS:-2}")
fi
exec "$PYTHON" "$ODOO_DIR/odoo-bin" -c "$CONF_FILE" "${args[@]}"
