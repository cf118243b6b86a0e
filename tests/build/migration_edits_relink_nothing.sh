#!/usr/bin/env bash
# Editing or adding a migration relinks nothing: no file of db/migrations is
# an input of defifundr-data (which reads them at run time), so the
# migrate, seed and run targets go straight to work.
#   tests/build/migration_edits_relink_nothing.sh BUILD_DIR
set -euo pipefail
BUILD="$1"
inputs="$(ninja -C "$BUILD" -t inputs server/defifundr-data)"
# The listing itself works (else the check below could never fail).
grep -q 'server/main.cc' <<<"$inputs" || {
  echo "ninja -t inputs did not list server/main.cc:" >&2
  head -5 <<<"$inputs" >&2
  exit 1
}
if grep 'db/migrations/' <<<"$inputs"; then
  echo "defifundr-data depends on the migration files above: editing one relinks it" >&2
  exit 1
fi
echo "defifundr-data has $(wc -l <<<"$inputs") inputs, none of them under db/migrations/"
