#!/usr/bin/env bash
# Install what is missing to run Odoo 18 Community with the collections addons:
# Debian packages, PostgreSQL, the Odoo 18.0 source and a virtualenv, all kept
# in a cache outside the repository. Safe to re-run: finished steps are skipped.
#
#   setup/install.sh [--with-browser]
#
# --with-browser also installs Chromium for the browser tests (tours).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

WITH_BROWSER=0
for arg in "$@"; do
    case "$arg" in
        --with-browser) WITH_BROWSER=1 ;;
        *) die "Unknown option '$arg'." "Usage: setup/install.sh [--with-browser]" ;;
    esac
done

mkdir -p "$CACHE_DIR" "$STAMP_DIR" "$DATA_DIR"

# ---------------------------------------------------------------- system
python_ok() {
    "$1" -c 'import sys, venv; sys.exit(not ((3, 10) <= sys.version_info[:2] <= (3, 12)))' 2>/dev/null
}

find_python() {
    local candidate
    for candidate in ${PYTHON_BIN:-} python3.11 python3.12 python3.10 python3; do
        if command -v "$candidate" >/dev/null 2>&1 && python_ok "$candidate"; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

missing_debs() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || printf '%s ' "$pkg"
    done
}

install_debs() {
    local missing
    missing=$(missing_debs "$@")
    [ -z "$missing" ] && return 0
    if ! command -v apt-get >/dev/null 2>&1; then
        die "Missing system packages: $missing" \
            "This installer knows Debian/Ubuntu; install the equivalent packages with your package manager."
    fi
    info "installing Debian packages: $missing"
    # shellcheck disable=SC2086
    if ! { as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq $missing; } >"$CACHE_DIR/apt.log" 2>&1; then
        tail -20 "$CACHE_DIR/apt.log" >&2 || true
        die "Could not install the Debian packages: $missing" \
            "Run as root: apt-get update && apt-get install -y $missing" \
            "(full log: $CACHE_DIR/apt.log)"
    fi
}

step "System packages"
if command -v dpkg-query >/dev/null 2>&1; then
    # Build headers for python-ldap and psycopg2, wkhtmltopdf for PDF reports, git for the source.
    debs=(git libldap2-dev libsasl2-dev libpq-dev build-essential wkhtmltopdf)
    command -v psql >/dev/null 2>&1 || debs+=(postgresql postgresql-client)
    [ "$WITH_BROWSER" = 1 ] && debs+=(chromium)
    install_debs "${debs[@]}"
    info "ok: ${debs[*]}"
else
    info "not a Debian system: make sure git, wkhtmltopdf, PostgreSQL and the LDAP, SASL and libpq headers are installed"
fi
# Odoo prints the header and footer of a PDF report (the letterhead) only with a wkhtmltopdf built
# on patched Qt; Debian's is not, and Odoo then drops them.
if command -v wkhtmltopdf >/dev/null 2>&1; then
    wk_version=$(wkhtmltopdf --version 2>/dev/null || true)
    case "$wk_version" in
        *"with patched qt"*) ;;
        *) info "note: ${wk_version:-wkhtmltopdf} is built without patched Qt: PDF reports print without their header and footer (the reminder letters name the creditor in their body); the wkhtmltox packages of wkhtmltopdf.org print them" ;;
    esac
fi

PY=$(find_python) || die "No Python 3.10-3.12 with the venv module was found." \
    "Install one, e.g. on Debian 12: apt-get install python3 python3-venv python3-dev" \
    "or point PYTHON_BIN at it."
info "python: $PY ($("$PY" --version 2>&1))"

# ---------------------------------------------------------------- postgres
"$REPO_DIR/setup/postgres.sh"

# ---------------------------------------------------------------- odoo source
step "Odoo $ODOO_SERIES source"
wanted_source="${ODOO_SRC:-$ODOO_REPO_URL}@${ODOO_REF:-${ODOO_SRC:+default}}"
[ -z "${ODOO_SRC:-}" ] && wanted_source="$ODOO_REPO_URL@${ODOO_REF:-$ODOO_SERIES}"
have_source=$(cat "$STAMP_DIR/source" 2>/dev/null || true)

