"""Acceptance tests for SPEC section 4 (usage logs, `meter ingest`), written from
the SPEC alone: the four input shapes (auto-detected per record), dedupe by
identity, content-hash ids, rejects with line and reason, --strict, the
summary, stdin, and late events billed once as an adjustment line."""
import base64
import json

import pytest

from acceptance import D, ev, generate, invoice_list, loads_exact

NOW = "2026-02-20T12:00:00Z"

CATALOG = {
    "currency": "USD",
    "meters": [
        {"key": "widgets"},
        {"key": "pages", "event": "job", "value": "properties.pages"},
        {"key": "jobs", "event": "job", "aggregation": "count"},
        {"key": "job_units", "event": "job"},
        {"key": "exports", "event": "job", "where": {"operation": "export"}, "aggregation": "count"},
        {"key": "eu_jobs", "event": "job", "where": {"properties.region": "eu"}, "aggregation": "count"},
        {"key": "job_users", "event": "job", "aggregation": "unique_count", "value": "user"},
    ],
    "plans": [{"key": "p", "base_price": "10.00",
               "charges": [{"meter": "widgets", "model": "per_unit", "unit_price": "0.10"}]}],
    "tenants": [{"id": "kite", "plan": "p"}, {"id": "lynx", "plan": "p"}],
}


def usage(meter, tenant="kite", period="2026-02"):
    r = meter("report", "usage", "--tenant", tenant, "--period", period, "--by", "month", json=True)
    assert r.code == 0, r
    return {row["meter"]: D(row["quantity"]) for row in loads_exact(r.out)["rows"]}


def summary(r):
    assert r.out.strip(), r
    return r.json


@pytest.fixture
def m(meter):
    meter.init(CATALOG)
    meter.now = NOW
    return meter


def test_native_ndjson_defaults_and_decimals(m):
    r = m.ingest([
        {"id": "n1", "tenant": "kite", "metric": "widgets", "timestamp": "2026-02-03T00:00:00Z"},  # quantity 1
        {"id": "n2", "tenant": "kite", "metric": "widgets", "quantity": 2.75, "timestamp": "2026-02-03T01:00:00Z"},
        {"id": "n3", "tenant": "kite", "metric": "widgets", "quantity": "0.25", "timestamp": "2026-02-03T02:00:00Z",
         "user": "u1", "operation": "build", "status": "success", "latency_ms": 12, "cost": "0.001",
         "properties": {"colour": "red"}},
    ], "e.ndjson", "--json")
    assert r.code == 0, r
    s = summary(r)
    for key in ("read", "accepted", "duplicates", "rejected", "seconds"):
        assert key in s, (key, s)
    assert (s["read"], s["accepted"], s["duplicates"], s["rejected"]) == (3, 3, 0, 0)
    assert usage(m)["widgets"] == D(4)
    # the summary also goes to stderr without --json
    r = m.ingest([ev(9, "kite", "widgets", "2026-02-04T00:00:00Z")], "f.ndjson")
    assert r.code == 0 and "accepted" in r.err and r.out == "", r


def test_csv_header_and_extra_columns_become_properties(m):
    m.write("e.csv", "id,tenant,metric,quantity,timestamp,user,operation,pages,region\n"
                     "c1,kite,job,2,2026-02-03T00:00:00Z,u1,export,40,eu\n"
                     "c2,kite,job,1,2026-02-04T00:00:00Z,u2,import,5,us\n"
                     "c3,kite,job,,2026-02-05T00:00:00Z,u1,export,1,eu\n")
    r = m("ingest", m.dir / "e.csv")
    assert r.code == 0, r
    got = usage(m)
    assert got["pages"] == D(46) and got["jobs"] == D(3) and got["exports"] == D(2)
    assert got["eu_jobs"] == D(2) and got["job_users"] == D(2) and got["job_units"] == D(4)


def _ce(i, source="/svc/builder", **kw):
    e = {"specversion": "1.0", "id": i, "source": source, "type": "job", "subject": "kite",
         "time": "2026-02-06T10:00:00Z"}
    e.update(kw)
    return e


