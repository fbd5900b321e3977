#!/usr/bin/env bash
# Make sure a PostgreSQL server answers and the configured role can create
# databases: start a local cluster that is installed but stopped, create the
# role where it is missing, and say what to install where PostgreSQL is absent.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

step "PostgreSQL"

pg_answers() { pg_isready -q -d postgres >/dev/null 2>&1; }
as_postgres() {
    if [ "$(id -u)" -eq 0 ]; then su postgres -c "$*"
    elif command -v sudo >/dev/null 2>&1; then sudo -u postgres sh -c "$*"
    else return 1
    fi
}

if ! command -v pg_isready >/dev/null 2>&1; then
    die "PostgreSQL is not installed." \
        "Install it (Debian/Ubuntu, as root): apt-get install postgresql postgresql-client" \
        "or point PGHOST/PGPORT/PGUSER/PGPASSWORD at a running server."
fi

if ! pg_answers; then
    if [ -z "$PGHOST" ] && command -v pg_lsclusters >/dev/null 2>&1; then
        clusters=$(pg_lsclusters -h 2>/dev/null | awk -v port="$PGPORT" '$3 == port {print $1 " " $2}')
        [ -n "$clusters" ] || die "No local PostgreSQL cluster listens on port $PGPORT." \
            "Create one (as root): pg_createcluster --start 15 main" "or set PGPORT to the port of your cluster."
        while read -r version name; do
            info "starting cluster $version/$name"
            as_root pg_ctlcluster --skip-systemctl-redirect "$version" "$name" start \
                || die "Could not start PostgreSQL cluster $version/$name." \
                       "Start it as root: pg_ctlcluster $version $name start (log in /var/log/postgresql/)"
        done <<<"$clusters"
        for _ in $(seq 1 30); do pg_answers && break; sleep 1; done
    fi
    pg_answers || die "PostgreSQL does not answer on ${PGHOST:-the local socket}:$PGPORT." \
        "Start the server, or set PGHOST/PGPORT to a running one."
fi

if ! psql -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
    info "creating PostgreSQL role '$PGUSER'"
    as_postgres "createuser --superuser '$PGUSER'" \
        || die "PostgreSQL role '$PGUSER' does not exist and could not be created." \
               "Create it: sudo -u postgres createuser --superuser $PGUSER" \
               "or set PGUSER/PGPASSWORD to an existing role that may create databases."
fi
psql -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolcreatedb OR rolsuper)" | grep -q 1 \
    || die "PostgreSQL role '$PGUSER' may not create databases." \
           "Grant it (as postgres): ALTER ROLE \"$PGUSER\" CREATEDB;"
info "ok: $(psql -d postgres -tAc 'SHOW server_version') as '$PGUSER' on ${PGHOST:-local socket}:$PGPORT"
