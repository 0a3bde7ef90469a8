#!/usr/bin/env bash
# SPEC section 9: `meter aggregate` over a month of N events (default 10 M)
# against sqlite3 running the equivalent GROUP BYs (bench/aggregate_reference.sql)
# on the same database in the same run. Target: meter <= 1.5 x the reference.
#
#   bench/aggregate.sh                 # 10 M events, build/meter
#   N=1000000 BUILD=build-x bench/aggregate.sh
#   bench/aggregate.sh [--data DIR] [--json FILE]
#
# ROUNDS (default 2) rounds alternate the reference and meter; HOURLY=0 skips
# the for-scale timing of the reference's hourly GROUP BYs alone.
#
# --data DIR keeps the generated database there (DIR/events-N.db, shared with
# bench/quota.sh --data) and reuses it; --json FILE also writes the figures as
# one JSON document (bench/run reads it).
#
# The events (the sample catalog's metric mix, in time order, with the hourly
# counters and distinct sets ingest would keep) are generated straight into
# the database by bench/aggregate_events.sql; that part is not timed.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-10000000}
BUILD=${BUILD:-$ROOT/build}
METER=${METER:-$BUILD/meter}
DATA='' JSON_OUT=''
while [ $# -gt 0 ]; do
  case $1 in
    --data) DATA=$2; shift 2 ;;
    --json) JSON_OUT=$2; shift 2 ;;
    *) echo "usage: bench/aggregate.sh [--data DIR] [--json FILE]" >&2; exit 2 ;;
  esac
done
WORK=$(mktemp -d "${TMPDIR:-/tmp}/meter-bench-aggregate.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
if [ -n "$DATA" ]; then mkdir -p "$DATA"; else DATA=$WORK; fi

[ -x "$METER" ] || cmake --build "$BUILD" --target meter -j2
now() { date +%s.%N; }
elapsed() { python3 -c "print(f'{$2 - $1:.2f}')"; }

DB=$("$ROOT/bench/events_db.sh" "$METER" "$DATA" "$N")
sqlite3 "$DB" "SELECT COUNT(*) FROM events;" > /dev/null  # warm the page cache

sql_time() {  # seconds sqlite3 takes to run the SQL on stdin
  local t0; t0=$(now)
  sqlite3 "$DB" > /dev/null
  elapsed "$t0" "$(now)"
}
hourly_sql() {  # the reference's hourly GROUP BYs alone, for scale
  sed -n '/ref_hour AS/,/;/p; /ref_users_hour AS/,/;/p' "$ROOT/bench/aggregate_reference.sql"
}

# Rounds alternate the reference and meter so both see the same machine load.
ROUNDS=${ROUNDS:-2}
refs=() meters=() hourlies=()
for round in $(seq "$ROUNDS"); do
  echo "round $round: sqlite3 reference, meter aggregate$([ "${HOURLY:-1}" = 0 ] || echo ', sqlite3 hourly only') ..." >&2
  refs+=("$(sql_time < "$ROOT/bench/aggregate_reference.sql")")
  sqlite3 "$DB" "DELETE FROM usage_rollups; DELETE FROM usage_rollup_uniques; DELETE FROM usage_rollup_state;"
  t0=$(now)
  "$METER" --db "$DB" --quiet aggregate
  meters+=("$(elapsed "$t0" "$(now)")")
  if [ "${HOURLY:-1}" != 0 ]; then hourlies+=("$(hourly_sql | sql_time)"); fi
done
t0=$(now)
"$METER" --db "$DB" --quiet aggregate  # nothing new: the incremental no-op
noop_s=$(elapsed "$t0" "$(now)")

python3 - "$N" "$noop_s" "${refs[*]}" "${meters[*]}" "${hourlies[*]}" "$JSON_OUT" <<'PY'
import json, statistics, sys
n, noop = int(sys.argv[1]), float(sys.argv[2])
refs, meters, hourly = ([float(x) for x in a.split()] for a in sys.argv[3:6])
hourly = hourly or [float("nan")]  # HOURLY=0
json_out = sys.argv[6]
ref, meter, hour = statistics.median(refs), statistics.median(meters), statistics.median(hourly)
runs = lambda v: ", ".join(f"{x:.2f}" for x in v)
print(f"events                      {n:,}")
print(f"meter aggregate             {meter:.2f} s median ({runs(meters)}; {n / meter:,.0f} events/s)")
print(f"sqlite3 reference           {ref:.2f} s median ({runs(refs)})")
print(f"ratio meter / reference     {meter / ref:.2f}   (target <= 1.5)")
if hour == hour:
    print(f"for scale: the reference's hourly GROUP BYs alone {hour:.2f} s ({runs(hourly)}): ratio {meter / hour:.2f}")
print(f"second run, nothing new     {noop:.2f} s")
if json_out:
    with open(json_out, "w") as f:
        json.dump({"events": n, "rounds": len(meters), "meter_seconds": meter, "reference_seconds": ref,
                   "ratio": round(meter / ref, 3), "hourly_reference_seconds": hour if hour == hour else None, "noop_seconds": noop,
                   "meter_runs": meters, "reference_runs": refs, "met": meter / ref <= 1.5}, f, indent=1)
PY
