#!/usr/bin/env bash
# SPEC section 9: `meter aggregate` over a month of N events (default 10 M)
# against sqlite3 running the equivalent GROUP BYs (bench/aggregate_reference.sql)
# on the same database in the same run. Target: meter <= 1.5 x the reference.
#
#   bench/aggregate.sh                 # 10 M events, build/meter
#   N=1000000 BUILD=build-x bench/aggregate.sh
#
# The events (the sample catalog's metric mix, in time order, with the hourly
# counters and distinct sets ingest would keep) are generated straight into
# the database by bench/aggregate_events.sql; that part is not timed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-10000000}
BUILD=${BUILD:-$ROOT/build}
METER=${METER:-$BUILD/meter}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/meter-bench-aggregate.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
DB=$WORK/bench.db

[ -x "$METER" ] || cmake --build "$BUILD" --target meter -j2
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

echo "generating $N events into $DB ..." >&2
"$METER" --db "$DB" init --catalog "$ROOT/sample-data/catalog.json" --quiet
sqlite3 "$DB" -cmd ".parameter set @n $N" < "$ROOT/bench/aggregate_events.sql" > /dev/null
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE); SELECT COUNT(*) FROM events;" > /dev/null  # warm the page cache

reference() {
  local t0; t0=$(now)
  sqlite3 "$DB" < "$ROOT/bench/aggregate_reference.sql"
  elapsed "$t0" "$(now)"
}

echo "reference (sqlite3, hour/day/month) ..." >&2
ref1=$(reference)
echo "meter aggregate ..." >&2
t0=$(now)
"$METER" --db "$DB" --quiet aggregate
meter_s=$(elapsed "$t0" "$(now)")
echo "reference again ..." >&2
ref2=$(reference)
t0=$(now)
"$METER" --db "$DB" --quiet aggregate  # nothing new: the incremental no-op
noop_s=$(elapsed "$t0" "$(now)")
hourly=$( { t0=$(now); sqlite3 "$DB" "$(sed -n '/ref_hour AS/,/;/p' "$ROOT/bench/aggregate_reference.sql")
            $(sed -n '/ref_users_hour AS/,/;/p' "$ROOT/bench/aggregate_reference.sql")"; elapsed "$t0" "$(now)"; } )

python3 - "$N" "$meter_s" "$ref1" "$ref2" "$noop_s" "$hourly" <<'PY'
import sys
n, meter, r1, r2, noop, hourly = int(sys.argv[1]), *map(float, sys.argv[2:])
ref = (r1 + r2) / 2
print(f"events                      {n:,}")
print(f"meter aggregate             {meter:.2f} s ({n / meter:,.0f} events/s)")
print(f"sqlite3 reference           {ref:.2f} s (runs {r1:.2f} s, {r2:.2f} s)")
print(f"ratio meter / reference     {meter / ref:.2f}   (target <= 1.5)")
print(f"for scale: sqlite3 hourly GROUP BYs only {hourly:.2f} s (ratio {meter / hourly:.2f})")
print(f"second run, nothing new     {noop:.2f} s")
PY
