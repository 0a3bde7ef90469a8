"""`meter db copy` and `meter db check` (SPEC section 12): every table moves
between a SQLite file and a PostgreSQL schema in both directions with nothing
lost or changed, a target holding data is refused and left alone, identity
keys continue after the copied ones, and the integrity checks find what they
claim to find on each backend."""
import uuid

import pytest

from conftest import SAMPLE_DIR, Meter, pg_schema_url


def tables(m):
    if m.is_pg:
        rows = m.sql("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                     "AND table_type = 'BASE TABLE' AND table_name <> 'meter_schema'")
    else:
        rows = m.sql("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%'")
    return sorted(r[0] for r in rows)


def dump(m):
    """Every row of every table, each table's rows sorted, values as text."""
    out = {}
    for t in tables(m):
        rows = m.sql(f'SELECT * FROM "{t}"')
        out[t] = sorted(tuple("" if v is None else str(v) for v in row) for row in rows)
    return out


def pg_meter(tmp_path, pg_server, name="pg"):
    d = tmp_path / name
    d.mkdir()
    return Meter(d, "postgresql", pg_server.url)


@pytest.fixture
def busy_file(tmp_path):
    """A SQLite database with a row in most tables: events, roll-ups,
    finalized invoices, webhook messages, reservations, rate buckets."""
    m = Meter(tmp_path)
    m.now = "2026-03-02T00:00:00Z"
    m.init(SAMPLE_DIR / "catalog.json")
    lines = (SAMPLE_DIR / "usage-2026-02.ndjson").read_text().splitlines()[:3000]
    m.ingest(lines)  # some records are rejected on purpose
    assert m("aggregate").code == 0
    assert m("invoice", "generate", "--period", "2026-02", "--finalize").code == 0
    tenant = m.sql("SELECT id FROM tenants ORDER BY id LIMIT 1")[0][0]
    metric = m.sql("SELECT DISTINCT metric FROM events ORDER BY metric LIMIT 1")[0][0]
    m("quota", "reserve", "--tenant", tenant, "--metric", metric, "--id", "r-1", "--amount", "1")
    m("limit", "take", "--tenant", tenant, "--key", "k", "--capacity", "10", "--refill", "1", "--per", "1s")
    return m


def test_copy_moves_every_row_to_postgresql_and_back(busy_file, pg_server, tmp_path):
    pg = pg_meter(tmp_path, pg_server)
    r = busy_file("db", "copy", "--from", busy_file.db, "--to", pg.db, json=True)
    assert r.code == 0, r
    report = r.json
    source = dump(busy_file)
    assert {t["table"]: t["rows"] for t in report["tables"]} == {t: len(rows) for t, rows in source.items()}
    assert report["rows"] == sum(len(rows) for rows in source.values())
    assert report["invoice_totals"]["USD"] not in ("", "0")
    assert dump(pg) == source
    back = Meter(tmp_path / "back", "sqlite")
    (tmp_path / "back").mkdir()
    r = busy_file("db", "copy", "--from", pg.db, "--to", back.db)
    assert r.code == 0, r
    assert "row counts and invoice totals" in r.err
    assert dump(back) == source
    # The copy is a working database: the same answers from either side.
    for args in (("invoice", "list"), ("tenants", "list"), ("webhooks", "list")):
        assert pg(*args, json=True).json == busy_file(*args, json=True).json, args


def test_a_target_holding_data_is_refused_and_left_as_it_was(busy_file, pg_server, tmp_path):
    pg = pg_meter(tmp_path, pg_server)
    pg.init({"currency": "USD", "meters": [{"key": "m"}], "plans": [{"key": "p"}],
             "tenants": [{"id": "only-one", "plan": "p"}]})
    before = dump(pg)
    r = busy_file("db", "copy", "--from", busy_file.db, "--to", pg.db)
    assert r.code == 1, r
    assert r.err.startswith("meter: ") and len(r.err.strip().splitlines()) == 1 and "not empty" in r.err, r
    assert dump(pg) == before
    # A SQLite target the same way, in the other direction.
    r = busy_file("db", "copy", "--from", pg.db, "--to", busy_file.db)
    assert r.code == 1 and "not empty" in r.err, r


def test_identity_keys_continue_after_the_copied_ones(busy_file, pg_server, tmp_path):
    busy_file("webhooks", "add", "--url", "http://127.0.0.1:9/second", check=True)
    top = busy_file.sql("SELECT MAX(id) FROM webhook_endpoints")[0][0]
    pg = pg_meter(tmp_path, pg_server)
    assert busy_file("db", "copy", "--from", busy_file.db, "--to", pg.db).code == 0
    r = pg("webhooks", "add", "--url", "http://127.0.0.1:9/third")
    assert r.code == 0, r
    assert pg.sql("SELECT MAX(id) FROM webhook_endpoints") == [(top + 1,)]
    assert pg("db", "check").code == 0


def test_the_password_never_shows_in_a_copy(busy_file, pg_server, tmp_path):
    import psycopg2
    user = "u_" + uuid.uuid4().hex[:8]
    conn = psycopg2.connect(pg_server.url)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"CREATE ROLE {user} LOGIN PASSWORD 'pw-copy-secret'")
        cur.execute(f"GRANT CREATE ON DATABASE meter TO {user}")
    conn.close()
    url = pg_schema_url(pg_server.url.replace("meter@", f"{user}:pw-copy-secret@", 1), "c_" + uuid.uuid4().hex[:8])
    r = busy_file("db", "copy", "--from", busy_file.db, "--to", url, json=True)
    assert r.code == 0, r
    assert "pw-copy-secret" not in r.out + r.err
    assert r.json["to"].startswith(f"postgresql://{user}:***@")


