#!/usr/bin/env bash
# `make run`: packages, build, a throwaway PostgreSQL, migrations, sample data,
# then the service on localhost:50051 (Ctrl-C stops it).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
scripts/deps.sh
scripts/build.sh
scripts/pg.sh start
export DATABASE_URL="${DATABASE_URL:-$(scripts/pg.sh url)}"
export GRPC_LISTEN="${GRPC_LISTEN:-127.0.0.1:50051}"
export METRICS_LISTEN="${METRICS_LISTEN:-127.0.0.1:9464}"
build/server/defifundr-data migrate up
build/server/defifundr-data seed
cat <<MSG

DefiFundr data service on ${GRPC_LISTEN} (database ${DATABASE_URL})
Try, from another shell (grpcurl uses the server's reflection):
  grpcurl -plaintext ${GRPC_LISTEN} list
  grpcurl -plaintext -d '{"page_size": 3}' ${GRPC_LISTEN} defifundr.data.v1.UserService/ListUsers
  grpcurl -plaintext ${GRPC_LISTEN} grpc.health.v1.Health/Check
Stop with Ctrl-C.

MSG
exec build/server/defifundr-data serve
