#!/usr/bin/env bash
# `make bench`: this service side by side with pgbench and the Go/pgx peer,
# on the throwaway PostgreSQL (scripts/bench.py says what runs and prints the
# table). BENCH_SECONDS, BENCH_WARMUP, BENCH_CLIENTS and BENCH_SIZE shorten
# it (`make test` runs it for a few seconds per contender so that it cannot
# rot).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD="${BUILD_DIR:-$ROOT/build}"
for f in "$BUILD/server/defifundr-data" "$BUILD/tests/bench/defifundr_loadgen"; do
  [ -x "$f" ] || { echo "bench: $f is not built (make build)" >&2; exit 1; }
done
command -v pgbench >/dev/null || { echo "bench: pgbench not found (scripts/deps.sh installs it)" >&2; exit 1; }
scripts/pg.sh start
exec /usr/bin/python3 "$ROOT/scripts/bench.py"
