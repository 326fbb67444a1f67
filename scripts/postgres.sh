#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL server for the tests, on loopback only.
# Usage: scripts/postgres.sh start|stop   (prints the DATABASE_URL on start)
set -euo pipefail
PORT=${CORESPONSE_PG_PORT:-55432}
DATA=${CORESPONSE_PG_DATA:-/tmp/coresponse-pg-$PORT}
BIN=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)")
as_pg() {
  # The server refuses to run as root: use the postgres account the Debian package made.
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-}" in
  start)
    if as_pg "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
      as_pg "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null
    fi
    rm -rf "$DATA"
    mkdir -p "$DATA"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$DATA"
    as_pg "$BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
    # Durability settings are off: this server holds only test data and is thrown away.
    # CORESPONSE_PG_SHARED_BUFFERS sizes its buffer cache (PostgreSQL's default: 128MB).
    as_pg "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -o \
      "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=${CORESPONSE_PG_SHARED_BUFFERS:-128MB}" \
      start >/dev/null
    echo "postgres://postgres@127.0.0.1:$PORT/coresponse"
    ;;
  stop)
    as_pg "$BIN/pg_ctl" -D "$DATA" -m fast stop >/dev/null 2>&1 || true
    rm -rf "$DATA"
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
