#!/usr/bin/env bash
# A throwaway PgBouncer in transaction mode in front of the local PostgreSQL
# of scripts/pg.sh, for the tests that run the service behind a
# transaction-mode pooler.
#   scripts/pgbouncer.sh start      start it (scripts/pg.sh start first)
#   scripts/pgbouncer.sh stop       stop it
#   scripts/pgbouncer.sh url [DB]   the libpq URI of database DB through it
# Every database name is passed through to the same name on PostgreSQL.
# Port: DEFIFUNDR_PGBOUNCER_PORT, else the first free port from 56432 up
# (remembered in .dev/pgbouncer.port), on 127.0.0.1 only.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$ROOT/.dev"
PG_URL="$("$ROOT/scripts/pg.sh" url postgres)"
PG_PORT="$(echo "$PG_URL" | sed -E 's|.*:([0-9]+)/.*|\1|')"
PG_DIR="$(cat "$ROOT/.dev/pg.location" 2>/dev/null || echo "$ROOT/.dev/pg")"
DIR="$PG_DIR/pgbouncer"
PORT="${DEFIFUNDR_PGBOUNCER_PORT:-}"

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
running() { [ -f "$DIR/pgbouncer.pid" ] && kill -0 "$(cat "$DIR/pgbouncer.pid")" 2>/dev/null; }

if [ -z "$PORT" ]; then
  if [ -f "$ROOT/.dev/pgbouncer.port" ]; then
    PORT="$(cat "$ROOT/.dev/pgbouncer.port")"
  else
    PORT=56432
    while port_busy "$PORT"; do PORT=$((PORT + 1)); done
    echo "$PORT" > "$ROOT/.dev/pgbouncer.port"
  fi
fi

case "${1:-start}" in
  start)
    command -v pgbouncer >/dev/null || { echo "pgbouncer is not installed (scripts/deps.sh)" >&2; exit 1; }
    running && exit 0
    mkdir -p "$DIR"
    cat > "$DIR/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=$PG_PORT user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PORT
unix_socket_dir =
auth_type = any
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
ignore_startup_parameters = extra_float_digits
logfile = $DIR/pgbouncer.log
pidfile = $DIR/pgbouncer.pid
INI
    [ "$(id -u)" -eq 0 ] && chown -R postgres: "$DIR"
    as_pg pgbouncer -d -q "$DIR/pgbouncer.ini" || { tail -20 "$DIR/pgbouncer.log" >&2; exit 1; }
    for _ in $(seq 50); do port_busy "$PORT" && exit 0; sleep 0.1; done
    echo "pgbouncer did not start listening on port $PORT" >&2
    tail -20 "$DIR/pgbouncer.log" >&2
    exit 1
    ;;
  stop)
    if running; then kill "$(cat "$DIR/pgbouncer.pid")"; fi
    ;;
  url)
    echo "postgresql://postgres@127.0.0.1:${PORT}/${2:-defifundr}?sslmode=disable"
    ;;
  *)
    echo "usage: scripts/pgbouncer.sh start|stop|url [DB]" >&2; exit 2 ;;
esac
