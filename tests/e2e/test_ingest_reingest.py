"""End-to-end: ingesting a file again with new events among the old ones.

While the writer finds mostly duplicates, ingest stages the next batches
without their counter keys and the writer keys the events it inserts
(lib/ingest/ingest.cc), and a batch begun with keys goes on without them
once the reader learns that: the counters must come out exactly as a
single ingest of every event gives them, for every kind of meter, whichever
way each batch or part of a batch was staged."""
import json

from counters import counter_rows, unique_rows
from test_ingest import AGGREGATION, CATALOG, NOW, counter, event_count

TENANTS = ("acme", "beta")


def event(i):
    """Event i: its metric, tenant, hour, user and fields vary with i, so that
    every meter of CATALOG (sum, count, where, max, latest, unique_count)
    gets rows in several hours of both tenants."""
    metric = ("api_calls", "ai", "llm", "storage", "seats")[i % 5]
    e = {"id": f"e{i}", "tenant": TENANTS[i % 2], "metric": metric, "quantity": 1 + i % 7,
         "timestamp": f"2026-02-{1 + i % 20:02d}T{i % 24:02d}:{i % 60:02d}:00Z", "user": f"u{i % 9}"}
    if metric == "ai":
        e["operation"] = ("email", "chat")[(i // 10) % 2]
    if metric == "llm":
        e["properties"] = {"tokens": 100 + i, "model": ("gpt-4", "other")[i % 3 == 0]}
    return e


def all_counters(meter):
    return {(t, k): counter(meter, t, k) for t in TENANTS for k in AGGREGATION}


def ingest(meter, name, ids, *extra):
    path = meter.write(name, [event(i) for i in ids])
    r = meter("--json", "ingest", path, *extra)
    assert r.code == 0, r
    return json.loads(r.out)


def ingest_all_once(meter, tmp_path, count):
    """A second meter database holding events 0..count-1, ingested once."""
    (tmp_path / "one").mkdir()
    once = type(meter)(tmp_path / "one", meter.backend, getattr(meter, "pg_url", None))
    once.now = NOW
    once.init(CATALOG)
    ingest(once, "all.ndjson", range(count))
    return once


def assert_same_counters(meter, once, count):
    assert event_count(meter) == event_count(once) == count
    expected = all_counters(once)
    assert all(v > 0 for v in expected.values()), expected  # every meter has something to compare
    assert all_counters(meter) == expected
    # Hour by hour too: a max or latest lost in one hour can hide in a month's figure.
    assert sorted(counter_rows(meter.sql)) == sorted(counter_rows(once.sql))
    assert sorted(unique_rows(meter.sql)) == sorted(unique_rows(once.sql))
    for args in (["quota", "status"], ["report", "usage", "--period", "2026-02", "--by", "day"]):
        assert meter(*args, json=True).json == once(*args, json=True).json, args


def test_new_events_among_duplicates_count_as_one_ingest_of_all(meter, tmp_path):
    first = list(range(0, 120, 2))                  # the even events
    # Again with the odd ones: a run of old events (the writer sees only
    # duplicates), then new ones alone, then old and new alternating. With
    # batches of 5, the reader is at most two chunks ahead of the writer, so
    # the batch of the first five new events is staged unkeyed: they are one
    # of each metric (storage: max, seats: latest, ai, llm, api_calls: unique).
    new_alone = [3, 9, 1, 7, 5] + [i for i in range(11, 41, 2)]
    again = first[:40] + new_alone + [i for j in range(41, 120, 2) for i in (j - 1, j)]
    meter.now = NOW
    meter.init(CATALOG)
    ingest(meter, "first.ndjson", first)
    summary = ingest(meter, "again.ndjson", again, "--batch-size", "5")
    assert (summary["accepted"], summary["duplicates"]) == (60, 80), summary

    assert_same_counters(meter, ingest_all_once(meter, tmp_path, 120), 120)


def test_a_batch_begun_with_keys_and_ended_without_counts_both_parts(meter, tmp_path):
    # One batch (the default, 250,000 records) of 200,000 events, one in four
    # new. The reader hands chunks of 2,048, 4,096, ... up to 50,000 events
    # over with at most four waiting, so by the time it has handed over the
    # sixth (112,000 events in) the writer has written the first, found it
    # mostly duplicates, and the rest of the batch is staged without keys:
    # new events on both sides of that point.
    count = 200_000
    meter.now = NOW
    meter.init(CATALOG)
    ingest(meter, "old.ndjson", [i for i in range(count) if i % 4 != 1])
    summary = ingest(meter, "again.ndjson", range(count))
    assert (summary["accepted"], summary["duplicates"]) == (count // 4, count - count // 4), summary
    assert_same_counters(meter, ingest_all_once(meter, tmp_path, count), count)
