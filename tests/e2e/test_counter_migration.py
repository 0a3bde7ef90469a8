"""Schema version 8 packs the counters per (tenant, meter, UTC day)
(lib/store/counter_days.h). fixtures/counters_v7 holds a version-7 database
with hourly counters, made by the meter of commit a2b929e:

  meter --db meter.db init --catalog catalog.json
  meter --db meter.db --now 2026-02-05T12:00:00Z ingest events.ndjson
  sqlite3 meter.db 'PRAGMA wal_checkpoint(TRUNCATE)'

with the figures that meter printed (quota status, quota check, report usage
by hour, day and meter: the *.json files beside it) and its hourly rows
(hourly_rows.json: usage_counters and usage_uniques, sorted). Values of the
unique_count meter hold ':' ';' '|', digits and UTF-8.

Migrated by this meter, the day rows must hold the same hours, print the
same figures, equal byte for byte the rows a fresh ingest of the same file
writes, and stay as they are when the file is ingested again (0 added).
"""
import json
import shutil
import sqlite3
from pathlib import Path

import pytest

import counters

FIXTURE = Path(__file__).parent / "fixtures" / "counters_v7"
NOW = "2026-02-05T12:00:00Z"
FIGURES = [
    ("quota_status.json", ["quota", "status"]),
    ("quota_check_users.json", ["quota", "check", "--tenant", "acme", "--metric", "users"]),
    ("usage_by_hour.json", ["report", "usage", "--period", "2026-02", "--by", "hour"]),
    ("usage_by_day.json", ["report", "usage", "--period", "2026-02", "--by", "day"]),
    ("usage_by_meter.json", ["report", "usage", "--period", "2026-02", "--by", "meter"]),
]


def assert_same_figures(meter, where):
    for name, args in FIGURES:
        r = meter(*args, json=True)
        assert r.code == 0, r
        assert r.json == json.loads((FIXTURE / name).read_text()), f"{where}: {' '.join(args)}"


def day_rows(meter):
    return (meter.sql("SELECT tenant_id, meter, day, data FROM usage_counter_days ORDER BY 1, 2, 3"),
            meter.sql("SELECT tenant_id, meter, day, data FROM usage_unique_days ORDER BY 1, 2, 3"))


@pytest.mark.sqlite_only("its starting state is a version-7 SQLite file")
def test_version7_counters_become_day_rows_with_the_same_figures(meter):
    shutil.copy(FIXTURE / "meter.db", meter.db)
    meter.now = NOW
    assert sqlite3.connect(meter.db).execute("PRAGMA user_version").fetchone()[0] == 7
    r = meter("init")  # opening an older file migrates it forward
    assert r.code == 0, r
    with sqlite3.connect(meter.db) as c:
        assert c.execute("PRAGMA user_version").fetchone()[0] == 8
        tables = {n for (n,) in c.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"usage_counter_days", "usage_unique_days"} <= tables
    assert not tables & {"usage_counters", "usage_uniques"}

    want = json.loads((FIXTURE / "hourly_rows.json").read_text())
    assert sorted(map(list, counters.counter_rows(meter.sql))) == want["counters"]
    assert sorted(map(list, counters.unique_rows(meter.sql))) == want["uniques"]
    assert_same_figures(meter, "migrated")
    migrated = day_rows(meter)

    # The same bytes as this meter's own ingest of the same events.
    fresh = type(meter)(meter.dir / "fresh")
    (meter.dir / "fresh").mkdir()
    fresh.now = NOW
    assert fresh("init", "--catalog", FIXTURE / "catalog.json").code == 0
    assert fresh("ingest", FIXTURE / "events.ndjson").code == 0
    assert day_rows(fresh) == migrated

    # Ingesting the file again adds nothing and changes no counter.
    r = meter("ingest", FIXTURE / "events.ndjson", json=True)
    assert r.code == 0, r
    assert (r.json["accepted"], r.json["duplicates"]) == (0, 402)
    assert day_rows(meter) == migrated
    assert_same_figures(meter, "re-ingested")