def test_cloudevents_data_base64_and_extensions(m):
    b64 = base64.b64encode(json.dumps({"quantity": 3, "pages": 7, "operation": "export"}).encode()).decode()
    r = m.ingest([
        _ce("ce-1", data={"quantity": 2, "user": "u5", "operation": "export", "pages": 40}, region="eu"),
        _ce("ce-2", datacontenttype="application/json", data_base64=b64),
        _ce("ce-3", data_base64=b64),     # JSON when datacontenttype is absent
    ], "ce.ndjson")
    assert r.code == 0, r
    got = usage(m)
    assert got["job_units"] == D(8) and got["pages"] == D(54) and got["exports"] == D(3)
    assert got["eu_jobs"] == D(1) and got["job_users"] == D(1)


def test_cloudevents_non_json_data_base64_is_rejected_not_empty(m):
    text = base64.b64encode(b"hello, not json").decode()
    r = m.ingest([_ce("ce-9", datacontenttype="text/plain", data_base64=text),
                  _ce("ce-10", data_base64=base64.b64encode(b"\x00\x01garbage").decode())], "bad.ndjson", "--json")
    assert r.code == 65, r
    assert summary(r)["accepted"] == 0 and summary(r)["rejected"] == 2
    rejects = (m.dir / "bad.ndjson.rejects").read_text()
    assert "line 1" in rejects and "line 2" in rejects
    assert "jobs" not in usage(m)


def test_cloudevents_identity_is_source_and_id(m):
    r = m.ingest([
        _ce("ce-1", source="/svc/a"),
        _ce("ce-1", source="/svc/b"),            # same id, other source: another event
        _ce("ce-1", source="/svc/a"),            # a repeat
    ], "ids.ndjson", "--json")
    assert r.code == 0, r
    assert (summary(r)["accepted"], summary(r)["duplicates"]) == (2, 1)
    assert usage(m)["jobs"] == D(2)


def test_cloudevent_identities_never_collide(m):
    r = m.ingest([
        _ce("y", source="/svc/a#x"),
        _ce("x#y", source="/svc/a"),
        _ce("ce-1", source="/svc/a"),
        {"id": "/svc/a#ce-1", "tenant": "kite", "metric": "job", "timestamp": "2026-02-06T10:00:00Z"},
        {"id": "/svc/a\tce-1", "tenant": "kite", "metric": "job", "timestamp": "2026-02-06T10:00:00Z"},
        {"id": "/svc/a ce-1", "tenant": "kite", "metric": "job", "timestamp": "2026-02-06T10:00:00Z"},
    ], "ids.ndjson", "--json")
    assert r.code == 0, r
    assert (summary(r)["accepted"], summary(r)["duplicates"]) == (6, 0)
    assert usage(m)["jobs"] == D(6)


def test_lago_shapes_and_timestamps(m):
    lines = [
        {"transaction_id": "l1", "external_customer_id": "kite", "code": "job",
         "timestamp": 1770718800, "properties": {"pages": 5, "quantity": 4}},
        {"transaction_id": "l2", "external_subscription_id": "kite", "code": "job",
         "timestamp": 1770718800.25, "properties": {"pages": 1}},
        {"event": {"transaction_id": "l3", "external_customer_id": "kite", "code": "job",
                   "timestamp": "1770718800.123", "properties": {"pages": 2}}},
        {"events": [
            {"transaction_id": "l4", "external_customer_id": "kite", "code": "job", "timestamp": 1770718801},
            {"transaction_id": "l5", "external_customer_id": "nobody", "code": "job", "timestamp": 1770718801},
            {"transaction_id": "l1", "external_customer_id": "kite", "code": "job", "timestamp": 1770718800,
             "properties": {"pages": 5, "quantity": 4}},
        ]},
    ]
    r = m.ingest(lines, "lago.ndjson", "--json")
    assert r.code == 65, r
    s = summary(r)
    assert (s["read"], s["accepted"], s["duplicates"], s["rejected"]) == (6, 4, 1, 1)
    rejects = (m.dir / "lago.ndjson.rejects").read_text()
    assert "line 4 event 2" in rejects and "nobody" in rejects
    got = usage(m)
    assert got["jobs"] == D(4) and got["job_units"] == D(7) and got["pages"] == D(8)
    r = m("report", "usage", "--tenant", "kite", "--period", "2026-02", "--by", "hour", json=True)
    assert {row["bucket"] for row in r.json["rows"]} == {"2026-02-10T10:00:00Z"}


