#!/usr/bin/env bash
# README command one: install what is missing, build, and run the main job end
# to end on sample-data/: a fresh database from the sample catalog, a month of
# usage ingested, then quota status.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit $?
scripts/build.sh || exit $?
meter=build/meter
export METER_DB=${METER_DB:-demo/meter.db}
export METER_NOW=${METER_NOW:-2026-02-28T18:00:00Z}
mkdir -p "$(dirname "$METER_DB")"
rm -f "$METER_DB" "$METER_DB"-wal "$METER_DB"-shm
set -x
$meter init --catalog sample-data/catalog.json || exit $?
# The sample contains some deliberately bad records: exit 65 is expected.
$meter ingest sample-data/usage-2026-02.ndjson --rejects demo/usage.rejects
rc=$?; [ $rc -eq 0 ] || [ $rc -eq 65 ] || exit $rc
head -n 5 demo/usage.rejects
$meter quota status || exit $?
