#!/usr/bin/env bash
# `make reflection-test`: grpcurl's job done by a client that is not ours
# (tests/e2e/reflection_js: @grpc/grpc-js + grpc-js-reflection-client from
# the npm registry, versions pinned by its package-lock.json) against a live
# server over a fresh, seeded database: list the services, fetch their
# descriptors by reflection, call Create/Get/List with JSON built from those
# descriptors alone, and run every grpcurl example of README.md unchanged.
# The examples' output goes to $BUILD/reflection-js/transcript.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
BUILD="${BUILD_DIR:-$ROOT/build}"
SRC="$ROOT/tests/e2e/reflection_js"
WORK="$BUILD/reflection-js"
# shellcheck source=scripts/live_server.sh
. "$ROOT/scripts/live_server.sh"

# The npm packages, installed outside the source tree (npm ci: exactly the
# lock file), again only when the lock file changed.
mkdir -p "$WORK"
if ! cmp -s "$SRC/package-lock.json" "$WORK/package-lock.json" || [ ! -d "$WORK/node_modules" ]; then
  cp "$SRC/package.json" "$SRC/package-lock.json" "$WORK/"
  (cd "$WORK" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
fi

live_server_start reflection 20
echo "reflection-test: against $LIVE_TARGET; the README examples' output goes to $WORK/transcript.txt"
DEFIFUNDR_DATA_TARGET="$LIVE_TARGET" \
RPCURL_TRANSCRIPT="$WORK/transcript.txt" \
NODE_PATH="$WORK/node_modules" \
  node --test "$SRC/reflection.test.js"
