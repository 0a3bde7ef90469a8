"""End-to-end: an event's identity is (id, source) (SPEC section 4).

Before schema version 2 a CloudEvent was stored under the id "source#id",
so source "/svc/a#x" with id "y" and source "/svc/a" with id "x#y" counted as
one event, and a native event whose id was "/svc/a#ce-1" as the CloudEvent
("/svc/a", "ce-1"). fixtures/ingest/v1-identity.db is a database made by the
meter of that time (commit 68070e7) from the two v1-identity.* files:

  meter --db v1-identity.db init --catalog <test_ingest.CATALOG as JSON>
  meter --db v1-identity.db --now 2026-03-01T00:00:00Z ingest v1-identity.ndjson v1-identity.csv
  sqlite3 v1-identity.db 'PRAGMA wal_checkpoint(TRUNCATE)'

It stored 9 events for the 11 records (the two collisions above). Opened by
this meter it migrates, and ingesting the same files again must add nothing.
"""
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from test_ingest import CATALOG, NOW, counter, event_count, rejects_entries

FIXTURES = Path(__file__).parent / "fixtures" / "ingest"


@pytest.fixture
def m(meter):
    meter.now = NOW
    meter.init(CATALOG)
    return meter


def ce(source, id, quantity, tenant="acme"):
    return {"specversion": "1.0", "id": id, "source": source, "type": "api_calls", "subject": tenant,
            "time": "2026-02-10T10:00:00Z", "data": {"quantity": quantity}}


def native(id, quantity):
    return {"id": id, "tenant": "acme", "metric": "api_calls", "quantity": quantity,
            "timestamp": "2026-02-10T10:00:00Z"}


def identities(meter):
    return meter.sql("SELECT id, source FROM events ORDER BY id, source")


def test_identities_never_collide_across_sources_and_shapes(m):
    r = m.ingest([ce("/svc/a#x", "y", 1), ce("/svc/a", "x#y", 2), native("/svc/a#x#y", 4),
                  native("/svc/a#ce-1", 8), ce("/svc/a", "ce-1", 16),
                  {"transaction_id": "ce-1", "external_customer_id": "acme", "code": "api_calls",
                   "timestamp": 1770717600, "properties": {"quantity": 32}}], "ids.ndjson", "--json")
    assert r.code == 0, r
    assert (r.json["accepted"], r.json["duplicates"]) == (6, 0)
    assert counter(m, "acme", "api_calls") == 63
    assert identities(m) == [("/svc/a#ce-1", ""), ("/svc/a#x#y", ""), ("ce-1", ""), ("ce-1", "/svc/a"),
                             ("x#y", "/svc/a"), ("y", "/svc/a#x")]
    # The same pairs again are duplicates, each of its own event.
    r = m("ingest", m.dir / "ids.ndjson", json=True)
    assert (r.json["accepted"], r.json["duplicates"]) == (0, 6)
    assert counter(m, "acme", "api_calls") == 63


def test_a_cloudevent_needs_a_source(m):
    event = ce("/s", "1", 1)
    del event["source"]
    r = m.ingest([event, dict(event, source=""), ce("/s", "2", 3)], "nosource.ndjson")
    assert r.code == 65, r
    assert [reason for _, reason, _ in rejects_entries(str(m.dir / "nosource.ndjson") + ".rejects")] == [
        "missing required field 'source'", "source must not be empty"]
    assert event_count(m) == 1


@pytest.mark.sqlite_only("its starting state is a version-1 SQLite file")
def test_a_database_of_the_previous_schema_keeps_its_dedupe(meter):
    meter.now = NOW
    shutil.copy(FIXTURES / "v1-identity.db", meter.db)
    assert sqlite3.connect(meter.db).execute("PRAGMA user_version").fetchone()[0] == 1
    inputs = [FIXTURES / "v1-identity.ndjson", FIXTURES / "v1-identity.csv"]
    r = meter("ingest", *inputs, json=True)  # migrates, then ingests
    assert r.code == 0, r
    assert (r.json["read"], r.json["accepted"], r.json["duplicates"]) == (11, 0, 11)
    assert event_count(meter) == 9
    assert counter(meter, "acme", "api_calls") == 903
    assert counter(meter, "beta", "api_calls") == 1104
    # Events stored before the migration keep their old ids, so the pairs
    # that collided then are still one event (found under the old key) ...
    r = meter.ingest([ce("/svc/a", "ce-1", 8), ce("/svc/a#x", "y", 16, "beta")], "again.ndjson", "--json")
    assert (r.json["accepted"], r.json["duplicates"]) == (0, 2)
    # ... while new events get the new identity: these are three events.
    r = meter.ingest([ce("/svc/c", "z", 1), native("/svc/c#z", 2), ce("/svc/c#", "z", 4)], "new.ndjson", "--json")
    assert (r.json["accepted"], r.json["duplicates"]) == (3, 0), r
    r = meter("ingest", meter.dir / "new.ndjson", json=True)
    assert (r.json["accepted"], r.json["duplicates"]) == (0, 3)
    assert counter(meter, "acme", "api_calls") == 910


@pytest.mark.sqlite_only("its starting state is a version-1 SQLite file")
def test_the_migration_runs_once_and_keeps_every_row(meter, tmp_path):
    shutil.copy(FIXTURES / "v1-identity.db", meter.db)
    before = sqlite3.connect(meter.db).execute("SELECT seq, id FROM events ORDER BY seq").fetchall()
    meter("init", check=True)
    db = sqlite3.connect(meter.db)
    after = db.execute("SELECT seq, id, source FROM events ORDER BY seq").fetchall()
    assert [(s, i) for s, i, _ in after] == before and all(src == "" for _, _, src in after)
    assert db.execute("SELECT last_seq FROM events_legacy_identity").fetchall() == [(before[-1][0],)]
    db.close()
