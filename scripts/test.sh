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
# Its own log, which a test reads for secrets that must not be there.
export DEFIFUNDR_TEST_PG_LOG="$(cat .dev/pg.location)/server.log"
# PgBouncer in transaction mode in front of it, for the Pooler.* tests.
scripts/pgbouncer.sh start
export DEFIFUNDR_TEST_POOLER_URL="$(scripts/pgbouncer.sh url postgres)"
# Beyond CTest (skipped when arguments select CTest tests): the generated Go
# stubs compiled; the installed client package built by a consumer project
# and run, with the Go example, against a live server; a non-C++ reflection
# client running the README's grpcurl examples; deploy/k8s rendered by
# kustomize and validated against the Kubernetes and CloudNativePG schemas;
# make bench in a short mode.
# They run first so that
# CTest's summary closes the output.
if [ $# -eq 0 ]; then
  scripts/proto_go.sh
  scripts/client_example.sh
  scripts/reflection_test.sh
  scripts/deploy_check.sh
  # make bench, a few seconds per contender, so that it cannot rot.
  BENCH_SECONDS=0.5 BENCH_WARMUP=0.2 BENCH_CLIENTS="1 16" BENCH_SIZE=small \
    scripts/bench.sh
fi
ctest --test-dir build --output-on-failure -j "$(nproc)" "$@"

# The whole suite again, built with AddressSanitizer (leaks included) and
# UndefinedBehaviorSanitizer into build-asan/ (SANITIZE=0 skips it; so do
# arguments that select CTest tests). A report fails its test.
if [ $# -eq 0 ] && [ "${SANITIZE:-1}" != 0 ]; then
  BUILD_DIR="$ROOT/build-asan" CMAKE_ARGS="-DDEFIFUNDR_SANITIZE=ON" \
    scripts/build.sh
  export ASAN_OPTIONS="detect_leaks=1:halt_on_error=1:strict_string_checks=1"
  export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
  export LSAN_OPTIONS="suppressions=$ROOT/tests/sanitizers/lsan.supp:print_suppressions=0"
  ctest --test-dir build-asan --output-on-failure -j "$(nproc)"
fi
