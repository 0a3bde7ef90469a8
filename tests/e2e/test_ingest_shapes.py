"""End-to-end: the input shapes real producers send (SPEC section 4):
CloudEvents in structured mode with `data_base64` and extension attributes,
Lago's `{"event": ...}` and `{"events": [...]}` envelopes and its timestamps.
The fixtures under fixtures/ingest are written in the producers' own formats."""
import base64
import json
from pathlib import Path

import pytest

from test_ingest import CATALOG, NOW, counter, event_count, rejects_entries

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


@pytest.fixture
def m(meter):
    meter.now = NOW
    catalog = json.loads(json.dumps(CATALOG))
    catalog["meters"].append({"key": "eu_calls", "event": "api_calls", "where": {"properties.region": "eu"}})
    meter.init(catalog)
    return meter


def stored(meter, sql, *args):
    return meter.sql(sql, args)


def b64(obj):
    text = obj if isinstance(obj, str) else json.dumps(obj)
    return base64.b64encode(text.encode()).decode()


def ce(i, **kw):
    """A structured-mode CloudEvent (JSON format) as the SDKs write it."""
    e = {"specversion": "1.0", "id": f"ce-{i}", "source": "/services/gateway", "type": "api_calls",
         "subject": "acme", "time": "2026-02-10T10:00:00.000Z"}
    e.update(kw)
    return e


# ---- CloudEvents: data_base64 ----

def test_cloudevent_data_base64_holding_json_is_read_like_data(m):
    r = m.ingest([
        ce(1, data_base64=b64({"quantity": 5, "user": "u1", "tokens": 9})),  # no datacontenttype: JSON
        ce(2, datacontenttype="application/json", data_base64=b64({"quantity": 7, "user": "u2"})),
        ce(3, datacontenttype="application/vnd.meter.usage+json; charset=utf-8", data_base64=b64({"quantity": 11})),
        ce(4, datacontenttype="application/json", data={"quantity": 13}),
    ], "ce.ndjson")
    assert r.code == 0, r
    assert counter(m, "acme", "api_calls") == 5 + 7 + 11 + 13
    assert counter(m, "acme", "users") == 2
    props = stored(m, "SELECT properties FROM events WHERE user_id = 'u1'")
    assert json.loads(props[0][0]) == {"tokens": 9}


def test_cloudevent_data_base64_that_is_not_json_is_rejected_with_its_reason(m):
    cases = [
        (ce(1, datacontenttype="text/plain", data_base64=b64("five api calls")),
         "data_base64 holds 'text/plain' content (datacontenttype); meter reads only JSON data"),
        (ce(2, datacontenttype="application/octet-stream", data_base64="AAECAw=="),
         "data_base64 holds 'application/octet-stream' content (datacontenttype); meter reads only JSON data"),
        (ce(3, data_base64="not base64!"), "data_base64 is not valid base64 (invalid base64: unexpected character)"),
        (ce(4, data_base64=b64("[1, 2]")), "data_base64 must hold a JSON object"),
        (ce(5, data_base64=b64("")), "data_base64 must hold a JSON object"),
        (ce(6, data_base64=b64('{"quantity": ')), None),
        (ce(7, data_base64=42), "data_base64 must be a base64 string"),
        (ce(8, data={"quantity": 1}, data_base64=b64({"quantity": 2})),
         "data and data_base64 are both present (a CloudEvent has one or the other)"),
    ]
    r = m.ingest([c for c, _ in cases] + [ce(9, data={"quantity": 2})], "bad-ce.ndjson")
    assert r.code == 65, r
    got = rejects_entries(str(m.dir / "bad-ce.ndjson") + ".rejects")
    assert [n for n, _, _ in got] == list(range(1, len(cases) + 1))
    for (_, reason, record), (case, expected) in zip(got, cases):
        assert json.loads(record) == case
        if expected is None:
            assert reason.startswith("data_base64: malformed JSON: "), reason
        else:
            assert reason == expected
    # Nothing was accepted as an empty event: only the good record counts.
    assert event_count(m) == 1
    assert counter(m, "acme", "api_calls") == 2


# ---- CloudEvents: extension attributes ----