def test_auto_detects_the_shape_per_record(m):
    m.write("mixed.ndjson", "\n".join(json.dumps(x) for x in [
        {"id": "n1", "tenant": "kite", "metric": "job", "timestamp": "2026-02-06T10:00:00Z"},
        _ce("ce-1"),
        {"transaction_id": "l1", "external_customer_id": "kite", "code": "job", "timestamp": 1770718800},
        {"event": {"transaction_id": "l2", "external_customer_id": "kite", "code": "job", "timestamp": 1770718800}},
    ]) + "\n")
    r = m("ingest", "--format", "auto", m.dir / "mixed.ndjson")
    assert r.code == 0, r
    assert usage(m)["jobs"] == D(4)


def test_dedupe_across_files_and_runs_and_hash_ids(m):
    a = [ev(1, "kite", "widgets", "2026-02-03T00:00:00Z", 5), ev(2, "kite", "widgets", "2026-02-03T00:00:00Z", 6)]
    no_id = [{"tenant": "kite", "metric": "widgets", "quantity": 100, "timestamp": "2026-02-04T00:00:00Z"},
             {"tenant": "kite", "metric": "widgets", "quantity": 200, "timestamp": "2026-02-04T00:00:00Z"}]
    assert m.ingest(a + no_id, "one.ndjson").code == 0
    r = m.ingest(list(reversed(a)) + no_id + [ev(3, "kite", "widgets", "2026-02-05T00:00:00Z", 7)],
                 "two.ndjson", "--json")
    assert r.code == 0, r
    assert (summary(r)["accepted"], summary(r)["duplicates"]) == (1, 4)
    r = m("ingest", m.dir / "one.ndjson", m.dir / "two.ndjson", "--json")
    assert (summary(r)["accepted"], summary(r)["duplicates"]) == (0, 9)
    assert usage(m)["widgets"] == D(318)


def test_stdin_dash(m):
    r = m("ingest", "-", stdin=json.dumps(ev(1, "lynx", "widgets", "2026-02-03T00:00:00Z", 8)) + "\n")
    assert r.code == 0, r
    assert usage(m, "lynx")["widgets"] == D(8)


def test_rejects_are_written_verbatim_with_line_and_reason(m):
    future_ok = "2026-02-20T12:04:00Z"       # within 5 minutes of --now
    future_bad = "2026-02-20T12:06:00Z"
    big = json.dumps({"id": "huge", "tenant": "kite", "metric": "widgets", "timestamp": "2026-02-03T00:00:00Z",
                      "properties": {"blob": "x" * (1024 * 1024 + 10)}})
    records = [
        json.dumps(ev(1, "kite", "widgets", "2026-02-03T00:00:00Z", 1)),
        json.dumps(ev(2, "kyte", "widgets", "2026-02-03T00:00:00Z", 1)),
        json.dumps(ev(3, "kite", "widgets", "2026-14-01", 1)),
        json.dumps(ev(4, "kite", "widgets", "2026-02-03T00:00:00Z", -2)),
        json.dumps(ev(5, "kite", "gadgets", "2026-02-03T00:00:00Z", 1)),
        '{"id": "a6", "tenant": "kite", "metric": "widgets"',
        json.dumps(ev(7, "kite", "widgets", future_bad, 1)),
        json.dumps(ev(8, "kite", "widgets", future_ok, 10)),
        big,
        json.dumps({"id": "a10", "metric": "widgets", "timestamp": "2026-02-03T00:00:00Z"}),
    ]
    path = m.write("in.ndjson", "\n".join(records) + "\n")
    r = m("ingest", path, "--json")
    assert r.code == 65, r
    s = summary(r)
    assert (s["read"], s["accepted"], s["rejected"]) == (10, 2, 8)
    assert r.err.strip().splitlines()[-1].startswith("meter: "), r.err
    rejects = (m.dir / "in.ndjson.rejects").read_text()
    assert "line 2: unknown tenant 'kyte'" in rejects
    assert "line 3: timestamp '2026-14-01' is not a valid time" in rejects
    assert "line 4: quantity must be non-negative" in rejects
    assert "line 5:" in rejects and "gadgets" in rejects
    assert "line 6:" in rejects and "line 7:" in rejects and "line 9:" in rejects and "line 10:" in rejects
    assert "line 8:" not in rejects and "line 1:" not in rejects
    for i in (1, 2, 3, 4, 5, 6):   # verbatim
        assert records[i] in rejects, records[i]
    assert usage(m)["widgets"] == D(11)


