#!/usr/bin/env bash
# Shared settings and helpers for the setup scripts. Source it, do not run it.
# Every setting can be overridden from the environment (see README.md).

set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/odoo-collections"
ODOO_DIR="$CACHE_DIR/odoo"
VENV_DIR="$CACHE_DIR/venv"
PYTHON="$VENV_DIR/bin/python"
# one configuration per checkout: its addons path points at that checkout
CONF_FILE="$CACHE_DIR/odoo-$(printf '%s' "$REPO_DIR" | sha256sum | cut -c1-12).conf"
DATA_DIR="$CACHE_DIR/data"
STAMP_DIR="$CACHE_DIR/stamps"

ODOO_REPO_URL="${ODOO_REPO_URL:-https://github.com/odoo/odoo.git}"
ODOO_SERIES="18.0"
COLLECTIONS_MODULES="${COLLECTIONS_MODULES:-account_collections,account_collections_sms,account_collections_agency}"

PGHOST="${PGHOST:-}"
PGPORT="${PGPORT:-5432}"
PGUSER="${PGUSER:-$(id -un)}"
PGPASSWORD="${PGPASSWORD:-}"
export PGPORT PGUSER
[ -n "$PGHOST" ] && export PGHOST
[ -n "$PGPASSWORD" ] && export PGPASSWORD
DB_NAME="${DB_NAME:-collections}"
HTTP_PORT="${HTTP_PORT:-8069}"

step() { printf '\n==> %s\n' "$*"; }
info() { printf '    %s\n' "$*"; }
die() {
    printf '\nERROR: %s\n' "$1" >&2
    shift
    for line in "$@"; do printf '       %s\n' "$line" >&2; done
    exit 1
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else return 1
    fi
}

# The addons path for the cached Odoo tree and a tree of our add-ons (this
# checkout unless given). The official repository keeps addons in addons/ and
# odoo/addons/; the nightly source distribution merges all of them into
# odoo/addons/ (a stale top-level addons/ may sit beside it and must not shadow
# the real ones).
odoo_addons_path() {
    local ours="${1:-$REPO_DIR}"
    if [ -d "$ODOO_DIR/odoo/addons/account" ]; then
        printf '%s,%s' "$ODOO_DIR/odoo/addons" "$ours"
    else
        printf '%s,%s,%s' "$ODOO_DIR/odoo/addons" "$ODOO_DIR/addons" "$ours"
    fi
}

odoo_installed() {
    [ -x "$PYTHON" ] && [ -f "$STAMP_DIR/requirements" ] && [ -f "$ODOO_DIR/odoo/release.py" ]
}

pg_args() {
    local args=()
    [ -n "$PGHOST" ] && args+=(--db_host "$PGHOST")
    args+=(--db_port "$PGPORT" --db_user "$PGUSER")
    [ -n "$PGPASSWORD" ] && args+=(--db_password "$PGPASSWORD")
    printf '%s\n' "${args[@]}"
}

odoo_bin() {
    "$PYTHON" "$ODOO_DIR/odoo-bin" -c "$CONF_FILE" "$@"
}
