"""End-to-end: `meter events list` and `events show` (SPEC section 11) give the
stored raw events as ingested: newest first, filtered by tenant, metric and
time, limited, in text, CSV and JSON; a CloudEvent is named by its source, a
tab and its id. `events void` takes events out of every count (counters,
roll-ups, quotas, reports, drafts), keeping them with when and why."""
import csv
import io

import pytest

CATALOG = {
    "currency": "USD",
    "meters": [{"key": "calls"}, {"key": "tokens"}],
    "plans": [{"key": "p", "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "0.01"}],
               "limits": [{"meter": "calls", "limit": 100, "period": "month"}]}],
    "tenants": [{"id": "acme", "plan": "p"}, {"id": "beta", "plan": "p"}],
}


@pytest.fixture
def m(meter):
    meter.now = "2026-02-20T00:00:00Z"
    meter.init(CATALOG)
    events = [{"id": f"e{i}", "tenant": "acme", "metric": "calls", "quantity": i,
               "timestamp": f"2026-02-{i:02d}T10:00:00Z"} for i in range(1, 6)]
    events += [{"id": "t1", "tenant": "beta", "metric": "tokens", "quantity": 1000000000.123456,
                "timestamp": "2026-02-03T12:00:00Z", "user": "u1", "properties": {"model": "m-1"}},
               {"specversion": "1.0", "id": "e1", "source": "/svc/a", "type": "calls", "subject": "beta",
                "time": "2026-02-04T00:00:00Z", "data": {"quantity": 7}}]
    assert meter.ingest(events).code == 0
    return meter


def ids(r):
    assert r.code == 0, r
    return [e["id"] for e in r.json["events"]]


def test_newest_first_with_limit_and_filters(m):
    assert ids(m("events", "list", "--tenant", "acme", "--limit", "2", json=True)) == ["e5", "e4"]
    assert ids(m("events", "list", "--tenant", "acme", "--from", "2026-02-02T00:00:00Z",
                 "--to", "2026-02-04T10:00:00Z", json=True)) == ["e3", "e2"]
    assert ids(m("events", "list", "--metric", "tokens", json=True)) == ["t1"]
    assert len(ids(m("events", "list", json=True))) == 7


def test_json_keeps_every_field_as_ingested(m):
    r = m("events", "list", "--metric", "tokens", json=True)
    (e,) = r.json["events"]
    assert '"quantity": 1000000000.123456' in r.out                # exact, not through a double
    assert (e["tenant"], e["user"], e["properties"], e["source"]) == ("beta", "u1", {"model": "m-1"}, None)
    assert e["timestamp"] == "2026-02-03T12:00:00Z" and e["ingested_at"].startswith("2026-02-20")


def test_csv_and_text(m):
    r = m("events", "list", "--tenant", "acme", "--format", "csv")
    assert r.code == 0, r
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert [row["id"] for row in rows] == ["e5", "e4", "e3", "e2", "e1"] and rows[0]["quantity"] == "5"
    r = m("events", "list", "--tenant", "beta")
    assert r.code == 0 and "1,000,000,000.123456" in r.out and "/svc/a" in r.out, r


def test_show_by_id_and_by_cloudevent_source(m):
    r = m("events", "show", "e1", json=True)                  # the native e1 and the CloudEvent e1
    assert r.code == 0, r
    assert sorted(e["source"] or "" for e in r.json["events"]) == ["", "/svc/a"]
    r = m("events", "show", "/svc/a\te1", json=True)
    assert r.code == 0 and (r.json["tenant"], r.json["quantity"]) == ("beta", 7), r
    r = m("events", "show", "t1")
    assert r.code == 0 and "u1" in r.out and "m-1" in r.out, r


def test_unknown_event_and_bad_limit_are_one_line(m):
    r = m("events", "show", "nope")
    assert r.code != 0 and r.err.startswith("meter: ") and r.err.count("\n") == 1 and "nope" in r.err, r
    r = m("events", "list", "--limit", "0")
    assert r.code == 2 and r.err.count("\n") == 1, r


# ---- void -----------------------------------------------------------------------------------

def calls_used(m):
    r = m("quota", "status", "--tenant", "acme", json=True)
    assert r.code == 0, r
    return [row["used"] for row in r.json["rows"] if row["meter"] == "calls"][0]


def test_void_takes_events_out_of_quota_report_aggregate_and_draft(m):
    assert m("aggregate", "--period", "day").code == 0                       # buckets that must follow
    assert m("invoice", "generate", "--period", "2026-02", "--tenant", "acme").code == 0
    assert calls_used(m) == 15
    r = m("events", "void", "e2", "e4", "--reason", "test traffic")
    assert r.code == 0 and "voided 2 events" in r.err, r
    assert calls_used(m) == 9
    r = m("report", "usage", "--tenant", "acme", "--period", "2026-02", "--by", "day", json=True)
    assert sorted((row["bucket"][:10], row["quantity"]) for row in r.json["rows"]) == [
        ("2026-02-01", 1), ("2026-02-03", 3), ("2026-02-05", 5)], r.json
    r = m("aggregate", "--verify", json=True)
    assert r.code == 0 and r.json["drift"] == [], r
    inv = m("invoice", "generate", "--period", "2026-02", "--tenant", "acme", json=True)   # the draft is refreshed
    assert inv.code == 0, inv
    doc = inv.json if isinstance(inv.json, dict) and "lines" in inv.json else inv.json["invoices"][0]
    assert [line["quantity"] for line in doc["lines"] if line.get("meter") == "calls"] == [9], doc