def test_db_check_passes_and_then_names_a_missing_table(meter):
    meter.init(SAMPLE_DIR / "catalog.json")
    r = meter("db", "check", json=True)
    assert r.code == 0, r
    assert r.json["ok"] and r.json["backend"] == ("postgresql" if meter.is_pg else "sqlite")
    meter.sql("DROP TABLE usage_alerts")
    r = meter("db", "check", json=True)
    assert r.code == 1, r
    assert {"area": "backend", "subject": "usage_alerts", "message": "table is missing"} in r.json["problems"]
    assert r.err.startswith("meter: ") and "1 problem" in r.err


@pytest.mark.sqlite_only("damages the file's index pages, which only SQLite has")
def test_db_check_finds_a_damaged_sqlite_index(meter):
    meter.init(SAMPLE_DIR / "catalog.json")
    meter.now = "2026-03-02T00:00:00Z"
    tenant = meter.sql("SELECT id FROM tenants ORDER BY id LIMIT 1")[0][0]
    meter.ingest([{"id": f"e{i}", "tenant": tenant, "metric": "api_calls", "timestamp": "2026-03-01T00:00:00Z"}
                  for i in range(50)])
    assert meter.sql("SELECT COUNT(*) FROM events") == [(50,)]
    # Declare the identity index with its columns swapped: the entries on
    # disk no longer match what the index says it holds.
    import sqlite3
    db = sqlite3.connect(meter.db)
    db.execute("PRAGMA writable_schema=ON")
    db.execute("UPDATE sqlite_master SET sql = replace(sql, '(id, source)', '(source, id)') "
               "WHERE name = 'events_identity'")
    db.commit()
    db.close()
    r = meter("db", "check", json=True)
    assert r.code == 1, r
    assert any(p["subject"] == "database" and "events_identity" in p["message"] for p in r.json["problems"]), r


def test_db_check_on_postgresql_finds_a_sequence_behind_its_keys(pg_server, tmp_path):
    pg = pg_meter(tmp_path, pg_server)
    pg.init(SAMPLE_DIR / "catalog.json")
    pg("webhooks", "add", "--url", "http://127.0.0.1:9/x", check=True)
    pg.sql("SELECT setval(pg_get_serial_sequence('webhook_endpoints', 'id'), 1)")
    r = pg("db", "check", json=True)
    assert r.code == 1, r
    assert any(p["subject"] == "webhook_endpoints" and "setval" in p["message"] for p in r.json["problems"]), r
