"""meter aggregate with the real binary: hour/day/month buckets for every
aggregation (sum, count, max, unique_count, latest) and `where` filters
against hand-computed values, incremental runs with late events, idempotent
and overlapping runs, month buckets in the tenant's time zone, and --verify
finding a bucket tampered with in the database (then repaired with
--from/--to). Buckets are read from the usage_rollups table."""
import subprocess
from datetime import datetime, timezone

import pytest

from conftest import METER_BIN

INGEST_NOW = "2026-03-15T00:00:00Z"

CATALOG = {
    "meters": [
        {"key": "calls", "event": "api_calls"},
        {"key": "ok_calls", "event": "api_calls", "where": {"status": "success"}},
        {"key": "users", "event": "api_calls", "aggregation": "unique_count", "value": "user"},
        {"key": "regions", "event": "api_calls", "aggregation": "unique_count", "value": "properties.region"},
        {"key": "requests", "event": "ai", "aggregation": "count"},
        {"key": "emails", "event": "ai", "aggregation": "count", "where": {"operation": "email"}},
        {"key": "gold", "event": "ai", "aggregation": "count", "where": {"properties.tier": "gold"}},
        {"key": "tokens", "event": "llm", "value": "properties.tokens"},
        {"key": "storage", "aggregation": "max"},
        {"key": "temp", "aggregation": "latest"},
    ],
    "plans": [{"key": "p", "name": "P", "base_price": "0"}],
    "tenants": [{"id": "acme", "name": "Acme", "plan": "p"},
                {"id": "tokyo", "name": "Tokyo KK", "plan": "p", "timezone": "Asia/Tokyo"}],
}


def ev(i, metric, ts, quantity=None, **fields):
    e = {"id": f"{metric}-{i}", "tenant": fields.pop("tenant", "acme"), "metric": metric,
         "timestamp": f"2026-{ts}:00Z"}
    if quantity is not None:
        e["quantity"] = quantity
    e.update(fields)
    return e


EVENTS = [
    ev(1, "api_calls", "02-03T10:05", 5, user="u1", status="success", properties={"region": "eu"}),
    ev(2, "api_calls", "02-03T10:40", 3, user="u2", status="error", properties={"region": "us"}),
    ev(3, "api_calls", "02-03T11:10", 2, user="u1", status="success", properties={"region": "eu"}),
    ev(4, "api_calls", "02-04T09:00", 1.5, user="u3", status="success"),
    ev(5, "ai", "02-03T10:10", operation="email", properties={"tier": "gold"}),
    ev(6, "ai", "02-03T10:20", operation="email", properties={"tier": "silver"}),
    ev(7, "ai", "02-03T10:30", operation="tts", properties={"tier": "gold"}),
    ev(8, "llm", "02-03T10:00", properties={"tokens": 150}),
    ev(9, "llm", "02-03T10:30", properties={"tokens": 250.5}),
    ev(10, "llm", "02-03T10:45"),  # no tokens: feeds no bucket of `tokens`
    ev(11, "storage", "02-03T10:00", 10),
    ev(12, "storage", "02-03T10:30", 40),
    ev(13, "storage", "02-03T11:00", 20),
    ev(14, "temp", "02-03T10:50", 7),
    ev(15, "temp", "02-03T10:10", 9),  # arrives later but is older: not the latest
    ev(16, "temp", "02-03T11:30", 4),
    ev(17, "api_calls", "02-28T16:00", 4, tenant="tokyo", user="u9"),  # 1 March, 01:00 in Tokyo
    ev(18, "api_calls", "02-28T14:00", 6, tenant="tokyo", user="u9"),  # 28 Feb, 23:00 in Tokyo
]

LATE = [
    ev(19, "storage", "02-03T10:59", 55),
    ev(20, "temp", "02-03T10:55", 3),
    ev(21, "temp", "02-03T10:55", 1),  # same time as #20, smaller: the larger value stays
    ev(22, "api_calls", "02-03T10:15", 1, user="u4", properties={"region": "ap"}),
]


