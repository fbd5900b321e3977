#!/usr/bin/env bash
# Check that upgrading a database made by the previous release keeps its data:
#   1. export the add-ons of commit $UPGRADE_FROM (18.0.1.0.0) from this repository's history;
#   2. create a fresh database and install them with demo data (any error or traceback fails);
#      give it what the demo leaves out (a settlement accepted, a write-off posted, the demo
#      placement sent), run the engine once and dispatch the reminder emails it queued;
#   3. snapshot the data with plain SQL (tests/upgrade/upgrade_data.py): cases, events, holds,
#      agreements, placements, amounts, configuration, activities and messages of our records;
#   4. upgrade the database to this checkout (-u, the migrations/ scripts run; any error,
#      traceback or warning from our modules fails), snapshot it again and compare: a record lost
#      or a value changed fails, beyond the changes allowed in tests/upgrade/allowed_changes.py;
#   5. drop the database and the exported tree.
# Settings: UPGRADE_FROM (b86a596), UPGRADE_DB (a unique name), KEEP_DB=1 keeps the database.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$REPO_DIR/setup/install.sh"

UPGRADE_FROM="${UPGRADE_FROM:-b86a596}"
UPGRADE_DB="${UPGRADE_DB:-collections_upgrade_$(date +%Y%m%d%H%M%S)_$$}"
LOG_DIR="$CACHE_DIR/logs"
mkdir -p "$LOG_DIR"
OLD_DIR=$(mktemp -d "${TMPDIR:-/tmp}/collections-$UPGRADE_FROM.XXXXXX")
HELPER="$REPO_DIR/tests/upgrade/upgrade_data.py"
BEFORE="$LOG_DIR/$UPGRADE_DB.before.json"
AFTER="$LOG_DIR/$UPGRADE_DB.after.json"
started=$SECONDS
IFS=, read -r -a modules <<<"$COLLECTIONS_MODULES"

cleanup() {
    local rc=$?
    rm -rf "$OLD_DIR"
    # the snapshots stay beside the logs when the check failed or the database is kept
    if [ "$rc" = 0 ] && [ "${KEEP_DB:-0}" != 1 ]; then rm -f "$BEFORE" "$AFTER"; fi
    if [ "${KEEP_DB:-0}" = 1 ]; then
        info "kept database '$UPGRADE_DB' (snapshots: $BEFORE, $AFTER)"
    elif psql -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$UPGRADE_DB'" 2>/dev/null | grep -q 1; then
        step "Dropping '$UPGRADE_DB'"
        dropdb --if-exists --force "$UPGRADE_DB" || info "could not drop '$UPGRADE_DB': drop it by hand"
        rm -rf "$DATA_DIR/filestore/$UPGRADE_DB"
    fi
    exit "$rc"
}
trap cleanup EXIT

# seconds since the last call, for the step's closing line
lap_start=$SECONDS
lap() {
    local now=$SECONDS
    info "$1 ($((now - lap_start)) s)"
    lap_start=$now
}

manifest_version() {
    "$PYTHON" -c 'import ast, sys; print(ast.literal_eval(open(sys.argv[1]).read())["version"])' "$1"
}

# Fails on an error or traceback in the log, and on a warning from our modules if asked.
check_log() {
    local log=$1 what=$2 warnings_fail=$3 problems warnings modules_re kinds=errors
    modules_re=$(tr ',' '|' <<<"$COLLECTIONS_MODULES")
    problems=$(grep -nE ' (ERROR|CRITICAL) |Traceback' "$log" || true)
    warnings=$(grep -nE " WARNING .*($modules_re|collection\.)" "$log" || true)
    [ "$warnings_fail" = 1 ] && kinds="errors or warnings from our modules"
    if [ -n "$problems" ] || { [ "$warnings_fail" = 1 ] && [ -n "$warnings" ]; }; then
        printf '%s\n' "$problems" "$warnings" | sed '/^$/d' | head -40 >&2
        die "The $what log has $kinds (full log: $log)."
    fi
    [ -n "$warnings" ] && info "$(grep -c . <<<"$warnings") warning(s) from our modules in the $what log (not ours to fix: $log)"
    return 0
}

step "Exporting the add-ons of $UPGRADE_FROM"
git -C "$REPO_DIR" rev-parse --git-dir >/dev/null 2>&1 \
    || die "$REPO_DIR is not a git checkout: the upgrade check installs $UPGRADE_FROM from the repository's history."
