#!/usr/bin/env bash
# Configures (once) and builds everything into build/ (or BUILD_DIR, with
# the -D options in CMAKE_ARGS) with Ninja and ccache; arguments go to
# `cmake --build` (e.g. --target defifundr-data).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD_DIR:-$ROOT/build}"
# ccache hits across clones in different folders (paths made relative).
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"
export CCACHE_NOHASHDIR=1
if [ ! -f "$BUILD/build.ninja" ]; then
  # shellcheck disable=SC2086 # CMAKE_ARGS: extra -D options, split on spaces.
  cmake -S "$ROOT" -B "$BUILD" -G Ninja \
    -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" ${CMAKE_ARGS:-} >/dev/null
fi
cmake --build "$BUILD" -j "$(nproc)" "$@"
