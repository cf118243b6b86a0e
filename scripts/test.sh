#!/usr/bin/env bash
# `make test`: packages, build, a throwaway PostgreSQL, then every test
# (CTest). Tests create and drop their own databases on that server.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
scripts/deps.sh
scripts/build.sh
scripts/pg.sh start
export DEFIFUNDR_TEST_DATABASE_URL="$(scripts/pg.sh url postgres)"
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"
