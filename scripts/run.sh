#!/usr/bin/env bash
# `make run`: packages, build, a throwaway PostgreSQL, migrations, sample data,
# then the service on localhost:50051 (Ctrl-C stops it).
# With DATABASE_URL naming another database, that database is served as it
# is: make run migrates and seeds only the throwaway one it made.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
scripts/deps.sh
scripts/build.sh --target defifundr-data
scripts/pg.sh start
LOCAL_URL="$(scripts/pg.sh url)"
export DATABASE_URL="${DATABASE_URL:-$LOCAL_URL}"
export GRPC_LISTEN="${GRPC_LISTEN:-127.0.0.1:50051}"
export METRICS_LISTEN="${METRICS_LISTEN:-127.0.0.1:9464}"
# The URL as it may be shown: without its password.
SHOWN_URL="$(printf '%s' "$DATABASE_URL" | sed -E 's#(://[^:/@]*):[^@]*@#\1:***@#; s#(password=)[^ ]*#\1***#')"

# A second `make run` must not re-seed the first one's database: the port
# is checked before anything is written.
port="${GRPC_LISTEN##*:}"
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "make run: port $port (GRPC_LISTEN=$GRPC_LISTEN) is taken, by another make run?" >&2
  echo "Stop it, or pick another: make run GRPC_LISTEN=127.0.0.1:50052 METRICS_LISTEN=127.0.0.1:9465" >&2
  exit 1
fi

if [ "$DATABASE_URL" = "$LOCAL_URL" ]; then
  build/server/defifundr-data migrate up
  build/server/defifundr-data seed
  WHAT="the throwaway local database $SHOWN_URL (migrated and seeded)"
else
  WHAT="$SHOWN_URL as it is (make run migrates and seeds only its own throwaway database; run make migrate-up yourself if needed)"
fi
cat <<MSG

DefiFundr data service on ${GRPC_LISTEN}, serving ${WHAT}
Try, from another shell (grpcurl uses the server's reflection):
  grpcurl -plaintext ${GRPC_LISTEN} list
  grpcurl -plaintext -d '{"page_size": 3}' ${GRPC_LISTEN} defifundr.data.v1.UserService/ListUsers
  grpcurl -plaintext ${GRPC_LISTEN} grpc.health.v1.Health/Check
Stop with Ctrl-C.

MSG
exec build/server/defifundr-data serve
