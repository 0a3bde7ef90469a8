#!/usr/bin/env bash
# README command one: install what is missing, build, and run the main job end
# to end on sample-data/: a fresh database from the sample catalog, a month of
# usage ingested, quota status, alerts, February's invoices generated and
# finalized (among them tessier's: an AI plan priced per model and per project,
# in its trial, held to a minimum commitment), and the webhook queue replayed to
# a local receiver.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || exit $?
scripts/build.sh || exit $?
meter=build/meter
export METER_DB=${METER_DB:-demo/meter.db}
mkdir -p "$(dirname "$METER_DB")"
rm -f "$METER_DB" "$METER_DB"-wal "$METER_DB"-shm demo/usage.rejects
set -x
$meter --now 2026-03-01T00:00:00Z init --catalog sample-data/catalog.json || exit $?
# The sample contains some deliberately bad records: exit 65 is expected.
# The whole month is in the past at midnight on March 1 (ingest refuses events
# more than 5 minutes ahead of its clock); quotas and alerts look from inside February.
$meter --now 2026-03-01T00:00:00Z ingest sample-data/usage-2026-02.ndjson --rejects demo/usage.rejects
rc=$?; [ $rc -eq 0 ] || [ $rc -eq 65 ] || exit $rc
head -n 4 demo/usage.rejects
$meter --now 2026-02-28T18:00:00Z quota status || exit $?
$meter --now 2026-02-28T18:00:00Z alerts scan || exit $?
$meter --now 2026-03-01T06:00:00Z invoice generate --period 2026-02 --finalize || exit $?
$meter --now 2026-03-01T06:00:00Z invoice show INV-2026-000001 || exit $?
$meter --now 2026-03-01T06:00:00Z invoice show INV-2026-000001 --format html --out demo/INV-2026-000001.html || exit $?
# SPEC section 10: per-model lines (filters), per-project lines (group_by), the
# trial named on the base price line and the minimum commitment true-up.
$meter --now 2026-03-01T06:00:00Z invoice show inv_tessier_2026-02 || exit $?
# The sample catalog's webhook endpoint is http://127.0.0.1:8787/hooks: a
# loopback receiver stands in for it (it stops by itself after 60 s).
python3 tests/support/receiver.py --mode ok --port 8787 --max-seconds 60 --log demo/received.ndjson > demo/receiver.out 2>&1 &
sleep 1
$meter --now 2026-03-01T06:00:00Z webhooks replay --drain --max-wait 30
rc=$?
kill %1 2>/dev/null
set +x
echo "demo: $(wc -l < demo/received.ndjson 2>/dev/null || echo 0) webhook messages received; invoice HTML in demo/INV-2026-000001.html"
exit $rc
