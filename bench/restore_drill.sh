#!/usr/bin/env bash
# Restore drill: prove a backup restores with nothing lost, both ways (docs/deploy.md).
#
#   bench/restore_drill.sh [SOURCE_DB]
#
# SOURCE_DB is read, never changed. Without it, a database `registry_drill` is (re)created,
# migrated and loaded with the demo profiles first. Then:
#   1. export_profiles --jsonl from the source                     -> before.jsonl
#   2. pg_dump -Fc of the source; pg_restore into SOURCE_restored_dump; export -> after-dump.jsonl
#   3. a new database SOURCE_restored_import, migrated; import_profiles before.jsonl; export -> after-import.jsonl
#   4. both exports must be byte-identical to before.jsonl, and the dump's restore must hold
#      the same number of rows in every table as the source.
# Prints the sizes and times; exits non-zero on any difference. KEEP=1 keeps the restored databases.
set -euo pipefail
cd "$(dirname "$0")/.."

PG="postgres://postgres@127.0.0.1:5432"
PYTHON=.venv/bin/python
SOURCE="${1:-registry_drill}"
DUMP_DB="${SOURCE}_restored_dump"
IMPORT_DB="${SOURCE}_restored_import"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

export DEBUG=0 SECRET_KEY=restore-drill-only ALLOWED_HOSTS=localhost LOG_LEVEL=ERROR PGOPTIONS="-c client_min_messages=warning"
psql_() { psql -X -q -t -A -h 127.0.0.1 -U postgres "$@"; }
manage() { local db=$1; shift; DATABASE_URL="$PG/$db" "$PYTHON" manage.py "$@"; }
now() { date +%s.%N; }
took() { printf '%.1f s' "$(echo "$(now) - $1" | bc)"; }
recreate() { psql_ -d postgres -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)" -c "CREATE DATABASE \"$1\""; }
counts() {  # every table's row count, one "table count" per line
  psql_ -d "$1" -c "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1" |
    while read -r table; do echo "$table $(psql_ -d "$1" -c "SELECT count(*) FROM \"$table\"")"; done
}

if [ $# -eq 0 ]; then
  echo "== source: $SOURCE, migrated, with the demo profiles =="
  recreate "$SOURCE"
  manage "$SOURCE" migrate --no-input -v 0
  manage "$SOURCE" load_demo --no-accounts >/dev/null
fi

echo "== 1. export the source =="
t=$(now); manage "$SOURCE" export_profiles --jsonl -o "$work/before.jsonl"
echo "   $(wc -l <"$work/before.jsonl") profiles, $(du -h "$work/before.jsonl" | cut -f1), $(took "$t")"
counts "$SOURCE" >"$work/counts-source.txt"

echo "== 2. pg_dump, pg_restore into $DUMP_DB, export =="
t=$(now); pg_dump -h 127.0.0.1 -U postgres -Fc -f "$work/source.dump" "$SOURCE"
echo "   dump: $(du -h "$work/source.dump" | cut -f1), $(took "$t")"
recreate "$DUMP_DB"
t=$(now); pg_restore -h 127.0.0.1 -U postgres --no-owner --exit-on-error -d "$DUMP_DB" "$work/source.dump"
echo "   restore: $(took "$t")"
manage "$DUMP_DB" export_profiles --jsonl -o "$work/after-dump.jsonl"
counts "$DUMP_DB" >"$work/counts-dump.txt"
diff -u "$work/counts-source.txt" "$work/counts-dump.txt" >/dev/null || { echo "   row counts differ:"; diff -u "$work/counts-source.txt" "$work/counts-dump.txt"; exit 1; }
echo "   every table has the same row count ($(wc -l <"$work/counts-source.txt") tables, $(awk '{s += $2} END {print s}' "$work/counts-source.txt") rows)"
cmp "$work/before.jsonl" "$work/after-dump.jsonl" && echo "   export after restore: byte-identical"

echo "== 3. migrate $IMPORT_DB, import_profiles the export, export again =="
recreate "$IMPORT_DB"
manage "$IMPORT_DB" migrate --no-input -v 0
t=$(now); manage "$IMPORT_DB" import_profiles "$work/before.jsonl"
echo "   import: $(took "$t")"
manage "$IMPORT_DB" export_profiles --jsonl -o "$work/after-import.jsonl"
cmp "$work/before.jsonl" "$work/after-import.jsonl" && echo "   export after import: byte-identical"

if [ "${KEEP:-0}" != 1 ]; then
  psql_ -d postgres -c "DROP DATABASE \"$DUMP_DB\" WITH (FORCE)" -c "DROP DATABASE \"$IMPORT_DB\" WITH (FORCE)"
fi
echo "== restore drill passed: nothing lost =="
