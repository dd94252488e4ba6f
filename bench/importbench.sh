# The import benchmark of docs/performance.md ("Since the one publishing path"):
# a 1,000-profile file (bench data at --scale 0.1) imported with `manage.py import_profiles`
# into an empty PostgreSQL database by the last release, by the commit before bulk
# revisions and by this checkout, one after the other.
#
#   PY=/path/to/venv/bin/python bash bench/importbench.sh      # WHICH="new" for this checkout only
#
# Databases ${DB}_gen, ${DB}_old, ${DB}_base, ${DB}_new on 127.0.0.1 (user postgres) are
# dropped and recreated; the file and the older trees (git archive) go to $WORK.
set -euo pipefail
NEW=$(cd "$(dirname "$0")/.." && pwd)
cd "$NEW"
PY=${PY:-python}
PG=${PG:-postgres://postgres@127.0.0.1:5432}
DB=${DB:-bulk}
SCALE=${SCALE:-0.1}
WORK=${WORK:-/tmp/importbench}
RELEASE=${RELEASE:-7e541a0}  # the last release: status written by the import itself
BASE=${BASE:-0036014}        # revisions through reversion's follows, one object at a time
FILE=$WORK/imp.jsonl
mkdir -p "$WORK"
mk() { psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1" 2>/dev/null; }
export DJANGO_SETTINGS_MODULE=bench.settings
if [ ! -s "$FILE" ]; then
  mk ${DB}_gen
  PYTHONPATH=$NEW DATABASE_URL=$PG/${DB}_gen $PY manage.py migrate --no-input -v 0
  PYTHONPATH=$NEW DATABASE_URL=$PG/${DB}_gen $PY bench/generate.py --scale $SCALE >/dev/null
  PYTHONPATH=$NEW DATABASE_URL=$PG/${DB}_gen $PY manage.py export_profiles --jsonl -o "$FILE"
fi
echo "profiles: $(wc -l < "$FILE"), published: $(grep -c '"status":"published"' "$FILE" || true)"
tree() { # commit directory
  rm -rf "$2"; mkdir -p "$2"; git archive "$1" | tar -x -C "$2"
  (cd "$2" && DEBUG=1 $PY manage.py compilemessages --ignore=.venv -v 0)
}
run() { # label directory database
  mk $3; (cd "$2" && PYTHONPATH=$2 DATABASE_URL=$PG/$3 $PY manage.py migrate --no-input -v 0)
  s=$(date +%s.%N); (cd "$2" && PYTHONPATH=$2 DATABASE_URL=$PG/$3 $PY manage.py import_profiles "$FILE" >/dev/null); e=$(date +%s.%N)
  echo "$1 import: $(echo "$e - $s" | bc) s"
}
for which in ${WHICH:-release base new}; do
  case $which in
    release) tree $RELEASE "$WORK/release"; run "last release ($RELEASE)" "$WORK/release" ${DB}_old ;;
    base) tree $BASE "$WORK/base"; run "before bulk revisions ($BASE)" "$WORK/base" ${DB}_base ;;
    new) run "this checkout ($(git rev-parse --short HEAD))" "$NEW" ${DB}_new ;;
  esac
done
