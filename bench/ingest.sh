#!/bin/sh
# bench/ingest.sh: SPEC section 9's ingest figures in one command.
#
#   bench/ingest.sh [--events N] [--rounds R] [--memory] [--memory-events S,L]
#                   [--data DIR] [--json FILE] [--keep]
#
# Builds meter and the reference program (bench/ingest_reference.cc) in
# Release mode, generates N events (default 1,000,000) with
# sample-data/generate.py, then, in the same run and alternating so machine
# load hits both alike, R rounds (default 3) of:
#   - the reference: simdjson parse + one prepared INSERT, one transaction,
#     unique index on the id;
#   - meter ingest of the same file into a fresh database (sample catalog);
#   - meter ingest of the same file again (all duplicates, 0 rows added).
# It prints events/s of both (median round), their ratio (median of the
# per-round ratios; target >= 0.85; the CPU-time ratio too), the
# re-ingest time against the first ingest (target <= 1.0) and peak RSS.
# --memory also ingests ~256 MB and ~1 GB inputs and compares peak RSS
# (target <= 1.2x; --memory-events picks other sizes). --data DIR keeps the
# generated inputs there and reuses them; --json FILE also writes the figures
# as one JSON document (bench/run reads it). Exits 1 when a target is missed.
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
