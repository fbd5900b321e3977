#!/usr/bin/env bash
# Export the translation template of each collections addon to <addon>/i18n/<addon>.pot:
#   1. install the addons without demo data into a temporary database;
#   2. export each addon's terms with Odoo's own exporter (odoo-bin --i18n-export);
#   3. drop the database.
# Run it after changing user-facing strings (views, fields, messages, templates).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

"$REPO_DIR/setup/install.sh"

POT_DB="collections_pot_$(date +%Y%m%d%H%M%S)_$$"
LOG_FILE="$CACHE_DIR/logs/$POT_DB.log"
mkdir -p "$CACHE_DIR/logs"

cleanup() {
    local rc=$?
    dropdb --if-exists --force "$POT_DB" >/dev/null 2>&1 || info "could not drop '$POT_DB': drop it by hand"
    rm -rf "$DATA_DIR/filestore/$POT_DB"
    exit "$rc"
}
trap cleanup EXIT

step "Installing $COLLECTIONS_MODULES without demo data into '$POT_DB'"
odoo_bin -d "$POT_DB" -i "$COLLECTIONS_MODULES" --without-demo=all --stop-after-init --log-level=warn \
    --logfile "$LOG_FILE" || die "Installing the addons failed (log: $LOG_FILE)."

step "Exporting the translation templates"
for addon in ${COLLECTIONS_MODULES//,/ }; do
    pot="$REPO_DIR/$addon/i18n/$addon.pot"
    mkdir -p "$(dirname "$pot")"
    odoo_bin -d "$POT_DB" --modules="$addon" --i18n-export="$pot" --log-level=warn --logfile "$LOG_FILE" \
        || die "Exporting the terms of $addon failed (log: $LOG_FILE)."
    info "$addon/i18n/$addon.pot: $(grep -c '^msgid ' "$pot") terms"
done
