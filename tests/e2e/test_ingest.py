"""End-to-end: `meter ingest` (SPEC section 4) on the real binary and a real
SQLite file: formats, dedupe, rejects, --strict, exit codes, counters."""
import json
from pathlib import Path

import pytest

import counters
from conftest import SAMPLE_DIR

NOW = "2026-03-01T00:00:00Z"
FEB = (1769904000000, 1772323200000)  # [2026-02-01, 2026-03-01) in ms
HOUR = 3600 * 1000

CATALOG = {
    "currency": "USD",
    "meters": [
        {"key": "api_calls"},
        {"key": "requests", "event": "ai", "aggregation": "count"},
        {"key": "emails", "event": "ai", "aggregation": "count", "where": {"operation": "email"}},
        {"key": "tokens", "event": "llm", "value": "properties.tokens"},
        {"key": "gpt4_tokens", "event": "llm", "value": "properties.tokens",
         "where": {"properties.model": "gpt-4"}},
        {"key": "storage", "aggregation": "max"},
        {"key": "seats", "aggregation": "latest"},
        {"key": "users", "event": "api_calls", "aggregation": "unique_count", "value": "user"},
    ],
    "plans": [{"key": "p", "base_price": "0"}],
    "tenants": [{"id": "acme", "plan": "p"}, {"id": "beta", "plan": "p"}],
}
AGGREGATION = {m["key"]: m.get("aggregation", "sum") for m in CATALOG["meters"]}


def ev(i, **kw):
    """A good native event; keyword arguments override or add fields."""
    e = {"id": f"e{i}", "tenant": "acme", "metric": "api_calls", "quantity": 1,
         "timestamp": "2026-02-10T10:00:00Z"}
    e.update(kw)
    return e


def counter(meter, tenant, meter_key, aggregation=None, period=FEB):
    """The meter's value over the period, read from the stored counters as
    CounterStore reads them."""
    aggregation = aggregation or AGGREGATION[meter_key]
    where, args = "WHERE tenant_id=? AND meter=?", (tenant, meter_key)
    inside = lambda hour: period[0] <= hour < period[1]
    if aggregation == "unique_count":
        values = {v for _, _, h, v in counters.unique_rows(meter.sql, where, args) if inside(h)}
        return len(values)
    rows = [r for r in counters.counter_rows(meter.sql, where, args) if inside(r[2])]
    if not rows:
        return 0
    if aggregation in ("sum", "count"):
        value = sum(r[3] for r in rows)
    elif aggregation == "max":
        value = max(r[3] for r in rows)
    else:
        value = max(rows, key=lambda r: (r[5] or 0, r[3]))[3]
    return value / 1e6


def event_count(meter):
    return meter.sql("SELECT COUNT(*) FROM events")[0][0]


def rejects_entries(path):
    """[(line, reason, record)] from a rejects file."""
    lines = Path(path).read_bytes().decode("utf-8", "surrogateescape").split("\n")
    out = []
    for i, line in enumerate(lines):
        if line.startswith("# line "):
            number, reason = line[len("# line "):].split(": ", 1)
            out.append((int(number), reason, lines[i + 1]))
    return out


@pytest.fixture
def m(meter):
    meter.now = NOW
    meter.init(CATALOG)
    return meter


# ---- the sample month ----

def test_sample_month_matches_the_generators_expectation(meter, sample_catalog):
    meter.now = NOW
    meter.init(sample_catalog)
    expected = json.loads((SAMPLE_DIR / "usage-2026-02.expected.json").read_text())
    src = SAMPLE_DIR / "usage-2026-02.ndjson"
    path = meter.write("usage.ndjson", src.read_text())
    r = meter("ingest", path, json=True)
    assert r.code == 65, r
    s = r.json
    assert (s["read"], s["accepted"], s["duplicates"], s["rejected"], s["late"]) == (
        expected["summary"]["records"], expected["summary"]["good"], expected["summary"]["duplicates"],
        expected["summary"]["rejected"], 0)
    assert s["rejects_file"] == str(path) + ".rejects"
    assert set(s) >= {"read", "accepted", "duplicates", "rejected", "late", "seconds", "events_per_second",
                      "rejects_file"}
    rejected_lines = [n for n, _, _ in rejects_entries(s["rejects_file"])]
    assert rejected_lines == [b["line"] for b in expected["bad_lines"]]
    # Every rejected record is the input line, verbatim.
    source_lines = src.read_text().split("\n")
    for n, _, record in rejects_entries(s["rejects_file"]):
        assert record == source_lines[n - 1]
    aggregations = {mt["key"]: mt.get("aggregation", "sum") for mt in sample_catalog["meters"]}
    for tenant, totals in expected["totals"].items():
        for key, value in totals.items():
            assert counter(meter, tenant, key, aggregations[key]) == pytest.approx(value), (tenant, key)
    assert "rejected" in r.err and "accepted 24,401" in r.err


