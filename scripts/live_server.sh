# Sourced (not run) by scripts that need the service running for real:
#   live_server_start NAME [SEED_USERS]
# starts the throwaway PostgreSQL (scripts/pg.sh), creates a fresh database
# defifundr_NAME_<pid>, migrates it (and seeds SEED_USERS users when given),
# serves it with $BUILD/server/defifundr-data on 127.0.0.1:<free port> and
# sets LIVE_TARGET=127.0.0.1:<port>. On exit the server is stopped and the
# database dropped. Needs ROOT and BUILD set.
live_server_stop() {
  if [ -n "${LIVE_PID:-}" ] && kill -0 "$LIVE_PID" 2>/dev/null; then
    kill -TERM "$LIVE_PID" 2>/dev/null || true
    wait "$LIVE_PID" 2>/dev/null || true
  fi
  LIVE_PID=""
  if [ -n "${LIVE_DB:-}" ]; then
    psql "$("$ROOT/scripts/pg.sh" url postgres)" -qc \
      "DROP DATABASE IF EXISTS $LIVE_DB WITH (FORCE)" >/dev/null 2>&1 || true
    LIVE_DB=""
  fi
  [ -n "${LIVE_LOG:-}" ] && rm -f "$LIVE_LOG"
  return 0
}

live_server_start() {
  local name="$1" seed="${2:-0}" bin="$BUILD/server/defifundr-data" port=""
  [ -x "$bin" ] || { echo "live_server: $bin not built" >&2; return 1; }
  "$ROOT/scripts/pg.sh" start
  LIVE_DB="defifundr_${name}_$$"
  trap live_server_stop EXIT
  local admin
  admin="$("$ROOT/scripts/pg.sh" url postgres)"
  PGOPTIONS="--client-min-messages=warning" psql "$admin" -qc "DROP DATABASE IF EXISTS $LIVE_DB WITH (FORCE)" \
    -c "CREATE DATABASE $LIVE_DB" \
    -c "COMMENT ON DATABASE $LIVE_DB IS 'defifundr-data throwaway database: seed may empty its tables'" >/dev/null
  local url
  url="$("$ROOT/scripts/pg.sh" url "$LIVE_DB")"
  DATABASE_URL="$url" "$bin" migrate up >/dev/null
  if [ "$seed" -gt 0 ]; then
    DATABASE_URL="$url" "$bin" seed --seed_users="$seed" >/dev/null
  fi
  LIVE_LOG="$(mktemp)"
  DATABASE_URL="$url" GRPC_LISTEN=127.0.0.1:0 METRICS_LISTEN=127.0.0.1:0 "$bin" serve >"$LIVE_LOG" 2>&1 &
  LIVE_PID=$!
  for _ in $(seq 1 300); do
    port="$(grep -o 'port=[0-9]*' "$LIVE_LOG" | head -1 | cut -d= -f2 || true)"
    [ -n "$port" ] && break
    if ! kill -0 "$LIVE_PID" 2>/dev/null; then
      echo "live_server: the server exited:" >&2; cat "$LIVE_LOG" >&2; return 1
    fi
    sleep 0.1
  done
  [ -n "$port" ] || { echo "live_server: no port after 30 s:" >&2; cat "$LIVE_LOG" >&2; return 1; }
  LIVE_TARGET="127.0.0.1:$port"
}