def ms(iso):
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def iso(ms_value):
    return datetime.fromtimestamp(ms_value / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def buckets(m, period, meter, tenant="acme"):
    """{bucket start: value} of stored buckets, read straight from the database."""
    rows = m.sql("SELECT bucket, value FROM usage_rollups WHERE period=? AND meter=? AND tenant_id=?",
                 (period, meter, tenant))
    return {iso(b): v / 1e6 for b, v in rows}


def ingest(m, events, name):
    r = m("ingest", m.write(name, events), now=INGEST_NOW)
    assert r.code == 0, r


def aggregate(m, *args):
    r = m("aggregate", *args, json=True)
    assert r.code == 0, r
    return r.json


@pytest.fixture
def m(meter):
    meter.init(CATALOG)
    ingest(meter, EVENTS, "events.ndjson")
    return meter


H10, H11, FEB = "2026-02-03T10:00:00Z", "2026-02-03T11:00:00Z", "2026-02-01T00:00:00Z"
D3, D4 = "2026-02-03T00:00:00Z", "2026-02-04T00:00:00Z"


def test_every_aggregation_against_hand_computed_buckets(m):
    s = aggregate(m)
    assert s["events_processed"] == len(EVENTS) and s["periods"] == ["hour", "day", "month"]
    assert buckets(m, "hour", "calls") == {H10: 8, H11: 2, "2026-02-04T09:00:00Z": 1.5}
    assert buckets(m, "day", "calls") == {D3: 10, D4: 1.5}
    assert buckets(m, "month", "calls") == {FEB: 11.5}
    assert buckets(m, "day", "ok_calls") == {D3: 7, D4: 1.5}
    assert buckets(m, "hour", "users") == {H10: 2, H11: 1, "2026-02-04T09:00:00Z": 1}
    assert buckets(m, "day", "users") == {D3: 2, D4: 1}
    assert buckets(m, "month", "users") == {FEB: 3}
    assert buckets(m, "hour", "regions") == {H10: 2, H11: 1}
    assert buckets(m, "month", "regions") == {FEB: 2}
    assert buckets(m, "hour", "requests") == {H10: 3}
    assert buckets(m, "hour", "emails") == {H10: 2}
    assert buckets(m, "hour", "gold") == {H10: 2}
    assert buckets(m, "hour", "tokens") == {H10: 400.5}
    assert buckets(m, "hour", "storage") == {H10: 40, H11: 20}
    assert buckets(m, "day", "storage") == {D3: 40}
    assert buckets(m, "hour", "temp") == {H10: 7, H11: 4}
    assert buckets(m, "day", "temp") == {D3: 4}
    assert buckets(m, "month", "temp") == {FEB: 4}
    # tokens counted two events (the one without tokens feeds nothing)
    assert m.sql("SELECT events FROM usage_rollups WHERE period='hour' AND meter='tokens'") == [(2,)]


def test_month_buckets_follow_the_tenant_time_zone_and_days_stay_utc(m):
    aggregate(m)
    assert buckets(m, "month", "calls", "tokyo") == {"2026-01-31T15:00:00Z": 6, "2026-02-28T15:00:00Z": 4}
    assert buckets(m, "day", "calls", "tokyo") == {"2026-02-28T00:00:00Z": 10}
    assert buckets(m, "month", "users", "tokyo") == {"2026-01-31T15:00:00Z": 1, "2026-02-28T15:00:00Z": 1}


def test_incremental_run_reads_only_new_events_and_handles_late_ones(m):
    aggregate(m)
    again = aggregate(m)
    assert again["events_processed"] == 0 and again["buckets_updated"] == 0
    before = {p: buckets(m, p, "calls") for p in ("hour", "day", "month")}
    ingest(m, LATE, "late.ndjson")
    s = aggregate(m)
    assert s["events_processed"] == len(LATE)
    assert buckets(m, "hour", "storage") == {H10: 55, H11: 20}
    assert buckets(m, "month", "storage") == {FEB: 55}
    assert buckets(m, "hour", "temp") == {H10: 3, H11: 4}
    assert buckets(m, "day", "temp") == {D3: 4}
    assert buckets(m, "hour", "users") == {H10: 3, H11: 1, "2026-02-04T09:00:00Z": 1}
    assert buckets(m, "month", "users") == {FEB: 4}
    assert buckets(m, "hour", "regions") == {H10: 3, H11: 1}
    assert buckets(m, "hour", "calls")[H10] == before["hour"][H10] + 1
    assert buckets(m, "month", "calls") == {FEB: 12.5}
    r = m("aggregate", "--verify", json=True)
    assert r.code == 0 and r.json["drift"] == [] and r.json["checked"] > 0


def test_verify_finds_a_tampered_bucket_and_from_to_repairs_it(m):
    aggregate(m)
    assert m("aggregate", "--verify").code == 0
    m.sql("UPDATE usage_rollups SET value = value + 1000000 "
          "WHERE period='day' AND meter='calls' AND tenant_id='acme' AND bucket=?", (ms(D3),))
    m.sql("DELETE FROM usage_rollups WHERE period='hour' AND meter='storage' AND bucket=?", (ms(H11),))
    r = m("aggregate", "--verify", json=True)
    assert r.code == 1, r
    drift = sorted(r.json["drift"], key=lambda d: d["meter"])
    assert drift == [
        {"tenant": "acme", "meter": "calls", "period": "day", "bucket": D3, "stored": 11, "expected": 10,
         "stored_events": 3, "expected_events": 3},
        {"tenant": "acme", "meter": "storage", "period": "hour", "bucket": H11, "stored": None, "expected": 20,
         "stored_events": 0, "expected_events": 1},
    ]
    text = m("aggregate", "--verify")
    assert text.code == 1 and "calls" in text.out and "2026-02-03T00:00:00Z" in text.out and "2 of" in text.err
    # --period narrows the check
    assert m("aggregate", "--verify", "--period", "month").code == 0
    # a rebuild of the window recomputes those buckets from the raw events
    s = aggregate(m, "--from", "2026-02-03", "--to", "2026-02-04")
    assert s["buckets_rebuilt"] > 0
    assert m("aggregate", "--verify").code == 0
    assert buckets(m, "day", "calls")[D3] == 10 and buckets(m, "hour", "storage")[H11] == 20


def test_period_flag_rolls_up_one_bucket_size_with_its_own_watermark(m):
    s = aggregate(m, "--period", "day")
    assert s["periods"] == ["day"] and s["events_processed"] == len(EVENTS)
    assert buckets(m, "day", "calls") == {D3: 10, D4: 1.5} and buckets(m, "hour", "calls") == {}
    s = aggregate(m)
    assert s["events_processed"] == len(EVENTS)  # hour and month catch up; day adds nothing twice
    assert buckets(m, "day", "calls") == {D3: 10, D4: 1.5} and buckets(m, "hour", "calls")[H10] == 8
    assert m("aggregate", "--verify").code == 0
    assert m("aggregate", "--period", "week").code == 2


def test_a_changed_meter_definition_is_rebuilt(m):
    aggregate(m)
    changed = dict(CATALOG)
    changed["meters"] = [dict(x) for x in CATALOG["meters"]]
    changed["meters"][1]["where"] = {"status": "error"}
    m("catalog", "apply", m.write("changed.json", changed), check=True)
    s = aggregate(m)
    assert s["meters_rebuilt"] == 3  # ok_calls in hour, day and month
    assert buckets(m, "day", "ok_calls") == {D3: 3}
    assert m("aggregate", "--verify").code == 0


def test_overlapping_runs_never_double_count(m):
    many = [ev(1000 + i, "api_calls", f"02-{1 + i % 27:02d}T{i % 24:02d}:{i % 60:02d}", 1 + i % 3,
               user=f"u{i % 40}") for i in range(3000)]
    ingest(m, many, "many.ndjson")
    procs = [subprocess.Popen([METER_BIN, "aggregate"], env=m.env(), cwd=m.dir, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read()
    total = sum(e.get("quantity", 1) for e in EVENTS + many if e["metric"] == "api_calls" and e["tenant"] == "acme")
    assert sum(buckets(m, "hour", "calls").values()) == pytest.approx(total)
    assert sum(buckets(m, "month", "calls").values()) == pytest.approx(total)
    assert m("aggregate", "--verify").code == 0
    assert aggregate(m)["events_processed"] == 0


def test_text_summary_and_bad_flags(m):
    r = m("aggregate")
    assert r.code == 0 and f"aggregated {len(EVENTS)} events" in r.err
    assert m("aggregate", "--from", "yesterday-ish").code == 2
    assert m("aggregate", "--from", "2026-02-05", "--to", "2026-02-01").code == 2
