#!/bin/bash
# pg-test-cluster.sh: a private, throw-away PostgreSQL server for tests.
#
#   scripts/pg-test-cluster.sh start DIR   # prints a libpq conninfo string
#   scripts/pg-test-cluster.sh stop DIR    # stops the server, removes DIR
#
# The cluster lives in DIR (created if missing; give a fresh mktemp -d),
# listens only on a Unix socket in DIR (no TCP port, so parallel runs never
# collide), trusts local connections, and runs without fsync (test data).
# PostgreSQL refuses to run as root, so as root the server runs as the
# unprivileged user 'nobody' and DIR is handed to it; as any other user it
# runs as that user.  'stop' always removes DIR, even when the server is
# already gone, and kills the postmaster by its PID (from DIR) if a fast
# shutdown does not end it.
#
# Exit status: 0, 1 on failure, 77 when PostgreSQL is not installed (the
# test harness reads 77 as SKIP).  PGBIN overrides the binaries' directory.
set -u
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 1; }

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u nobody -- "$@"
    else
        "$@"
    fi
}

case $cmd in
start)
    [ -x "$PGBIN/initdb" ] && [ -x "$PGBIN/pg_ctl" ] \
        || { echo "PostgreSQL not found in $PGBIN" >&2; exit 77; }
    mkdir -p "$dir" || exit 1
    chmod 700 "$dir"
    if [ "$(id -u)" = 0 ]; then
        chown nobody "$dir" || exit 1
    fi
    as_owner "$PGBIN/initdb" -D "$dir/data" -U lamina --auth=trust -E UTF8 \
        --no-locale --no-sync >"$dir/initdb.log" 2>&1 \
        || { echo "initdb failed:" >&2; cat "$dir/initdb.log" >&2; exit 1; }
    # The port only names the socket file (.s.PGSQL.PORT); no TCP.
    port=$((20000 + RANDOM % 20000))
    as_owner "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-k $dir -p $port -h '' -c fsync=off -c full_page_writes=off" \
        start >/dev/null 2>&1 \
        || { echo "postgres did not start:" >&2; cat "$dir/server.log" >&2; exit 1; }
    echo "host=$dir port=$port dbname=postgres user=lamina"
    ;;
stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
        pid=$(head -1 "$dir/data/postmaster.pid")
        as_owner "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w -t 20 stop \
            >/dev/null 2>&1
        if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null
        fi
    fi
    case $dir in
    /|"") ;;
    *) rm -rf "$dir" ;;
    esac
    ;;
*)
    echo "usage: $0 start|stop DIR" >&2
    exit 1
    ;;
esac
