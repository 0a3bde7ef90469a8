"""End-to-end: four `meter ingest` processes on overlapping files at once end
with exact totals (each event counted once) and no 'database is locked'."""
import json
import subprocess

import counters

CATALOG = {
    "meters": [
        {"key": "api_calls"},
        {"key": "users", "event": "api_calls", "aggregation": "unique_count", "value": "user"},
        {"key": "peak", "event": "api_calls", "aggregation": "max"},
    ],
    "plans": [{"key": "p", "base_price": "0"}],
    "tenants": [{"id": f"t{i}", "plan": "p"} for i in range(5)],
}
EVENTS = 24000  # distinct events; each file holds half of them
FILES = 4


def event(i):
    return {"id": f"e{i}", "tenant": f"t{i % 5}", "metric": "api_calls", "quantity": i % 97 + 0.5,
            "user": f"u{i % 31}", "timestamp": 1770717600 + i * 7}


def test_four_concurrent_ingests_of_overlapping_files(meter):
    meter.now = "2026-03-01T00:00:00Z"
    meter.init(CATALOG)
    # File k holds events [k * EVENTS/8, k * EVENTS/8 + EVENTS/2): every event is
    # in one or more files, neighbouring files overlap by three quarters.
    step, size = EVENTS // 8, EVENTS // 2
    paths, covered = [], set()
    for k in range(FILES):
        ids = list(range(k * step, k * step + size))
        if k == FILES - 1:
            ids = list(range(k * step, EVENTS))
        covered.update(ids)
        paths.append(meter.write(f"part{k}.ndjson", [event(i) for i in ids]))
    procs = [meter.popen("ingest", p, "--batch-size", "500", "--json",
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for p in paths]
    results = [(p.wait(timeout=300), p.stdout.read(), p.stderr.read()) for p in procs]
    for code, out, err in results:
        assert code == 0, err
        assert "locked" not in err
    summaries = [json.loads(out) for _, out, _ in results]
    assert sum(s["accepted"] for s in summaries) == len(covered)
    assert sum(s["accepted"] + s["duplicates"] for s in summaries) == sum(s["read"] for s in summaries)

    assert meter.sql("SELECT COUNT(*), COUNT(DISTINCT id) FROM events") == [(len(covered),) * 2]
    for t in range(5):
        mine = [event(i) for i in covered if i % 5 == t]
        calls = counters.counter_rows(meter.sql, "WHERE tenant_id=? AND meter='api_calls'", (f"t{t}",))
        assert sum(r[3] for r in calls) == round(sum(e["quantity"] for e in mine) * 1e6)
        peak = counters.counter_rows(meter.sql, "WHERE tenant_id=? AND meter='peak'", (f"t{t}",))
        assert max(r[3] for r in peak) == round(max(e["quantity"] for e in mine) * 1e6)
        users = counters.unique_rows(meter.sql, "WHERE tenant_id=? AND meter='users'", (f"t{t}",))
        assert len({r[3] for r in users}) == len({e["user"] for e in mine})
        assert sum(r[4] for r in calls) == len(mine)