def test_cloudevent_extension_attributes_become_properties(m):
    r = m.ingest([
        ce(1, region="eu", traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", priority=3,
           sampled=True, data={"quantity": 2}),
        ce(2, region="us", data={"quantity": 3}),
        ce(3, region="us", data={"quantity": 4, "region": "eu"}),  # data wins over an extension
        ce(4, region=None, data={"quantity": 5}),  # null: absent
    ], "ext.ndjson")
    assert r.code == 0, r
    assert counter(m, "acme", "api_calls") == 14
    assert counter(m, "acme", "eu_calls", "sum") == 6
    props = {i.split("#")[-1]: p for i, p in stored(m, "SELECT id, properties FROM events")}
    assert json.loads(props["ce-1"]) == {"region": "eu", "priority": 3, "sampled": True,
                                         "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    assert json.loads(props["ce-3"]) == {"region": "eu"}
    assert props["ce-4"] is None
    r = m.ingest([ce(5, region={"a": 1}, data={"quantity": 1})], "bad-ext.ndjson")
    assert r.code == 65
    assert rejects_entries(str(m.dir / "bad-ext.ndjson") + ".rejects")[0][1] == (
        "extension attribute 'region' must be a string, number or boolean (CloudEvents 1.0)")


def test_cloudevents_fixture_from_the_sdks_structured_mode(m):
    r = m("ingest", FIXTURES / "cloudevents-structured.ndjson", json=True)
    assert r.code == 0, r
    assert (r.json["read"], r.json["accepted"], r.json["duplicates"]) == (6, 5, 1)
    assert counter(m, "acme", "api_calls") == 1 + 40 + 2
    assert counter(m, "beta", "api_calls") == 7
    assert counter(m, "acme", "eu_calls", "sum") == 40
    assert counter(m, "acme", "tokens") == 1200


# ---- Lago envelopes ----

def labelled_rejects(path):
    """[(label, reason, record)] from a rejects file: label "line N" or "line N event K"."""
    lines = Path(path).read_text().split("\n")
    out = []
    for i, line in enumerate(lines):
        if line.startswith("# line "):
            label, reason = line[2:].split(": ", 1)
            out.append((label, reason, lines[i + 1]))
    return out


def lago(i, **kw):
    e = {"transaction_id": f"tx-{i}", "external_subscription_id": "acme", "code": "api_calls",
         "timestamp": 1770717600, "properties": {"quantity": 1}}
    e.update(kw)
    return e


def test_lago_event_envelope_one_per_line(m):
    r = m.ingest([{"event": lago(1, properties={"quantity": 3})},
                  {"event": lago(2, external_customer_id="beta", properties={"quantity": 5})},
                  {"event": lago(1, properties={"quantity": 3})}], "lago.ndjson", "--json")
    assert r.code == 0, r
    assert (r.json["read"], r.json["accepted"], r.json["duplicates"]) == (3, 2, 1)
    assert counter(m, "acme", "api_calls") == 3
    assert counter(m, "beta", "api_calls") == 5


def test_lago_batch_each_event_is_its_own_record(m):
    batch = {"events": [lago(1, properties={"quantity": 2}),
                        lago(2, external_subscription_id="nobody"),
                        lago(1, properties={"quantity": 2}),  # a duplicate inside the batch
                        lago(3, properties={"quantity": -1}),
                        lago(4, properties={"quantity": 4})]}
    lines = [json.dumps(lago(0, properties={"quantity": 100})), json.dumps(batch), "{\"events\": []}",
             json.dumps({"events": [lago(4), "x"]})]
    path = m.write("batch.ndjson", lines)
    r = m("ingest", path, json=True)
    assert r.code == 65, r
    assert (r.json["read"], r.json["accepted"], r.json["duplicates"], r.json["rejected"]) == (8, 3, 2, 3)
    assert counter(m, "acme", "api_calls") == 106
    assert labelled_rejects(str(path) + ".rejects") == [
        ("line 2 event 2", "unknown tenant 'nobody'", json.dumps(lago(2, external_subscription_id="nobody"))),
        ("line 2 event 4", "properties.quantity must be non-negative", json.dumps(lago(3, properties={"quantity": -1}))),
        ("line 4 event 2", "record is not a JSON object (found a string)", '"x"'),
    ]
    text = Path(str(path) + ".rejects").read_text()
    assert "rejected: " in r.err and "batch.ndjson line 2 event 2: unknown tenant 'nobody'" in r.err
    # The rejects file holds the events alone: fixed, it ingests as it is.
    fixed = m.write("fixed.ndjson", text.replace('"nobody"', '"acme"').replace('"quantity": -1', '"quantity": 1'))
    r = m("ingest", fixed, json=True)
    assert (r.json["accepted"], r.json["rejected"]) == (2, 1), r


def test_lago_batch_envelopes_and_strict(m):
    path = m.write("strict.ndjson", [{"events": [lago(1), lago(2, code="nope")]}])
    r = m("ingest", path, "--strict", json=True)
    assert r.code == 65, r
    assert r.json["committed"] is False and event_count(m) == 0
    malformed = m.write("malformed.ndjson", ['{"events": [{"transaction_id": "a"}, ]}', '{"events": {"a": 1}}',
                                             '{"event": [1]}'])
    r = m("ingest", malformed, json=True)
    assert (r.json["read"], r.json["rejected"]) == (3, 3)
    reasons = [reason for _, reason, _ in labelled_rejects(str(malformed) + ".rejects")]
    assert reasons[0].startswith("events: malformed JSON") or reasons[0].startswith("malformed JSON"), reasons
    assert reasons[1:] == ["events must be a JSON array", "event must be a JSON object"]


def test_lago_fixture_from_the_api_bodies(m):
    r = m("ingest", FIXTURES / "lago-api.ndjson", json=True)
    assert r.code == 0, r
    assert (r.json["read"], r.json["accepted"], r.json["duplicates"]) == (6, 5, 1)
    assert counter(m, "acme", "api_calls") == 1 + 2 + 10
    assert counter(m, "beta", "tokens") == 300


# ---- Lago timestamps ----

@pytest.mark.parametrize("timestamp,ms", [
    (1770717600, 1770717600000),
    (1770717600.5, 1770717600500),
    ("1770717600", 1770717600000),
    ("1770717600.123", 1770717600123),
    ("1770717600.1239", 1770717600123),  # read to the millisecond
    (1770717600123, 1770717600123),      # milliseconds
])
def test_lago_timestamps_integer_float_or_numeric_string(m, timestamp, ms):
    r = m.ingest([lago(1, timestamp=timestamp)], "t.ndjson")
    assert r.code == 0, r
    assert stored(m, "SELECT ts FROM events") == [(ms,)]


@pytest.mark.parametrize("timestamp", ["1770717600.", "1.77e9", "17707x", "-5", True])
def test_lago_timestamps_that_are_not_times(m, timestamp):
    r = m.ingest([lago(1, timestamp=timestamp)], "t.ndjson")
    assert r.code == 65, r
    reason = rejects_entries(str(m.dir / "t.ndjson") + ".rejects")[0][1]
    assert reason.startswith("timestamp "), reason


# ---- Lago: external_subscription_id without external_customer_id ----

@pytest.mark.parametrize("record,reason", [
    (lago(1, external_subscription_id="nobody"), "unknown tenant 'nobody'"),
    (lago(1, external_subscription_id=""), "external_subscription_id must not be empty"),
    (lago(1, external_subscription_id=7), "external_subscription_id must be a string"),
    (lago(1, external_customer_id=None, external_subscription_id="nobody"), "unknown tenant 'nobody'"),
    (lago(1, external_customer_id="", external_subscription_id="nobody"), "unknown tenant 'nobody'"),
    (lago(1, code=None), "missing required field 'code'"),
    (lago(1, timestamp=None), "missing required field 'timestamp'"),
    ({"event": lago(1, external_subscription_id="nobody")}, "unknown tenant 'nobody'"),
    ({"events": [lago(1, external_subscription_id="")]}, "external_subscription_id must not be empty"),
])
def test_a_subscription_record_is_never_told_external_customer_id_is_missing(m, record, reason):
    for fmt in ("auto", "lago"):
        path = m.write(f"sub-{fmt}.ndjson", [record])
        r = m("ingest", path, "--format", fmt)
        assert r.code == 65, r
        got = labelled_rejects(str(path) + ".rejects")[0][1]
        assert got == reason
        assert "external_customer_id" not in got and "external_customer_id" not in r.err


def test_subscription_records_are_accepted(m):
    r = m.ingest([lago(1), lago(2, external_customer_id=None), lago(3, external_customer_id="")], "s.ndjson")
    assert r.code == 0, r
    assert counter(m, "acme", "api_calls") == 3