def test_same_file_twice_adds_nothing(meter, sample_catalog):
    meter.now = NOW
    meter.init(sample_catalog)
    path = meter.write("usage.ndjson", (SAMPLE_DIR / "usage-2026-02.ndjson").read_text())
    first = meter("ingest", path, json=True)
    events = event_count(meter)
    calls = counter(meter, "acme", "api_calls", "sum")
    second = meter("ingest", path, json=True)
    assert second.code == 65
    assert second.json["accepted"] == 0
    assert second.json["duplicates"] == first.json["accepted"] + first.json["duplicates"]
    assert second.json["rejected"] == first.json["rejected"]
    assert event_count(meter) == events
    assert counter(meter, "acme", "api_calls", "sum") == calls


# ---- dedupe ----

def test_duplicate_ids_across_two_files_count_once(m):
    a = m.write("a.ndjson", [ev(1, quantity=5), ev(2, quantity=7)])
    b = m.write("b.ndjson", [ev(2, quantity=7), ev(3, quantity=11)])
    r = m("ingest", a, b, json=True)
    assert r.code == 0, r
    assert (r.json["accepted"], r.json["duplicates"]) == (3, 1)
    assert [f["accepted"] for f in r.json["files"]] == [2, 1]
    assert counter(m, "acme", "api_calls") == 23
    r = m("ingest", b, json=True)
    assert (r.json["accepted"], r.json["duplicates"]) == (0, 2)
    assert counter(m, "acme", "api_calls") == 23


def test_records_without_id_are_identified_by_content(m):
    rec = {"tenant": "acme", "metric": "api_calls", "quantity": 3, "timestamp": "2026-02-10T10:00:00Z"}
    other = dict(rec, quantity=4)
    r = m.ingest([rec, other, rec], "noid.ndjson")
    assert r.code == 0, r
    # Two byte-identical id-less records are one event.
    assert counter(m, "acme", "api_calls") == 7
    r = m.ingest([rec, other], "noid2.ndjson")
    assert counter(m, "acme", "api_calls") == 7
    ids = [row[0] for row in m.sql("SELECT id FROM events ORDER BY id")]
    assert len(ids) == 2 and all(i.startswith("sha256:") for i in ids)


def test_cloudevents_are_deduplicated_by_source_and_id(m):
    base = {"specversion": "1.0", "id": "x1", "type": "api_calls", "subject": "acme",
            "time": "2026-02-10T10:00:00Z", "data": {"quantity": 2}}
    r = m.ingest([dict(base, source="/a"), dict(base, source="/b"), dict(base, source="/a")], "ce.ndjson")
    assert r.code == 0, r
    assert counter(m, "acme", "api_calls") == 4


# ---- bad records ----

