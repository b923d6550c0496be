#!/usr/bin/env bash
# A throwaway PostgreSQL for team mode's tests: a cluster in a temporary directory on a free
# port, started with Debian's binaries as the `postgres` user (initdb refuses root).
#   eval "$(bash tests/postgres.sh start)"   # exports TOKENTRAY_TEST_POSTGRES_URL and _DIR
#   bash tests/postgres.sh stop DIR
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/initdb" ] || { echo "PostgreSQL is not installed (apt install postgresql)" >&2; exit 1; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

case "${1:-}" in
  start)
    dir=$(mktemp -d /tmp/tokentray-pg.XXXXXX)
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_postgres "$bin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >/dev/null
    # In its configuration, so that a test that stops and starts it gets the same server.
    cat >>"$dir/data/postgresql.conf" <<CONF
port = $port
unix_socket_directories = '$dir'
listen_addresses = '127.0.0.1'
fsync = off
max_connections = 200
CONF
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w start >/dev/null
    echo "export TOKENTRAY_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
    echo "export TOKENTRAY_TEST_POSTGRES_DIR=$dir"
    ;;
  stop)
    dir=${2:?the directory start printed}
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start | stop DIR" >&2
    exit 2
    ;;
esac
