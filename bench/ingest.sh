#!/bin/sh
# bench/ingest.sh: SPEC section 9's ingest figures in one command.
#
#   bench/ingest.sh [--events N] [--rounds R] [--shapes S1,S2,...] [--memory]
#                   [--memory-events S,L] [--data DIR] [--json FILE] [--keep]
#
# Builds meter and the reference program (bench/ingest_reference.cc) in
# Release mode, generates N events (default 1,000,000) per input shape with
# bench/ingest_shapes.py, prints the load average (figures taken above 1.5
# are marked not valid), then runs R rounds (default 3), each running, per
# shape and alternating so machine load hits both alike:
#   - the reference: simdjson (or a comma split for CSV) + one prepared
#     INSERT, one transaction, unique index on the identity, one thread;
#   - meter ingest of the same file into a fresh database.
# Shapes (each its own row, target >= 1.0 x the reference): NDJSON with
# time-ordered and UUIDv4 ids, 20 and 1,000 tenants, 4 and 12 meters (where
# filters, unique_count); CSV; CloudEvents. On the first shape it also runs
# the Python peer (bench/ingest_peer.py, target meter >= 3 x its events/s)
# and re-ingests the same file (all duplicates: <= 0.5 x the first ingest,
# 0 rows added). --memory also ingests ~256 MB and ~1 GB inputs and compares
# peak RSS (target <= 1.2 x). --data DIR keeps the generated inputs there and
# reuses them; --json FILE writes the figures as one JSON document (bench/run
# reads it). Exits 1 when a target is missed or the figures are not valid.
#
# Environment: BUILD_DIR (default build-bench), WORK_DIR (default a temp dir).
set -eu
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$SRC/build-bench}
LOG="$BUILD_DIR/bench-ingest-build.log"
mkdir -p "$BUILD_DIR"
if ! { cmake -S "$SRC" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release &&
       cmake --build "$BUILD_DIR" -j2 --target meter bench_ingest_reference; } >"$LOG" 2>&1; then
  tail -30 "$LOG" >&2
  echo "bench/ingest.sh: the Release build failed (full log: $LOG)" >&2
  exit 2
fi
exec python3 "$SRC/bench/ingest_run.py" --meter "$BUILD_DIR/meter" \
  --reference "$BUILD_DIR/bench/bench_ingest_reference" --source "$SRC" "$@"