BAD = [
    # (record line, reason)
    (json.dumps(ev(0, tenant="acme2")), "unknown tenant 'acme2'"),
    (json.dumps(ev(0, timestamp="2026-13-01")), "timestamp '2026-13-01' is not a valid time"),
    (json.dumps(ev(0, quantity=-3)), "quantity must be non-negative"),
    (json.dumps({"id": "x", "metric": "api_calls", "timestamp": "2026-02-10T10:00:00Z"}),
     "missing required field 'tenant'"),
    (json.dumps({"id": "x", "tenant": "acme", "timestamp": "2026-02-10T10:00:00Z"}),
     "missing required field 'metric'"),
    (json.dumps({"id": "x", "tenant": "acme", "metric": "api_calls"}), "missing required field 'timestamp'"),
    (json.dumps(ev(0, metric="api_call")), "unknown metric 'api_call'"),
    (json.dumps(ev(0, timestamp="2026-03-01T00:05:01Z")),
     "timestamp '2026-03-01T00:05:01Z' is more than 5 minutes in the future"),
    ('{"id":"x","tenant":"acme","metric":"api_calls","timestamp":"2026-02-10T10:00:00Z"',
     "malformed JSON: unexpected end of record (unclosed object or array)"),
    ('{"id":"x","tenant":"acme","metric":"api_calls","timestamp":"2026-02-10T10:00:00Z",}', None),
    ("{'id':'x','tenant':'acme'}", None),
    ('{"id":"x","tenant":"acme","metric":"api_calls","timestamp":"2026-02-10T10:00:00Z"} extra',
     "malformed JSON: unexpected text after the object"),
    ('["acme","api_calls"]', "record is not a JSON object (found an array)"),
    ('"acme"', "record is not a JSON object (found a string)"),
    (json.dumps(ev(0, tenant=42)), "tenant must be a string"),
    (json.dumps(ev(0, tenant="")), "tenant must not be empty"),
    (json.dumps(ev(0, metric=["api_calls"])), "metric must be a string"),
    (json.dumps(ev(0, quantity="lots")), "quantity 'lots' is not a number"),
    (json.dumps(ev(0, quantity=[3])), "quantity must be a number"),
    (json.dumps(ev(0, quantity=0.1234567)), "quantity '0.1234567' has more than 6 decimal places"),
    ('{"id":"x","tenant":"acme","metric":"api_calls","timestamp":"2026-02-10T10:00:00Z","quantity":1e30}',
     "quantity '1e30' is too large"),
    (json.dumps(ev(0, latency_ms="fast")), "latency_ms 'fast' is not a number"),
    (json.dumps(ev(0, latency_ms=-1)), "latency_ms must be non-negative"),
    (json.dumps(ev(0, latency_ms=2.5)), "latency_ms '2.5' must be a whole number of milliseconds"),
    (json.dumps(ev(0, cost="cheap")), "cost 'cheap' is not a decimal number"),
    (json.dumps(ev(0, properties=[1, 2])), "properties must be a JSON object"),
    (json.dumps(ev(0, metric="llm", properties={"tokens": "abc"})),
     "properties.tokens 'abc' is not a number (read by meter 'tokens')"),
    (json.dumps(ev(0, metric="llm", properties={"tokens": -5})),
     "properties.tokens must be non-negative (read by meter 'tokens')"),
    (json.dumps(ev(0, user={"id": 1})), "user must be a string"),
    (json.dumps(ev(0, id="")), "id must not be empty"),
    (json.dumps(ev(0, id={"a": 1})), "id must be a string"),
    (json.dumps(ev(0, timestamp=True)), "timestamp must be an RFC 3339 time or Unix seconds"),
    (json.dumps(ev(0, timestamp="2026-02-30T10:00:00Z")), "timestamp '2026-02-30T10:00:00Z' is not a valid time"),
    ('{"id":"x","tenant":"acme","metric":"api_calls","timestamp":"2026-02-10T10:00:00Z","properties":{"a":[tru]}}',
     "properties: malformed JSON: unexpected character (missing comma, colon or quote?)"),
    (json.dumps({"specversion": "0.3", "id": "c", "source": "/s", "type": "api_calls", "subject": "acme",
                 "time": "2026-02-10T10:00:00Z"}), "unsupported CloudEvents specversion '0.3' (1.0 is supported)"),
    (json.dumps({"specversion": "1.0", "id": "c", "source": "/s", "type": "api_calls", "subject": "acme",
                 "time": "2026-02-10T10:00:00Z", "data": "text"}), "data must be a JSON object"),
    (json.dumps({"specversion": "1.0", "id": "c", "source": "/s", "type": "api_calls",
                 "time": "2026-02-10T10:00:00Z"}), "missing required field 'subject'"),
    (json.dumps({"transaction_id": "t", "external_customer_id": "acme", "code": "api_calls",
                 "timestamp": 1770717600, "properties": "x"}), "properties must be a JSON object"),
    (json.dumps({"transaction_id": "t", "code": "api_calls", "timestamp": 1770717600}),
     "missing required field 'external_customer_id'"),
    (json.dumps({"transaction_id": "t", "external_customer_id": "acme2", "code": "api_calls",
                 "timestamp": 1770717600}), "unknown tenant 'acme2'"),
]


