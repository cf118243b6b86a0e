#!/usr/bin/env bash
# A throwaway PostgreSQL 15 primary and its streaming replica, for the tests
# of read routing and failover (tests/integration/replica_pg_test.cc starts
# one per test). Both listen on 127.0.0.1 only.
#   scripts/pg_pair.sh DIR PRIMARY_PORT REPLICA_PORT start
#       initdb the primary (first time), start it, create database
#       `defifundr`; copy it with pg_basebackup -R (streaming replication,
#       a standby.signal) and start the replica
#   ... stop-primary | start-primary | stop-replica | start-replica
#   ... promote          promote the replica (pg_ctl promote; waits)
#   ... delay-replica MS replay WAL on the replica MS ms late
#                        (recovery_min_apply_delay; 0 turns it off)
#   ... destroy          stop both and delete DIR
# As root, the servers run as the `postgres` user (initdb refuses root).
set -euo pipefail

BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
[ $# -ge 4 ] || { echo "usage: scripts/pg_pair.sh DIR PRIMARY_PORT REPLICA_PORT start|stop-primary|start-primary|stop-replica|start-replica|promote|delay-replica MS|destroy" >&2; exit 2; }
DIR="$1"; PPORT="$2"; RPORT="$3"; cmd="$4"

as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Settings of both servers: throwaway data (no fsync), room for the tests'
# connections, and a log line prefix naming the backend and application.
OPTS="-c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200 -c log_line_prefix='%m [%p] %a ' -c wal_level=replica -c max_wal_senders=5 -c hot_standby=on"

start_one() {  # data-dir port log
  as_pg mkdir -p "$DIR/sock"
  as_pg "$BIN/pg_ctl" -D "$1" -l "$3" -w -t 60 \
    -o "-p $2 -k $DIR/sock $OPTS" start >/dev/null || { tail -20 "$3" >&2; exit 1; }
}

stop_one() {  # data-dir
  if [ -f "$1/postmaster.pid" ]; then
    as_pg "$BIN/pg_ctl" -D "$1" -m fast -w -t 60 stop >/dev/null || true
  fi
}

case "$cmd" in
  start)
    mkdir -p "$DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$DIR"
    if [ ! -f "$DIR/primary/PG_VERSION" ]; then
      as_pg "$BIN/initdb" -D "$DIR/primary" -U postgres -A trust -E UTF8 \
        --locale=C.UTF-8 --no-sync >"$DIR/initdb.log" 2>&1 \
        || { cat "$DIR/initdb.log" >&2; exit 1; }
    fi
    start_one "$DIR/primary" "$PPORT" "$DIR/primary.log"
    psql "postgresql://postgres@127.0.0.1:$PPORT/postgres?sslmode=disable" -qtAc \
      "SELECT 1 FROM pg_database WHERE datname = 'defifundr'" | grep -q 1 \
      || psql "postgresql://postgres@127.0.0.1:$PPORT/postgres?sslmode=disable" -qc "CREATE DATABASE defifundr"
    if [ ! -f "$DIR/replica/PG_VERSION" ]; then
      # -R writes primary_conninfo and standby.signal: a streaming standby.
      as_pg "$BIN/pg_basebackup" -h 127.0.0.1 -p "$PPORT" -U postgres \
        -D "$DIR/replica" -R -X stream -c fast --no-sync >"$DIR/basebackup.log" 2>&1 \
        || { cat "$DIR/basebackup.log" >&2; exit 1; }
    fi
    start_one "$DIR/replica" "$RPORT" "$DIR/replica.log"
    ;;
  stop-primary) stop_one "$DIR/primary" ;;
  start-primary) start_one "$DIR/primary" "$PPORT" "$DIR/primary.log" ;;
  stop-replica) stop_one "$DIR/replica" ;;
  start-replica) start_one "$DIR/replica" "$RPORT" "$DIR/replica.log" ;;
  promote) as_pg "$BIN/pg_ctl" -D "$DIR/replica" -w -t 60 promote >/dev/null ;;
  delay-replica)
    ms="${5:?delay-replica needs a delay in milliseconds}"
    psql "postgresql://postgres@127.0.0.1:$RPORT/postgres?sslmode=disable" -qc \
      "ALTER SYSTEM SET recovery_min_apply_delay = '${ms}ms'" -c "SELECT pg_reload_conf()" >/dev/null
    ;;
  destroy)
    stop_one "$DIR/replica"
    stop_one "$DIR/primary"
    rm -rf "$DIR"
    ;;
  *) echo "scripts/pg_pair.sh: unknown command $cmd" >&2; exit 2 ;;
esac