if ! git -C "$REPO_DIR" cat-file -e "$UPGRADE_FROM^{commit}" 2>/dev/null && [ "$(git -C "$REPO_DIR" rev-parse --is-shallow-repository)" = true ]; then
    info "shallow clone: fetching the full history"
    git -C "$REPO_DIR" fetch --quiet --unshallow || true
fi
git -C "$REPO_DIR" cat-file -e "$UPGRADE_FROM^{commit}" 2>/dev/null \
    || die "Commit $UPGRADE_FROM is not in this clone's history." \
           "Clone the repository with its history (not --depth), or set UPGRADE_FROM to a commit it has."
git -C "$REPO_DIR" archive --format=tar "$UPGRADE_FROM" -- "${modules[@]}" | tar -x -C "$OLD_DIR"
for addon in "${modules[@]}"; do
    [ -f "$OLD_DIR/$addon/__manifest__.py" ] || die "$UPGRADE_FROM has no add-on $addon."
done
old_version=$(manifest_version "$OLD_DIR/${modules[0]}/__manifest__.py")
new_version=$(manifest_version "$REPO_DIR/${modules[0]}/__manifest__.py")
info "$UPGRADE_FROM ($(git -C "$REPO_DIR" log -1 --format=%cs "$UPGRADE_FROM")): ${modules[0]} $old_version -> this checkout: $new_version"
old_path=$(odoo_addons_path "$OLD_DIR")
new_path=$(odoo_addons_path)

step "Installing $COLLECTIONS_MODULES $old_version with demo data into '$UPGRADE_DB'"
install_log="$LOG_DIR/$UPGRADE_DB.install.log"
createdb "$UPGRADE_DB"
if ! odoo_bin -d "$UPGRADE_DB" --addons-path "$old_path" -i "$COLLECTIONS_MODULES" --stop-after-init \
        --log-level=info --logfile "$install_log"; then
    grep -E 'ERROR|CRITICAL|Traceback' -A20 "$install_log" | head -60 >&2 || true
    die "Installing the add-ons of $UPGRADE_FROM failed (full log: $install_log)."
fi
check_log "$install_log" install 0
lap "installed"

step "Using the $old_version database: a settlement, a write-off, a placement sent, one engine run"
"$PYTHON" "$HELPER" prepare -c "$CONF_FILE" -d "$UPGRADE_DB" --addons-path "$old_path" \
    || die "The engine of $UPGRADE_FROM could not run on the demo database (see above)."
lap "done"

step "Snapshot before the upgrade"
"$PYTHON" "$HELPER" snapshot -c "$CONF_FILE" -d "$UPGRADE_DB" -o "$BEFORE"
lap "written to $BEFORE"

step "Upgrading '$UPGRADE_DB' to this checkout ($new_version)"
upgrade_log="$LOG_DIR/$UPGRADE_DB.upgrade.log"
if ! odoo_bin -d "$UPGRADE_DB" --addons-path "$new_path" -u "$COLLECTIONS_MODULES" --stop-after-init \
        --log-level=info --logfile "$upgrade_log"; then
    grep -E 'ERROR|CRITICAL|Traceback' -A20 "$upgrade_log" | head -60 >&2 || true
    die "Upgrading to this checkout failed (full log: $upgrade_log)."
fi
check_log "$upgrade_log" upgrade 1
stale=$(psql -d "$UPGRADE_DB" -tAc "SELECT string_agg(name || ' ' || coalesce(latest_version, '?'), ', ') FROM ir_module_module
    WHERE name = ANY(string_to_array('$COLLECTIONS_MODULES', ',')) AND latest_version IS DISTINCT FROM '$new_version'")
[ -z "$stale" ] || die "After the upgrade, these add-ons are not at $new_version: $stale (full log: $upgrade_log)."
scripts=$(grep -c 'Running migration' "$upgrade_log" || true)
lap "upgraded, $scripts migration script(s) run"

step "Snapshot after the upgrade, compared with the one before"
"$PYTHON" "$HELPER" snapshot -c "$CONF_FILE" -d "$UPGRADE_DB" -o "$AFTER" --like "$BEFORE"
if ! "$PYTHON" "$HELPER" compare "$BEFORE" "$AFTER"; then
    die "The upgrade from $old_version ($UPGRADE_FROM) to $new_version lost or changed data (listed above)." \
        "Fix the migration scripts in account_collections/migrations/$new_version/, or, when a field" \
        "legitimately changes meaning or format, allow it with the reason in tests/upgrade/allowed_changes.py." \
        "Snapshots: $BEFORE, $AFTER; KEEP_DB=1 keeps the database too."
fi
lap "compared"
info "upgrade check passed in $((SECONDS - started)) s"