def test_malformed_records_are_rejected_with_line_and_reason(m):
    lines, expected, good = [], [], 0
    for i, (record, reason) in enumerate(BAD):
        lines.append(json.dumps(ev(1000 + i, quantity=2)))  # a good record between bad ones
        good += 2
        lines.append(record)
        expected.append((len(lines), reason, record))
    huge = json.dumps(ev(9999, properties={"blob": "x" * (1 << 20)}))
    lines.append(huge)
    expected.append((len(lines), "record is longer than 1 MiB (1048576 bytes)", huge))
    lines.append(b'{"id":"u","tenant":"\xff\xfe","metric":"api_calls","timestamp":"2026-02-10T10:00:00Z"}'.decode(
        "latin-1"))
    path = m.dir / "bad.ndjson"
    with open(path, "wb") as f:
        for line in lines:
            f.write(line.encode("latin-1") if "\xff" in line else line.encode())
            f.write(b"\n")
    expected.append((len(lines), "malformed JSON: invalid UTF-8", None))
    r = m("ingest", path, json=True)
    assert r.code == 65, r
    assert r.json["rejected"] == len(expected) >= 30
    assert r.json["accepted"] == len(BAD)
    assert counter(m, "acme", "api_calls") == good
    got = rejects_entries(str(path) + ".rejects")
    assert len(got) == len(expected)
    for (line, reason, record), (gline, greason, grecord) in zip(expected, got):
        assert gline == line
        if reason is None:
            assert greason.startswith("malformed JSON: "), greason
        else:
            assert greason == reason
        if record is not None:
            assert grecord == record  # verbatim, even the 1 MiB one
    assert f"line {expected[0][0]}: unknown tenant 'acme2'" in r.err


def test_rejects_file_can_be_fixed_and_ingested(m):
    path = m.write("e.ndjson", [ev(1), ev(2, tenant="acme2"), ev(3, quantity=-1)])
    r = m("ingest", path)
    assert r.code == 65
    rejects = Path(str(path) + ".rejects")
    text = rejects.read_text()
    assert text.startswith("# meter ingest rejects from ")
    assert "# line 2: unknown tenant 'acme2'\n" + json.dumps(ev(2, tenant="acme2")) + "\n" in text
    assert "# line 3: quantity must be non-negative\n" in text
    fixed = m.write("fixed.ndjson", text.replace('"acme2"', '"acme"').replace('"quantity": -1', '"quantity": 1'))
    r = m("ingest", fixed, json=True)
    assert r.code == 0, r
    assert r.json["accepted"] == 2
    assert counter(m, "acme", "api_calls") == 3


def test_no_rejects_file_when_nothing_is_rejected(m):
    path = m.ingest([ev(1)], "good.ndjson")
    assert path.code == 0
    assert not (m.dir / "good.ndjson.rejects").exists()
    r = m("ingest", m.dir / "good.ndjson", json=True)
    assert r.json["rejects_file"] is None


def test_rejects_path_option_and_unwritable_rejects(m):
    path = m.write("e.ndjson", [ev(1), ev(2, tenant="nobody")])
    r = m("ingest", path, "--rejects", m.dir / "out.rej", json=True)
    assert r.code == 65
    assert r.json["rejects_file"] == str(m.dir / "out.rej")
    assert "# line 2: unknown tenant 'nobody'" in (m.dir / "out.rej").read_text()
    # A rejects file that cannot be written: exit 74, nothing from that batch kept.
    path2 = m.write("e2.ndjson", [ev(3), ev(4, tenant="nobody")])
    r = m("ingest", path2, "--rejects", m.dir / "missing-dir" / "out.rej")
    assert r.code == 74, r
    assert "cannot write rejects file" in r.err
    assert event_count(m) == 1


