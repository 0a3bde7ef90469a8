"""Acceptance tests for SPEC section 12 (PostgreSQL), written from the SPEC
alone: an unreachable server (exit 69 naming host and port, in time, password
masked), and, when $METER_TEST_PG_URL names a server, a refused login (74
naming the user), `db copy` both ways with a non-empty target refused, and
`db check`."""
import os
import re
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

from acceptance import assert_one_line_error, ev, generate, invoice_list, shop_catalog

PASSWORD = "Zq8-not-for-your-eyes"
PG_URL = os.environ.get("METER_TEST_PG_URL")
needs_server = pytest.mark.skipif(not PG_URL, reason="no PostgreSQL server ($METER_TEST_PG_URL)")


def test_unreachable_server_is_69_naming_host_and_port_and_masking_the_password(meter):
    url = f"postgresql://acct:{PASSWORD}@127.0.0.1:9/meterdb?connect_timeout=3"
    started = time.monotonic()
    r = meter("--db", url, "tenants", "list", timeout=60)
    assert time.monotonic() - started < 30
    line = assert_one_line_error(r, 69, "127.0.0.1")
    assert re.search(r"\b9\b", line), line
    assert PASSWORD not in r.out + r.err
    r = meter("tenants", "list", env={"METER_DB": url}, timeout=60)
    assert r.code == 69 and PASSWORD not in r.out + r.err, r


def _with_password(url, user, password):
    parts = urlsplit(url)
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, f"{user}:{password}@{host}", parts.path, parts.query, ""))


def _schema_url(url, schema):
    return url + ("&" if "?" in url else "?") + f"schema={schema}"


@needs_server
def test_refused_login_is_74_naming_the_user(meter):
    url = _with_password(PG_URL, "no_such_role_x", PASSWORD)
    r = meter("--db", url, "tenants", "list", timeout=60)
    assert_one_line_error(r, 74, "no_such_role_x")
    assert PASSWORD not in r.out + r.err


@needs_server
def test_a_missing_database_is_named_as_missing_not_as_a_refused_user(meter):
    # The server answered "database ... does not exist" and meter said it "refused user
    # 'meter'", pointing at the login instead of the database name.
    parts = urlsplit(PG_URL)
    url = urlunsplit(parts._replace(path="/no_such_db_x"))
    line = assert_one_line_error(meter("--db", url, "tenants", "list", timeout=60), 74, "no_such_db_x")
    assert "has no database" in line and "refused" not in line, line


@needs_server
def test_db_copy_both_ways_and_a_non_empty_target_is_refused(meter):
    meter.init(shop_catalog())
    meter.now = "2026-03-02T00:00:00Z"
    meter.ingest([ev(1, "kite", "widgets", "2026-02-10T00:00:00Z", 300)])
    inv = generate(meter, "2026-02", "kite", "--finalize")
    pg = _schema_url(PG_URL, "acc_" + uuid.uuid4().hex[:10])
    r = meter("db", "copy", "--from", meter.db, "--to", pg, timeout=120)
    assert r.code == 0, r
    assert meter("--db", pg, "invoice", "show", inv["number"], json=True).json["total"] == inv["total"]
    r = meter("db", "copy", "--from", meter.db, "--to", pg, timeout=120)
    assert r.code != 0 and r.err.startswith("meter: "), r
    back = meter.dir / "back.db"
    r = meter("db", "copy", "--from", pg, "--to", back, timeout=120)
    assert r.code == 0, r
    assert [i["total"] for i in invoice_list(meter, "--tenant", "kite")] == ["21.85"]
    assert meter("--db", back, "invoice", "show", inv["number"], json=True).json["total"] == "21.85"
    assert meter("--db", pg, "db", "check").code == 0


def test_db_copy_prints_invoice_totals_as_money(meter):
    # Regression: db copy printed the summed invoice totals as bare decimals ("16.5 USD",
    # "invoice_totals": {"USD": "16.5"}) instead of money at the minor unit.
    meter.init(shop_catalog())
    meter.now = "2026-03-02T00:00:00Z"
    meter.ingest([ev(1, "kite", "widgets", "2026-02-10T00:00:00Z", 106)])
    inv = generate(meter, "2026-02", "kite", "--finalize")     # (9.00 + 6 x 0.05) + 15 % tax = 10.70
    assert inv["total"] == "10.70"
    r = meter("db", "copy", "--from", meter.db, "--to", meter.dir / "copy.db", json=True)
    assert r.code == 0, r
    assert r.json["invoice_totals"] == {"USD": inv["total"]} and "USD" in r.err


def test_db_check_on_sqlite(meter):
    meter.init(shop_catalog())
    r = meter("db", "check")
    assert r.code == 0, r
