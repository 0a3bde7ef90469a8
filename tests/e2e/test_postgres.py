"""The PostgreSQL backend's own promises (SPEC section 12), on the throwaway
server of the test run: which exit code and line each connection failure
gives, that no password is ever printed, and that a writer waiting on another
past the busy timeout exits 75. Everything else is the rest of the suite run
with METER_TEST_BACKENDS including postgresql."""
import time
import uuid

import pytest

from conftest import Meter, pg_schema_url

CATALOG = {
    "currency": "USD",
    "meters": [{"key": "api_calls"}],
    "plans": [{"key": "pro", "limits": [{"meter": "api_calls", "limit": 10, "period": "day"}]}],
    "tenants": [{"id": "acme", "plan": "pro"}],
}

# The class half of the writer lock's advisory key ("metr"), see pg_driver.cc.
LOCK_CLASS = 0x6D657472


@pytest.fixture
def pg(tmp_path, pg_server):
    return Meter(tmp_path, "postgresql", pg_server.url)


def server_sql(pg_server, sql, params=()):
    import psycopg2
    conn = psycopg2.connect(pg_server.url)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
    finally:
        conn.close()


def host_port(url):
    return url.split("@", 1)[1].split("/", 1)[0]


def test_unreachable_server_exits_69_naming_host_and_port(tmp_path):
    m = Meter(tmp_path)
    m.db = "postgresql://meter@127.0.0.1:1/meter?connect_timeout=5"
    start = time.monotonic()
    r = m("tenants", "list")
    assert r.code == 69, r
    assert time.monotonic() - start < 5
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("meter: ") and "127.0.0.1:1" in lines[0], r


def test_refused_login_exits_74_naming_the_user_and_never_the_password(tmp_path, pg_server):
    user = "u_" + uuid.uuid4().hex[:8]
    server_sql(pg_server, f"CREATE ROLE {user} LOGIN PASSWORD 'right-pass'")
    m = Meter(tmp_path)
    m.db = pg_server.url.replace("meter@", f"{user}:wrong-pass-123@", 1)
    r = m("tenants", "list")
    assert r.code == 74, r
    assert user in r.err and "wrong-pass-123" not in r.err + r.out
    assert len(r.err.strip().splitlines()) == 1


def test_urls_print_with_the_password_masked(pg, pg_server):
    user = "u_" + uuid.uuid4().hex[:8]
    server_sql(pg_server, f"CREATE ROLE {user} LOGIN PASSWORD 's3cret-xyz' CREATEDB")
    server_sql(pg_server, f"GRANT CREATE ON DATABASE meter TO {user}")
    pg.db = pg_schema_url(pg_server.url.replace("meter@", f"{user}:s3cret-xyz@", 1), pg.schema)
    path = pg.write("catalog.json", CATALOG)
    r = pg("init", "--catalog", path)
    assert r.code == 0, r
    assert "s3cret-xyz" not in r.out + r.err and f"{user}:***@" in r.err, r
    r = pg("init", "--catalog", path, json=True)
    assert r.json["db"].startswith(f"postgresql://{user}:***@"), r
    # A failing command names the database the same way.
    r = pg("invoice", "show", "INV-404")
    assert r.code != 0 and "s3cret-xyz" not in r.out + r.err


def test_an_empty_schema_is_a_missing_database(pg):
    r = pg("tenants", "list")
    assert r.code == 66 and "init --catalog" in r.err, r


def test_a_writer_waiting_past_the_busy_timeout_exits_75(pg, pg_server):
    import psycopg2
    pg.init(CATALOG)
    holder = psycopg2.connect(pg_server.url)
    try:
        with holder.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (LOCK_CLASS, pg.schema))
            r = pg("quota", "reserve", "--tenant", "acme", "--metric", "api_calls", "--id", "r1",
                   env={"METER_BUSY_TIMEOUT_MS": "300"})
            assert r.code == 75, r
            assert len(r.err.strip().splitlines()) == 1
        holder.rollback()
    finally:
        holder.close()
    assert pg.sql("SELECT COUNT(*) FROM quota_reservations") == [(0,)]
    r = pg("quota", "reserve", "--tenant", "acme", "--metric", "api_calls", "--id", "r1")
    assert r.code == 0, r