def test_strict_commits_nothing_when_any_record_is_bad(m):
    path = m.write("e.ndjson", [ev(1), ev(2), ev(3, tenant="acme2"), ev(4)])
    r = m("ingest", path, "--strict", "--batch-size", "2", json=True)
    assert r.code == 65, r
    assert r.json["committed"] is False
    assert r.json["accepted"] == 0 and r.json["rejected"] == 1
    assert event_count(m) == 0
    assert counter(m, "acme", "api_calls") == 0
    assert "nothing was committed" in r.err
    assert "# line 3: unknown tenant 'acme2'" in Path(str(path) + ".rejects").read_text()
    good = m.write("g.ndjson", [ev(1), ev(2)])
    r = m("ingest", good, "--strict", json=True)
    assert r.code == 0 and r.json["accepted"] == 2 and r.json["committed"] is True


def test_exit_codes(m):
    good = m.write("good.ndjson", [ev(1)])
    assert m("ingest", good).code == 0
    bad = m.write("bad.ndjson", [ev(2, tenant="x")])
    assert m("ingest", bad).code == 65
    # A missing input is found before anything is read: the other file adds nothing.
    other = m.write("other.ndjson", [ev(3)])
    r = m("ingest", other, m.dir / "missing.ndjson")
    assert r.code == 66, r
    assert "missing.ndjson" in r.err and "does not exist" in r.err
    assert event_count(m) == 1
    assert m("ingest", other, "--format", "xml").code == 2
    assert m("ingest", other, "--batch-size", "0").code == 2


def test_stdin(m):
    data = "\n".join(json.dumps(e) for e in [ev(1, quantity=4), ev(2, tenant="zz")]) + "\n"
    r = m("ingest", "-", stdin=data, json=True)
    assert r.code == 65, r
    assert r.json["accepted"] == 1
    assert r.json["rejects_file"] == "stdin.rejects"
    assert "# line 2: unknown tenant 'zz'" in (m.dir / "stdin.rejects").read_text()
    r = m("ingest", stdin=json.dumps(ev(3, quantity=5)) + "\n", json=True)  # no file: stdin
    assert r.code == 0 and r.json["accepted"] == 1
    assert counter(m, "acme", "api_calls") == 9


def test_comments_blank_lines_crlf_and_bom(m):
    path = m.dir / "x.ndjson"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(ev(1)).encode() + b"\r\n\r\n# a comment\n  \n" +
                     json.dumps(ev(2, tenant="nope")).encode() + b"\r\n" + json.dumps(ev(3)).encode())
    r = m("ingest", path, json=True)
    assert r.code == 65
    assert (r.json["read"], r.json["accepted"], r.json["rejected"]) == (3, 2, 1)
    assert rejects_entries(str(path) + ".rejects")[0][0] == 5


def test_quiet_and_summary_line(m):
    path = m.write("e.ndjson", [ev(1)])
    r = m("ingest", path)
    assert "read 1, accepted 1, duplicates 0, rejected 0, late 0" in r.err
    assert "events/s" in r.err
    r = m("--quiet", "ingest", path)
    assert r.err == ""


# ---- formats ----

def test_sample_cloudevents_lago_and_csv(meter, sample_catalog):
    meter.now = NOW
    meter.init(sample_catalog)
    for name in ("usage-cloudevents.ndjson", "usage-lago.ndjson", "usage.csv"):
        r = meter("ingest", SAMPLE_DIR / name, json=True)
        assert r.code == 0, (name, r)
        assert (r.json["read"], r.json["accepted"], r.json["duplicates"], r.json["rejected"]) == (305, 300, 5, 0)
        r = meter("ingest", SAMPLE_DIR / name, json=True)
        assert r.json["accepted"] == 0
    assert event_count(meter) == 900
    expected = sample_totals(sample_catalog)
    for (tenant, key), value in expected.items():
        agg = {mt["key"]: mt.get("aggregation", "sum") for mt in sample_catalog["meters"]}[key]
        assert counter(meter, tenant, key, agg) == pytest.approx(value), (tenant, key)


