#!/usr/bin/env bash
# The public headers of db/pg/ compile without libpq's headers on the
# include path: only db/pg/*.cc and db/pg/internal/ see libpq-fe.h.
# Usage: public_headers_hide_libpq.sh <c++ compiler> <source dir>
set -euo pipefail
CXX="$1"; SRC="$2"
failed=0
checked=0
for header in "$SRC"/db/pg/*.h; do
  name="db/pg/$(basename "$header")"
  if ! echo "#include \"$name\"" |
      "$CXX" -std=c++20 -fsyntax-only -I"$SRC" -x c++ - 2> /tmp/hide_libpq.$$.log; then
    echo "$name needs libpq's headers:"; head -5 /tmp/hide_libpq.$$.log
    failed=1
  fi
  checked=$((checked + 1))
done
rm -f /tmp/hide_libpq.$$.log
# And the check can fail: the internal header does need them.
if echo '#include "db/pg/internal/status.h"' |
    "$CXX" -std=c++20 -fsyntax-only -I"$SRC" -x c++ - 2>/dev/null; then
  echo "db/pg/internal/status.h compiled without libpq's headers: the check proves nothing"
  exit 1
fi
[ "$failed" = 0 ] || exit 1
echo "ok: $checked public headers of db/pg compile without libpq-fe.h"
