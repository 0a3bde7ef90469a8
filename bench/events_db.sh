#!/usr/bin/env bash
# Prints the path of DATA/events-N.db, a database holding the sample catalog
# and N events generated straight into it (with the counters ingest keeps) by
# bench/aggregate_events.sql, making it first unless an earlier run completed
# it (marked by DATA/events-N.db.ok). bench/quota.sh and bench/aggregate.sh
# share these databases, and bench/run passes both the same DATA.
#
#   bench/events_db.sh METER DATA N
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
METER=$1 DATA=$2 N=$3
db=$DATA/events-$N.db
if [ ! -e "$db.ok" ]; then
  echo "generating $N events into $db ..." >&2
  rm -f "$db" "$db-wal" "$db-shm"
  "$METER" --db "$db" init --catalog "$ROOT/sample-data/catalog.json" --quiet
  sqlite3 "$db" -cmd ".parameter set @n $N" < "$ROOT/bench/aggregate_events.sql" > /dev/null
  sqlite3 "$db" "PRAGMA wal_checkpoint(TRUNCATE);" > /dev/null
  touch "$db.ok"
fi
echo "$db"
