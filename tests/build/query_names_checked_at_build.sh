#!/usr/bin/env bash
# A named query is reached only through its generated symbol: the right
# name compiles, a misspelt one and a string literal do not.
# Usage: query_names_checked_at_build.sh <c++ compiler> <source dir> <generated include dir>
set -euo pipefail
CXX="$1"; SRC="$2"; GEN="$3"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
try() {  # try <name> <expression>: compiles a call passing <expression>
  cat > "$WORK/$1.cc" <<CC
#include "db/query_names.h"
void Run(defifundr::db::QueryName statement);
void Caller() { Run($2); }
CC
  "$CXX" -std=c++20 -fsyntax-only -I"$SRC" -I"$GEN" "$WORK/$1.cc" > "$WORK/$1.log" 2>&1
}
try right 'defifundr::db::queries::kGetUserByEmail' \
  || { echo "the right name does not compile:"; cat "$WORK/right.log"; exit 1; }
if try misspelt 'defifundr::db::queries::kGetUserByEmial'; then
  echo "a misspelt query name compiled"; exit 1
fi
grep -q "kGetUserByEmial" "$WORK/misspelt.log" \
  || { echo "the error does not name the misspelt query:"; cat "$WORK/misspelt.log"; exit 1; }
if try literal '"GetUserByEmail"'; then
  echo "a string literal was taken as a query name"; exit 1
fi
echo "ok: right name compiles; misspelt name and string literal fail"