def sample_totals(catalog):
    """An independent reading of the three small sample files: per tenant and
    meter totals under the sample catalog's meters."""
    import csv
    events = {}
    for line in (SAMPLE_DIR / "usage-cloudevents.ndjson").read_text().splitlines():
        r = json.loads(line)
        d = r.get("data", {})
        props = {k: v for k, v in d.items() if k not in ("quantity", "user", "operation", "status", "latency_ms", "cost")}
        events["ce" + r["source"] + r["id"]] = (r["subject"], r["type"], float(d.get("quantity", 1)), d.get("user"),
                                               d.get("operation"), props)
    for line in (SAMPLE_DIR / "usage-lago.ndjson").read_text().splitlines():
        r = json.loads(line)
        p = r.get("properties", {})
        tenant = r.get("external_customer_id") or r.get("external_subscription_id")
        events["lago" + r["transaction_id"]] = (tenant, r["code"], float(p.get("quantity", 1)), p.get("user"),
                                               p.get("operation"), p)
    with open(SAMPLE_DIR / "usage.csv") as f:
        for r in csv.DictReader(f):
            props = {"tokens": float(r["tokens"])} if r.get("tokens") else {}
            events["csv" + r["id"]] = (r["tenant"], r["metric"], float(r["quantity"] or 1), r["user"] or None,
                                      r["operation"] or None, props)
    totals, uniques = {}, {}
    for tenant, metric, quantity, user, operation, props in events.values():
        for mt in catalog["meters"]:
            if mt.get("event", mt["key"]) != metric:
                continue
            if any((operation if f == "operation" else None) != v for f, v in mt.get("where", {}).items()):
                continue
            agg, key = mt.get("aggregation", "sum"), (tenant, mt["key"])
            value_field = mt.get("value", "quantity")
            if agg == "count":
                totals[key] = totals.get(key, 0) + 1
            elif agg == "unique_count":
                if user:
                    uniques.setdefault(key, set()).add(user)
            else:
                v = quantity if value_field == "quantity" else props.get(value_field.split(".", 1)[1])
                if v is None:
                    continue
                totals[key] = max(totals.get(key, 0), v) if agg == "max" else totals.get(key, 0) + float(v)
    totals.update({k: len(v) for k, v in uniques.items()})
    return totals


def test_auto_detects_formats_per_record(m):
    lines = [
        json.dumps(ev(1, quantity=1)),
        json.dumps({"specversion": "1.0", "id": "c1", "source": "/s", "type": "api_calls", "subject": "acme",
                    "time": "2026-02-10T10:00:00Z", "data": {"quantity": 10, "user": "u9"}}),
        json.dumps({"transaction_id": "t1", "external_subscription_id": "beta", "code": "api_calls",
                    "timestamp": 1770717600, "properties": {"quantity": "100", "user": "u1"}}),
    ]
    r = m.ingest(lines, "mixed.ndjson")
    assert r.code == 0, r
    assert counter(m, "acme", "api_calls") == 11
    assert counter(m, "beta", "api_calls") == 100
    assert counter(m, "acme", "users") == 1  # only the CloudEvent names a user
    # Forced formats map every record the same way.
    r = m("ingest", m.dir / "mixed.ndjson", "--format", "lago", json=True)
    assert r.json["rejected"] == 2


def test_csv_with_header_and_bad_rows(m):
    text = ("id,tenant,metric,quantity,timestamp,user,model,tokens\n"
            "c1,acme,llm,1,2026-02-10T10:00:00Z,u1,gpt-4,150\n"
            "c2,acme,llm,1,2026-02-10T10:00:00Z,u1,claude,50\n"
            "c3,acme,api_calls,2.5,1770717600,\"u,2\",,\n"
            "c4,acme,api_calls\n"
            "c5,acme,api_calls,1,2026-02-10T10:00:00Z,\"u5,,,\n"
            "c6,acme,llm,1,2026-02-10T10:00:00Z,u1,gpt-4,many\n"
            "c7,,api_calls,1,2026-02-10T10:00:00Z,u1,,\n")
    path = m.write("u.csv", text)
    r = m("ingest", path, json=True)
    assert r.code == 65, r
    assert (r.json["accepted"], r.json["rejected"]) == (3, 4)
    assert r.json["files"][0]["format"] == "csv"
    assert counter(m, "acme", "tokens") == 200
    assert counter(m, "acme", "gpt4_tokens") == 150
    assert counter(m, "acme", "api_calls") == 2.5
    assert counter(m, "acme", "users") == 1
    got = rejects_entries(str(path) + ".rejects")
    assert [(n, reason) for n, reason, _ in got] == [
        (5, "CSV row has 3 fields, the header has 8"),
        (6, "bad CSV quoting: unterminated quoted field"),
        (7, "properties.tokens 'many' is not a number (read by meter 'tokens')"),
        (8, "missing required field 'tenant'"),
    ]
    # The rejects file repeats the header, so it can be fixed and ingested.
    rejects_text = Path(str(path) + ".rejects").read_text()
    assert rejects_text.split("\n")[1] == "id,tenant,metric,quantity,timestamp,user,model,tokens"
    fixed = m.write("fixed.csv", rejects_text.replace("many", "7").replace("c7,,", "c7,acme,"))
    r = m("ingest", fixed, json=True)
    assert (r.json["accepted"], r.json["rejected"]) == (2, 2)


