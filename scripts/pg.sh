#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for development and tests.
#   scripts/pg.sh start   initdb (first time) and start; prints nothing else
#   scripts/pg.sh stop    stop it
#   scripts/pg.sh url [DB]  print the libpq URI of database DB (default defifundr)
#   scripts/pg.sh wipe    stop and delete its data
# Data lives in .dev/pg under the repository (or DEFIFUNDR_PG_DIR). As root,
# the server runs as the `postgres` user (initdb refuses root); when the
# repository is not reachable by that user, the data goes to /tmp instead.
#   scripts/pg.sh move-port  stop it and move it to a free port (data kept)
# Port: DEFIFUNDR_PG_PORT, else the first free port from 55432 up, chosen
# when the cluster is first started and kept in .dev/pg.port; 127.0.0.1 only.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${DEFIFUNDR_PG_PORT:-}"
BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
DIR="${DEFIFUNDR_PG_DIR:-$ROOT/.dev/pg}"

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

resolve_dir() {
  mkdir -p "$DIR"
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$DIR" 2>/dev/null || true
    if ! runuser -u postgres -- test -w "$DIR" 2>/dev/null; then
      DIR="/tmp/defifundr-data-pg-$(echo -n "$ROOT" | md5sum | cut -c1-8)"
      mkdir -p "$DIR"
      chown postgres: "$DIR"
    fi
  fi
  # Where the data went, for `stop`/`wipe` from any later shell.
  echo "$DIR" > "$ROOT/.dev/pg.location" 2>/dev/null || true
}

running() { [ -f "$DIR/data/postmaster.pid" ] && as_pg "$BIN/pg_ctl" -D "$DIR/data" status >/dev/null 2>&1; }

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# The cluster's port is chosen when the cluster is created and stored with it
# (.dev/pg.port); before that, `url` shows the port `start` would choose.
pick_port() {
  [ -n "$PORT" ] && return
  if [ -f "$ROOT/.dev/pg.port" ]; then PORT="$(cat "$ROOT/.dev/pg.port")"; return; fi
  PORT=55432
  while port_busy "$PORT"; do PORT=$((PORT + 1)); done
}

url() { echo "postgresql://postgres@127.0.0.1:${PORT}/${1:-defifundr}?sslmode=disable"; }

cmd="${1:-start}"
mkdir -p "$ROOT/.dev"
if [ -f "$ROOT/.dev/pg.location" ] && [ -z "${DEFIFUNDR_PG_DIR:-}" ]; then
  DIR="$(cat "$ROOT/.dev/pg.location")"
fi
pick_port
case "$cmd" in
  start)
    resolve_dir
    if [ ! -f "$DIR/data/PG_VERSION" ]; then
      as_pg "$BIN/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 \
        --locale=C.UTF-8 --no-sync >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; exit 1; }
    fi
    [ -n "${DEFIFUNDR_PG_PORT:-}" ] || [ -f "$ROOT/.dev/pg.port" ] || echo "$PORT" > "$ROOT/.dev/pg.port"
    if ! running && port_busy "$PORT"; then
      echo "scripts/pg.sh: port $PORT, this database's port, is taken by another program." >&2
      echo "Stop that program, or move this database to a free port (its data stays):" >&2
      echo "  scripts/pg.sh move-port" >&2
      exit 1
    fi
    if ! running; then
      mkdir -p "$DIR/sock" && chown postgres: "$DIR/sock" 2>/dev/null || true
      as_pg "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
        -o "-p $PORT -k $DIR/sock -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 -c log_line_prefix='%m [%p] %a ' -c log_parameter_max_length=0 -c log_parameter_max_length_on_error=0 -c log_error_verbosity=terse" \
        start >/dev/null || { tail -20 "$DIR/server.log" >&2; exit 1; }
    fi
    psql "$(url postgres)" -qtAc "SELECT 1 FROM pg_database WHERE datname = 'defifundr'" | grep -q 1 \
      || psql "$(url postgres)" -qc "CREATE DATABASE defifundr"
    # This cluster is throwaway: seed may empty its database (the marker is
    # db/seed/seeder.h's kThrowawayDatabaseComment).
    psql "$(url postgres)" -qc "COMMENT ON DATABASE defifundr IS 'defifundr-data throwaway database: seed may empty its tables'"
    # One role that must give its password (everyone else is trusted): the
    # tests of a refused connection (wrong password, SQLSTATE 28P01) use it.
    HBA="$DIR/data/pg_hba.conf"
    if ! grep -q defifundr_password_check "$HBA"; then
      { echo "host all defifundr_password_check 127.0.0.1/32 scram-sha-256"; cat "$HBA"; } > "$HBA.new"
      chown postgres: "$HBA.new" 2>/dev/null || true
      mv "$HBA.new" "$HBA"
      as_pg "$BIN/pg_ctl" -D "$DIR/data" reload >/dev/null
    fi
    psql "$(url postgres)" -qtAc "SELECT 1 FROM pg_roles WHERE rolname = 'defifundr_password_check'" | grep -q 1 \
      || psql "$(url postgres)" -qc "CREATE ROLE defifundr_password_check LOGIN PASSWORD 'the-right-password'"
    ;;
  stop)
    if [ -f "$DIR/pgbouncer/pgbouncer.pid" ]; then "$ROOT/scripts/pgbouncer.sh" stop || true; fi
    if [ -d "$DIR/data" ] && running; then as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null; fi
    ;;
  url)
    url "${2:-defifundr}"
    ;;
  move-port)
    if [ -d "$DIR/data" ] && running; then as_pg "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null; fi
    PORT=55432
    while port_busy "$PORT"; do PORT=$((PORT + 1)); done
    echo "$PORT" > "$ROOT/.dev/pg.port"
    echo "scripts/pg.sh: the local database now uses port $PORT (scripts/pg.sh start starts it)"
    ;;
  wipe)
    if [ -f "$DIR/pgbouncer/pgbouncer.pid" ]; then "$ROOT/scripts/pgbouncer.sh" stop || true; fi
    if [ -d "$DIR/data" ] && running; then as_pg "$BIN/pg_ctl" -D "$DIR/data" -m immediate -w stop >/dev/null; fi
    rm -rf "$DIR" "$ROOT/.dev/pg.location" "$ROOT/.dev/pg.port" "$ROOT/.dev/pgbouncer.port"
    ;;
  *)
    echo "usage: scripts/pg.sh start|stop|url [DB]|wipe|move-port" >&2; exit 2 ;;
esac