fetch_source() {
    local src="${ODOO_SRC:-$ODOO_REPO_URL}" ref="${ODOO_REF:-}" tmp="$CACHE_DIR/odoo.tmp"
    [ -z "${ODOO_SRC:-}" ] && ref="${ODOO_REF:-$ODOO_SERIES}"
    # A local directory is cloned through file:// so that --depth is honoured.
    if [ -d "$src" ]; then src="file://$(cd "$src" && pwd)"; fi
    info "cloning $src${ref:+ (branch $ref)}"
    rm -rf "$tmp"
    if ! git clone -q --depth 1 ${ref:+--branch "$ref"} "$src" "$tmp"; then
        rm -rf "$tmp"
        die "Could not clone the Odoo source from $src." \
            "Set ODOO_SRC to a local Odoo $ODOO_SERIES git directory or a reachable URL (and ODOO_REF to a branch if needed)."
    fi
    local series
    series=$(cd "$tmp" && "$PY" -c 'import runpy; print(runpy.run_path("odoo/release.py")["serie"])' 2>/dev/null || true)
    if [ "$series" != "$ODOO_SERIES" ]; then
        rm -rf "$tmp"
        die "The source at ${ODOO_SRC:-$ODOO_REPO_URL} is Odoo '${series:-unknown}', not $ODOO_SERIES (odoo/release.py)." \
            "Point ODOO_SRC/ODOO_REF at an Odoo $ODOO_SERIES tree."
    fi
    rm -rf "$ODOO_DIR"
    mv "$tmp" "$ODOO_DIR"
    rm -f "$STAMP_DIR/requirements"
    printf '%s\n' "$wanted_source" >"$STAMP_DIR/source"
}

if [ -f "$ODOO_DIR/odoo/release.py" ] && { [ -z "${ODOO_SRC:-}" ] && [ -z "${ODOO_REF:-}" ] || [ "$have_source" = "$wanted_source" ]; }; then
    info "reusing $ODOO_DIR (from ${have_source:-an earlier install})"
else
    fetch_source
fi
info "layout: $(odoo_addons_path)"

# ---------------------------------------------------------------- virtualenv
step "Python virtualenv"
if [ ! -x "$PYTHON" ]; then
    info "creating $VENV_DIR"
    "$PY" -m venv "$VENV_DIR" || die "Could not create a virtualenv with $PY." \
        "On Debian: apt-get install python3-venv"
fi
req_hash=$(cat "$ODOO_DIR/requirements.txt" "$REPO_DIR/requirements.txt" "$REPO_DIR/setup/constraints.txt" | sha256sum | cut -d' ' -f1)
if [ "$(cat "$STAMP_DIR/requirements" 2>/dev/null || true)" = "$req_hash" ]; then
    info "requirements already installed"
else
    info "installing Odoo's requirements and ours (a few minutes the first time; log: $CACHE_DIR/pip.log)"
    # setuptools<70 for an sdist that still imports pkg_resources; newer pip only
    # passes a constraint into isolated build environments via PIP_BUILD_CONSTRAINT.
    export PIP_CONSTRAINT="$REPO_DIR/setup/constraints.txt" PIP_BUILD_CONSTRAINT="$REPO_DIR/setup/constraints.txt"
    if ! "$PYTHON" -m pip install --disable-pip-version-check \
            -r "$ODOO_DIR/requirements.txt" -r "$REPO_DIR/requirements.txt" >"$CACHE_DIR/pip.log" 2>&1; then
        tail -30 "$CACHE_DIR/pip.log" >&2
        die "pip could not install the requirements (full log: $CACHE_DIR/pip.log)." \
            "Missing build headers are the usual cause: apt-get install libldap2-dev libsasl2-dev libpq-dev python3-dev build-essential"
    fi
    # Make the cached Odoo importable (pytest-odoo imports it) without copying it.
    site=$("$PYTHON" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    printf '%s\n' "$ODOO_DIR" >"$site/odoo-collections-odoo.pth"
    "$PYTHON" -c 'import odoo.release as r; assert r.serie == "18.0", r.serie' \
        || die "Odoo is not importable from the virtualenv." "Remove $CACHE_DIR and run the installer again."
    printf '%s\n' "$req_hash" >"$STAMP_DIR/requirements"
    info "done"
fi

if [ "$WITH_BROWSER" = 1 ]; then
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
        || die "Chromium is needed for the browser tests." "Run as root: apt-get install chromium"
fi

# ---------------------------------------------------------------- config
step "Odoo configuration"
{
    echo "[options]"
    echo "addons_path = $(odoo_addons_path)"
    echo "data_dir = $DATA_DIR"
    echo "db_host = ${PGHOST:-False}"
    echo "db_port = $PGPORT"
    echo "db_user = $PGUSER"
    echo "db_password = ${PGPASSWORD:-False}"
    echo "http_port = $HTTP_PORT"
    echo "admin_passwd = ${ODOO_ADMIN_PASSWD:-admin}"
    echo "without_demo = False"
} >"$CONF_FILE"
info "wrote $CONF_FILE"