# ---- counters ----

def test_counters_match_a_hand_computed_expectation(m):
    h10, h11 = "2026-02-10T10:", "2026-02-10T11:"
    events = [
        ev(1, quantity=2.5, user="u1", timestamp=h10 + "01:00Z"),
        ev(2, quantity=1, user="u2", timestamp=h10 + "02:00Z"),
        ev(3, quantity=4, user="u1", timestamp=h11 + "00:00Z"),
        ev(4, tenant="beta", quantity=10, user="u1", timestamp=h10 + "00:00Z"),
        ev(5, metric="ai", operation="email", quantity=3, timestamp=h10 + "00:00Z"),
        ev(6, metric="ai", operation="video", timestamp=h10 + "00:00Z"),
        ev(7, metric="ai", operation="email", timestamp=h11 + "00:00Z"),
        ev(8, metric="llm", properties={"tokens": 150, "model": "gpt-4"}),
        ev(9, metric="llm", properties={"tokens": "49.5", "model": "claude"}),
        ev(10, metric="llm", properties={"model": "gpt-4"}),  # no value: feeds no llm meter
        ev(11, metric="storage", quantity=91.5, timestamp=h10 + "00:00Z"),
        ev(12, metric="storage", quantity=131.25, timestamp=h10 + "30:00Z"),
        ev(13, metric="storage", quantity=99, timestamp=h11 + "00:00Z"),
        ev(14, metric="seats", quantity=5, timestamp=h10 + "10:00Z"),
        ev(15, metric="seats", quantity=8, timestamp=h11 + "20:00Z"),
        ev(16, metric="seats", quantity=6, timestamp=h11 + "05:00Z"),
    ]
    r = m.ingest(events, "c.ndjson")
    assert r.code == 0, r
    assert counter(m, "acme", "api_calls") == 7.5
    assert counter(m, "beta", "api_calls") == 10
    assert counter(m, "acme", "users") == 2
    assert counter(m, "acme", "requests") == 3  # count: events, not quantities
    assert counter(m, "acme", "emails") == 2
    assert counter(m, "acme", "tokens") == 199.5
    assert counter(m, "acme", "gpt4_tokens") == 150
    assert counter(m, "acme", "storage") == 131.25
    assert counter(m, "acme", "seats") == 8
    hour10 = (1770717600000, 1770717600000 + HOUR)
    assert counter(m, "acme", "api_calls", period=hour10) == 3.5
    assert counter(m, "acme", "seats", period=hour10) == 5
    assert counter(m, "acme", "storage", period=(hour10[1], hour10[1] + HOUR)) == 99


def test_late_events_are_counted_and_stored(m):
    m.sql(
        "INSERT INTO invoices(id, number, tenant_id, month, timezone, period_start, period_end, status, currency, "
        "issue_date, due_date, tenant_name, tenant_email, subtotal, tax_name, tax_rate, tax, total, attributes, "
        "created_at, updated_at) "
        "VALUES('inv1', 'INV-1', 'acme', '2026-02', '', ?, ?, 'open', 'USD', 0, 0, '', '', '0', '', '0', '0', '0', "
        "'{}', 0, 0)", FEB)
    r = m.ingest([ev(1), ev(2, tenant="beta"), ev(3, timestamp="2026-01-31T23:59:59Z")], "late.ndjson", "--json")
    assert r.code == 0, r
    assert r.json["late"] == 1  # only acme's February event falls in an issued invoice
    r = m("ingest", m.dir / "late.ndjson", json=True)
    assert r.json["late"] == 0  # duplicates are not late again
    r = m.ingest([ev(4), ev(5)], "late2.ndjson", "--json")
    assert r.json["late"] == 2
    assert event_count(m) == 5