def test_void_is_idempotent_and_keeps_the_first_reason(m):
    assert m("events", "void", "e3", "--reason", "first").code == 0
    r = m("events", "void", "e3", "--reason", "second", json=True)
    assert r.code == 0 and r.json == {"voided": [], "already_void": ["e3"], "unknown": []}, r
    e = m("events", "show", "e3", json=True).json
    assert e["void_reason"] == "first" and e["voided_at"].startswith("2026-02-20"), e
    assert calls_used(m) == 12                                               # taken out once


def test_unknown_ids_are_listed_with_exit_65_and_the_known_ones_voided(m):
    r = m("events", "void", "e1", "zz9", "e5", "zz8", "--reason", "bad batch")
    assert r.code == 65 and r.err.count("\n") == 1 and "zz9" in r.err and "zz8" in r.err, r
    assert "e1" not in r.err.split(":", 2)[-1].replace("zz", ""), r
    assert calls_used(m) == 9
    voided = ids(m("events", "list", "--voided", json=True))
    assert voided == ["e5", "e1"]


def test_reason_is_required_and_names_are_required(m):
    r = m("events", "void", "e1")
    assert r.code == 2 and r.err.count("\n") == 1 and "--reason" in r.err, r
    r = m("events", "void", "--reason", "x")
    assert r.code == 2 and r.err.count("\n") == 1, r
    assert calls_used(m) == 15


def test_void_from_a_file_names_a_cloudevent_by_source_tab_id(m):
    # The native e1 and the CloudEvent (/svc/a, e1) share the id: the file's
    # "SOURCE<TAB>ID" line voids only the CloudEvent, a bare "e1" only the native one.
    path = m.write("void.txt", "/svc/a\te1\r\n\ne2\n")
    r = m("events", "void", "--file", path, "--reason", "replayed", json=True)
    assert r.code == 0 and r.json["voided"] == ["/svc/a\te1", "e2"], r
    shown = {e["source"]: e for e in m("events", "show", "e1", json=True).json["events"]}
    assert shown["/svc/a"]["void_reason"] == "replayed" and shown[None]["voided_at"] is None, shown
    r = m("events", "void", "--file", "missing.txt", "--reason", "x")
    assert r.code == 66 and r.err.count("\n") == 1, r


def test_list_marks_voided_events_and_keeps_them(m):
    assert m("events", "void", "e5", "--reason", "oops").code == 0
    r = m("events", "list", "--tenant", "acme", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(r.out)))
    assert len(rows) == 5 and rows[0]["void_reason"] == "oops" and rows[1]["voided_at"] == "-", rows
    r = m("events", "show", "e5")
    assert r.code == 0 and "oops" in r.out and "voided_at" in r.out, r


def invoice_of(r, tenant):
    assert r.code == 0, r
    docs = r.json["invoices"] if isinstance(r.json, dict) and "invoices" in r.json else r.json
    docs = docs if isinstance(docs, list) else [docs]
    return [d for d in docs if d["tenant"] == tenant][0]


def test_voided_event_in_a_finalized_period_is_a_negative_adjustment_on_the_next_invoice(m):
    # Regression: `invoice generate` for all tenants looked for late events
    # only (events recorded after the finalization), so an event voided after
    # its period was finalized never reached the next invoice.
    m.now = "2026-03-02T00:00:00Z"
    feb = invoice_of(m("invoice", "generate", "--period", "2026-02", "--finalize", json=True), "acme")
    assert feb["subtotal"] == "0.15", feb
    assert m("events", "void", "e5", "--reason", "duplicate", now="2026-03-03T00:00:00Z").code == 0
    assert m("invoice", "show", feb["number"], json=True).json["subtotal"] == "0.15"   # finalized never changes
    m.now = "2026-04-02T00:00:00Z"
    assert m.ingest([{"id": "m1", "tenant": "acme", "metric": "calls", "quantity": 10,
                      "timestamp": "2026-03-05T00:00:00Z"}], "march.ndjson").code == 0
    mar = invoice_of(m("invoice", "generate", "--period", "2026-03", "--finalize", json=True), "acme")
    (adj,) = [line for line in mar["lines"] if "2026-02" in line["description"]]
    assert (adj["kind"], adj["amount"], adj["quantity"]) == ("adjustment", "-0.05", -5), adj
    assert adj["description"] == "Voided events adjustment for 2026-02: calls -5", adj
    assert mar["subtotal"] == "0.05", mar                                                 # 0.10 - 0.05
    # Billed back once: the next invoice has no further line for February.
    m.now = "2026-05-02T00:00:00Z"
    apr = invoice_of(m("invoice", "generate", "--period", "2026-04", json=True), "acme")
    assert not [line for line in apr["lines"] if "2026-02" in line["description"]], apr["lines"]


def test_void_takes_events_out_of_analytics(m):
    ops = [{"id": f"op{i}", "tenant": "acme", "metric": "calls", "timestamp": "2026-02-10T10:00:00Z",
            "operation": "send", "status": "success", "latency_ms": 100 * i} for i in range(1, 4)]
    assert m.ingest(ops, "ops.ndjson").code == 0

    def send():
        r = m("report", "analytics", "--tenant", "acme", "--from", "2026-02-01", "--to", "2026-03-01",
              "--by", "operation", json=True)
        assert r.code == 0, r
        return [(row["total"], row["latency_p95_ms"]) for row in r.json["rows"]]
    assert send() == [(3, 300)]
    assert m("events", "void", "op3", "--reason", "load test").code == 0
    assert send() == [(2, 200)]