def test_rejects_flag_chooses_the_file(m):
    path = m.write("in.ndjson", [ev(1, "ghost", "widgets", "2026-02-03T00:00:00Z")])
    r = m("ingest", path, "--rejects", m.dir / "bad.txt")
    assert r.code == 65, r
    assert "unknown tenant 'ghost'" in (m.dir / "bad.txt").read_text()
    assert not (m.dir / "in.ndjson.rejects").exists()


def test_strict_rejects_the_whole_batch(m):
    path = m.write("in.ndjson", [ev(1, "kite", "widgets", "2026-02-03T00:00:00Z", 5),
                                 ev(2, "ghost", "widgets", "2026-02-03T00:00:00Z", 5)])
    r = m("ingest", "--strict", path)
    assert r.code == 65, r
    assert r.err.strip().splitlines()[-1].startswith("meter: ")
    assert "widgets" not in usage(m)
    # without --strict the good one goes in
    assert m("ingest", path).code == 65
    assert usage(m)["widgets"] == D(5)


def test_late_events_are_billed_once_as_an_adjustment_line(m):
    assert m.ingest([ev(1, "kite", "widgets", "2026-02-10T00:00:00Z", 30)], "a.ndjson").code == 0
    m.now = "2026-03-02T00:00:00Z"
    feb = generate(m, "2026-02", "kite")
    assert m("invoice", "finalize", feb["id"]).code == 0
    feb = invoice_list(m, "--tenant", "kite", "--period", "2026-02")[0]
    feb_total = feb["total"]
    assert feb_total == "13.00"
    r = m.ingest([ev(2, "kite", "widgets", "2026-02-27T00:00:00Z", 20)], "late.ndjson", "--json")
    assert r.code == 0, r
    assert summary(r).get("late") == 1 or "late" in r.err, r
    m.now = "2026-04-02T00:00:00Z"
    assert invoice_list(m, "--tenant", "kite", "--period", "2026-02")[0]["total"] == feb_total
    mar = generate(m, "2026-03", "kite")
    adj = [line for line in mar["lines"] if D(line["amount"]) == D("2.00")]
    assert len(adj) == 1, mar["lines"]
    assert "late" in adj[0]["description"].lower() or "2026-02" in adj[0]["description"], adj
    assert mar["subtotal"] == "12.00"
    # generating again, and the next month, never bills it twice
    mar2 = generate(m, "2026-03", "kite")
    assert mar2["subtotal"] == "12.00"
    assert m("invoice", "finalize", mar2["id"]).code == 0
    m.now = "2026-05-02T00:00:00Z"
    assert generate(m, "2026-04", "kite")["subtotal"] == "10.00"


@pytest.mark.xfail(strict=False, reason="SPEC 4 sets no type for latency_ms; meter rejects a fractional "
                   "latency ('must be a whole number of milliseconds') where a user would expect it kept")
def test_fractional_latency_is_accepted(m):
    # The native record's optional fields carry no stated type; an analytics
    # collector commonly reports sub-millisecond latencies (12.5 ms).
    r = m.ingest([ev(1, "kite", "job", "2026-02-06T10:00:00Z", operation="export", status="success",
                     latency_ms=12.5),
                  ev(2, "kite", "job", "2026-02-06T10:01:00Z", operation="export", status="success",
                     latency_ms=7)], "lat.ndjson", "--json")
    assert r.code == 0, r
    assert summary(r)["accepted"] == 2
