#!/usr/bin/env bash
# Schema documentation from the live database at DATABASE_URL:
#   scripts/db_docs.sh schema   docs/schema.sql: pg_dump --schema-only
#   scripts/db_docs.sh          that, then docs/db_diagram/db.dbml: DBML made
#                               from it by @dbml/cli's sql2dbml (npx fetches
#                               it; Node.js and network access needed)
# Goose's goose_db_version table is left out; so are the lines that change
# from one pg_dump run to the next (its \restrict key, version comments), so
# the files change only when the schema does. DBML_CLI names the npm package
# (default: a tested @dbml/cli release).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
: "${DATABASE_URL:?DATABASE_URL must name the database to document}"
DBML_CLI="${DBML_CLI:-@dbml/cli@6.6.0}"

mkdir -p docs/db_diagram
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "db_docs: dumping the schema (pg_dump --schema-only)"
pg_dump --schema-only --no-owner --no-privileges \
  --exclude-table=goose_db_version "$DATABASE_URL" \
  | sed -e '/^\\restrict /d' -e '/^\\unrestrict /d' -e '/^-- Dumped /d' \
  >"$work/schema.sql"
cat "$work/schema.sql" >docs/schema.sql
echo "db_docs: wrote docs/schema.sql"
[ "${1:-}" = "schema" ] && exit 0

command -v npx >/dev/null || {
  echo "db_docs: npx (Node.js) is needed for $DBML_CLI" >&2
  exit 1
}
# sql2dbml reads `timestamp with time zone` as DBML's `timestamp`: it is
# given PostgreSQL's short names (timestamptz, timetz), which it keeps.
sed -e 's/timestamp\(([0-9])\)\{0,1\} with time zone/timestamptz\1/g' \
    -e 's/time\(([0-9])\)\{0,1\} with time zone/timetz\1/g' \
  "$work/schema.sql" >"$work/schema_short_types.sql"
echo "db_docs: converting to DBML with $DBML_CLI (npx; its first run downloads it, about a minute)"
# sql2dbml writes dbml-error.log into its working directory: keep it out of
# the repository, and show it when the conversion fails.
if ! (cd "$work" && npx --yes -p "$DBML_CLI" sql2dbml --postgres \
  "$work/schema_short_types.sql" -o "$work/db.dbml"); then
  cat "$work/dbml-error.log" >&2 2>/dev/null || true
  exit 1
fi
cat "$work/db.dbml" >docs/db_diagram/db.dbml
echo "db_docs: wrote docs/db_diagram/db.dbml"
