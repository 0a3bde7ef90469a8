"""Security tests (issue 8 item 6).

* Hostile ids (SQL fragments, LIKE wildcards, quotes, unicode, control
  characters, very long strings) through every command that takes an id:
  each behaves exactly as for a plain unknown id (same exit code, one clear
  stderr line, same output shape), or is stored as a literal where it is a
  legal value; afterwards every table still exists with the row counts
  expected (read with Python's own sqlite3).
* Catalog text that meter's aggregate SQL carries as literals (event names,
  where values, property paths) cannot change what is counted.
* The database file is created 0600, also under umask 000.
* Webhook secrets appear in no output of a realistic session except those of
  `webhooks add` and `webhooks list --show-secrets` (SPEC section 8).
"""
import json
import os
import re
import stat
import subprocess
import time

import pytest

from conftest import METER_BIN, SAMPLE_DIR
import faultkit as fk

NOW = "2026-03-02T00:00:00Z"
UNKNOWN = "nosuchthing"
HOSTILE = [
    "x'; DROP TABLE events;--",
    '" OR 1=1 --',
    "acme' OR '1'='1",
    "%",
    "_",
    "acm%",
    "acm_",
    "*",
    "租户-ünïcødé-🚀",
    "tab\there\x01\x1b[31mred\x7f",
    "a" * 100_000,
    "x\\'); DELETE FROM tenants; --",
]


def run(db, *args, json_out=False, stdin=None, cwd=None, timeout=120, preexec=None):
    argv = [METER_BIN, "--db", str(db), "--now", NOW] + (["--json"] if json_out else []) + [str(a) for a in args]
    env = {k: v for k, v in os.environ.items() if k not in ("METER_NOW", "METER_DB")}
    env["NO_COLOR"] = "1"
    return subprocess.run(argv, capture_output=True, text=True, input=stdin, timeout=timeout, env=env, cwd=cwd,
                          preexec_fn=preexec, errors="replace")


@pytest.fixture(scope="module")
def populated(tmp_path_factory):
    """Sample catalog, February's usage, aggregated, invoiced (finalized), an
    alert scan, a rate-limit bucket and a reservation: every table has rows."""
    d = tmp_path_factory.mktemp("security")
    db = d / "base.db"
    assert run(db, "init", "--catalog", SAMPLE_DIR / "catalog.json").returncode == 0
    assert run(db, "ingest", SAMPLE_DIR / "usage-2026-02.ndjson", "--rejects", d / "rejects").returncode == 65
    for args in (["aggregate"], ["alerts", "scan"], ["invoice", "generate", "--period", "2026-02", "--finalize"],
                 ["limit", "take", "--tenant", "acme"],
                 ["quota", "reserve", "--tenant", "acme", "--metric", "api_calls", "--id", "res-0"]):
        r = run(db, *args)
        assert r.returncode == 0, (args, r.stderr)
    return db


@pytest.fixture
def db(populated, tmp_path):
    copy = tmp_path / "m.db"
    fk.copy_db(populated, copy)
    return copy


def one_line(r):
    lines = [x for x in r.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("meter: "), r.stderr[:3000]
    for bad in ("Traceback", "terminate called", "internal error", "syntax error", "unrecognized token"):
        assert bad not in lines[0], lines[0][:3000]


def shape(value):
    """The JSON document with every string and number blanked: keys, types
    and list lengths only (an echoed id must not count as a difference)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(v) for v in value]
    return type(value).__name__


# Every command that takes an id (SPEC section 3 and `meter --help`), with
# {id} where the id goes. Option values use --opt=value so that no value is
# taken for a flag.
ID_COMMANDS = {
    # tenant ids
    "tenants show": ["tenants", "show", "{id}"],
    "tenants set-plan": ["tenants", "set-plan", "{id}", "pro"],
    "tenants suspend": ["tenants", "suspend", "{id}"],
    "tenants resume": ["tenants", "resume", "{id}"],
    "quota check --tenant": ["quota", "check", "--tenant={id}", "--metric", "api_calls"],
    "quota reserve --tenant": ["quota", "reserve", "--tenant={id}", "--metric", "api_calls", "--id", "r-1"],
    "quota status --tenant": ["quota", "status", "--tenant={id}"],
    "entitlement check --tenant": ["entitlement", "check", "--tenant={id}", "--feature", "api_access"],
    "limit take --tenant": ["limit", "take", "--tenant={id}"],
    "limit status --tenant": ["limit", "status", "--tenant={id}"],
    "limit reset --tenant": ["limit", "reset", "--tenant={id}"],
    "alerts list --tenant": ["alerts", "list", "--tenant={id}"],
    "invoice generate --tenant": ["invoice", "generate", "--period", "2026-02", "--tenant={id}"],
    "invoice list --tenant": ["invoice", "list", "--tenant={id}"],
    "report usage --tenant": ["report", "usage", "--tenant={id}", "--period", "2026-02"],
    "report analytics --tenant": ["report", "analytics", "--tenant={id}"],
    "report trends --tenant": ["report", "trends", "--tenant={id}"],
    "forecast --tenant": ["forecast", "--tenant={id}"],
    "recommend --tenant": ["recommend", "--tenant={id}"],
    "webhooks add --tenant": ["webhooks", "add", "--url", "http://127.0.0.1:9/h", "--tenant={id}"],
    "tenants apply-coupon": ["tenants", "apply-coupon", "{id}", "WELCOME50"],
    "credits grant --tenant": ["credits", "grant", "--tenant={id}", "--amount", "5"],
    "credits list --tenant": ["credits", "list", "--tenant={id}"],
    "credits balance --tenant": ["credits", "balance", "--tenant={id}"],
    "credits ledger --tenant": ["credits", "ledger", "--tenant={id}"],
    "credit-notes list --tenant": ["credit-notes", "list", "--tenant={id}"],
    # coupon codes, credit grants, credit notes
    "tenants apply-coupon CODE": ["tenants", "apply-coupon", "acme", "{id}"],
    "tenants remove-coupon CODE": ["tenants", "remove-coupon", "acme", "{id}"],
    "credits void": ["credits", "void", "{id}"],
    "credit-notes show": ["credit-notes", "show", "{id}"],
    "invoice credit": ["invoice", "credit", "{id}", "--amount", "1", "--reason", "test"],
    # meter / metric names, features, bucket keys, plans
    "quota check --metric": ["quota", "check", "--tenant", "acme", "--metric={id}"],
    "quota reserve --metric": ["quota", "reserve", "--tenant", "acme", "--metric={id}", "--id", "r-2"],
    "entitlement check --feature": ["entitlement", "check", "--tenant", "acme", "--feature={id}"],
    "limit reset --key": ["limit", "reset", "--tenant", "acme", "--key={id}"],
    "tenants set-plan PLAN": ["tenants", "set-plan", "acme", "{id}"],
    "tenants add --plan": ["tenants", "add", "newco", "--plan={id}"],
    # invoice ids and periods
    "invoice show": ["invoice", "show", "{id}"],
    "invoice show --explain": ["invoice", "show", "{id}", "--explain"],
    "invoice finalize": ["invoice", "finalize", "{id}"],
    "invoice mark-paid": ["invoice", "mark-paid", "{id}"],
    "invoice void": ["invoice", "void", "{id}", "--reason", "test"],
    "invoice delete": ["invoice", "delete", "{id}"],
    "invoice generate --period": ["invoice", "generate", "--period={id}"],
    "invoice list --period": ["invoice", "list", "--period={id}"],
    "report usage --period": ["report", "usage", "--period={id}"],
    # webhook endpoint, delivery and message ids
    "webhooks remove": ["webhooks", "remove", "{id}"],
    "webhooks disable": ["webhooks", "disable", "{id}"],
    "webhooks enable": ["webhooks", "enable", "{id}"],
    "webhooks rotate-secret": ["webhooks", "rotate-secret", "{id}"],
    "webhooks send-test --endpoint": ["webhooks", "send-test", "--endpoint={id}"],
    "webhooks deliveries --endpoint": ["webhooks", "deliveries", "--endpoint={id}"],
    "webhooks retry": ["webhooks", "retry", "{id}"],
    "webhooks resend --event": ["webhooks", "resend", "--event={id}"],
    # other values: amounts, costs, times, event types, URLs
    "quota check --amount": ["quota", "check", "--tenant", "acme", "--metric", "api_calls", "--amount={id}"],
    "limit take --cost": ["limit", "take", "--tenant", "acme", "--cost={id}"],
    "limit take --per": ["limit", "take", "--tenant", "acme", "--capacity", "5", "--refill", "1", "--per={id}"],
    "aggregate --from": ["aggregate", "--from={id}"],
    "report analytics --from": ["report", "analytics", "--from={id}"],
    "tenants set-plan --effective": ["tenants", "set-plan", "acme", "pro", "--effective={id}"],
    "invoice mark-paid --paid-at": ["invoice", "mark-paid", "INV-2026-000001", "--paid-at={id}"],
    "webhooks resend --since": ["webhooks", "resend", "--since={id}"],
    "webhooks add --url": ["webhooks", "add", "--url={id}"],
    "--now": ["--now={id}", "quota", "status"],
}


@pytest.mark.parametrize("name", ID_COMMANDS)
def test_hostile_ids_behave_as_unknown_ids(db, name):
    before = fk.table_counts(db)
    template = ID_COMMANDS[name]
    fill = lambda v: [a.replace("{id}", v) for a in template]
    plain = run(db, *fill(UNKNOWN), json_out=True)
    if plain.returncode != 0:
        one_line(plain)
    after_plain = fk.table_counts(db)
    for value in HOSTILE:
        r = run(db, *fill(value), json_out=True)
        label = f"{name} with {value[:60]!r}"
        assert r.returncode == plain.returncode, (label, r.returncode, r.stderr[:2000], plain.stderr)
        if r.returncode != 0:
            one_line(r)
        elif plain.stdout.strip():
            assert shape(json.loads(r.stdout)) == shape(json.loads(plain.stdout)), label
        assert fk.table_counts(db) == after_plain, f"{label} changed the database"
    assert fk.tables(db) == sorted(before), "a table disappeared"
    assert fk.integrity(db) == "ok"


def test_hostile_tenant_ids_in_a_catalog_file(db, tmp_path):
    """catalog apply takes ids from a file: refused as a whole with one clear
    line (database unchanged), or stored as literals."""
    for value in HOSTILE:
        before = fk.table_counts(db)
        catalog = fk.sample_catalog()
        catalog["tenants"].append({"id": value, "name": value, "plan": "pro"})
        path = tmp_path / "hostile-catalog.json"
        path.write_text(json.dumps(catalog))
        r = run(db, "catalog", "apply", path)
        if r.returncode != 0:
            assert r.returncode in (2, 65), r
            one_line(r)
            assert fk.table_counts(db) == before, value[:60]
            continue
        listed = [t["id"] for t in json.loads(run(db, "tenants", "list", json_out=True).stdout)["tenants"]]
        assert listed.count(value) == 1, value[:60]
        assert fk.tables(db) == sorted(before)


def test_like_wildcards_match_nothing_but_themselves(db):
    """'%' and '_' are literals: a filter of '%' is not 'every tenant'."""
    assert len(run(db, "invoice", "list", json_out=True).stdout) > 100
    for wild in ("%", "_", "%acme%", "acm_"):
        r = run(db, "invoice", "list", f"--tenant={wild}", json_out=True)
        assert r.returncode in (0, 2)
        if r.returncode == 0:
            assert json.loads(r.stdout)["invoices"] == [], wild
    # A bucket key of '%' resets that bucket only.
    for key in ("a", "b", "%"):
        assert run(db, "limit", "take", "--tenant", "acme", f"--key={key}", "--cost", "50").returncode == 0
    assert run(db, "limit", "reset", "--tenant", "acme", "--key=%").returncode == 0
    buckets = json.loads(run(db, "limit", "status", "--tenant", "acme", json_out=True).stdout)["buckets"]
    tokens = {b["key"]: b["tokens"] for b in buckets}
    assert "%" not in tokens, tokens  # reset: the bucket is gone, full again
    assert tokens["a"] < 60 and tokens["b"] < 60, f"reset of key '%' also reset other keys: {tokens}"


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_tenant_id_is_a_literal_when_added(db, value):
    before = fk.table_counts(db)
    r = run(db, "tenants", "add", value, "--plan", "pro")
    if r.returncode != 0:  # refused as an invalid id: one clear line, nothing written
        assert r.returncode == 2, r
        one_line(r)
        assert fk.table_counts(db) == before
        return
    listed = [t["id"] for t in json.loads(run(db, "tenants", "list", json_out=True).stdout)["tenants"]]
    assert listed.count(value) == 1 and len(listed) == len(fk.sample_catalog()["tenants"]) + 1
    assert run(db, "tenants", "show", value).returncode == 0
    q = run(db, "quota", "check", f"--tenant={value}", "--metric", "api_calls", json_out=True)
    assert q.returncode == 0 and json.loads(q.stdout)["tenant"] == value
    after = fk.table_counts(db)
    assert after["tenants"] == before["tenants"] + 1 and after["events"] == before["events"]


@pytest.mark.parametrize("value", HOSTILE[:10])
def test_hostile_reservation_id_and_bucket_key_are_literals(db, value):
    before = fk.table_counts(db)
    args = ["quota", "reserve", "--tenant", "acme", "--metric", "api_calls", "--amount", "3", f"--id={value}"]
    first, again = run(db, *args, json_out=True), run(db, *args, json_out=True)
    assert first.returncode == 0 and again.returncode == 0, (first.stderr, again.stderr)
    a, b = json.loads(first.stdout), json.loads(again.stdout)
    assert b.pop("replayed") is True and a.pop("replayed") is False
    assert a == b  # idempotent by the literal id
    take = run(db, "limit", "take", "--tenant", "acme", f"--key={value}", json_out=True)
    assert take.returncode == 0, take.stderr
    after = fk.table_counts(db)
    assert after["quota_reservations"] == before["quota_reservations"] + 1
    assert after["rate_buckets"] == before["rate_buckets"] + 1
    assert fk.tables(db) == sorted(before)


def test_hostile_values_inside_usage_records(db, tmp_path):
    good = {"tenant": "acme", "metric": "api_calls", "timestamp": "2026-02-10T10:00:00Z"}
    records = []
    for i, value in enumerate(HOSTILE[:10]):
        records.append(dict(good, id=value))                       # a legal id: stored literally
        records.append(dict(good, id=f"t{i}", tenant=value))       # unknown tenant: rejected
        records.append(dict(good, id=f"m{i}", metric=value))       # unknown metric: rejected
        records.append(dict(good, id=f"u{i}", user=value, operation=value, properties={value: value}))
    path = tmp_path / "hostile.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    before = fk.table_counts(db)
    r = run(db, "--json", "ingest", path, "--rejects", tmp_path / "rejects")
    assert r.returncode == 65, r.stderr
    summary = json.loads(r.stdout)
    assert (summary["accepted"], summary["rejected"]) == (20, 20), summary
    with fk.reading(db) as c:
        for value in HOSTILE[:10]:
            assert c.execute("SELECT count(*) FROM events WHERE id=?", (value,)).fetchone()[0] == 1
    again = json.loads(run(db, "--json", "ingest", path, "--rejects", tmp_path / "rejects2").stdout)
    assert (again["accepted"], again["duplicates"]) == (0, 20)
    assert fk.table_counts(db)["events"] == before["events"] + 20
    assert run(db, "aggregate").returncode == 0
    assert run(db, "aggregate", "--verify").returncode == 0


def test_catalog_text_in_aggregate_sql_is_only_a_literal(tmp_path):
    """Event names and where values reach the roll-up SQL as quoted
    literals (lib/store/rollup_store.cc Quote); quotes, SQL and a NUL in them
    must match only events that carry exactly that text."""
    nul = "a\u0000' OR 1=1 --"
    catalog = {
        "currency": "USD",
        "meters": [
            {"key": "api_calls"},
            {"key": "quoted_where", "event": "api_calls", "where": {"operation": "x' OR '1'='1"},
             "aggregation": "count"},
            {"key": "sql_event", "event": "x') OR 1=1 --", "aggregation": "count"},
            {"key": "nul_where", "event": "api_calls", "where": {"user": nul}, "aggregation": "count"},
            {"key": "odd_property", "event": "api_calls", "aggregation": "sum", "value": "properties.x'y)"},
        ],
        "plans": [{"key": "pro", "base_price": "1.00"}],
        "tenants": [{"id": "acme", "plan": "pro"}],
    }
    db = tmp_path / "m.db"
    (tmp_path / "c.json").write_text(json.dumps(catalog))
    assert run(db, "init", "--catalog", tmp_path / "c.json").returncode == 0
    ev = lambda i, **kw: dict({"id": f"e{i}", "tenant": "acme", "metric": "api_calls",
                               "timestamp": "2026-02-03T10:00:00Z", "user": "u", "operation": "op"}, **kw)
    records = [ev(i, properties={"x'y)": 2}) for i in range(5)]
    records += [ev(10, operation="x' OR '1'='1"), ev(11, user=nul), ev(12, user=nul)]
    (tmp_path / "e.ndjson").write_text("".join(json.dumps(r) + "\n" for r in records))
    assert run(db, "ingest", tmp_path / "e.ndjson").returncode == 0
    r = run(db, "aggregate")
    assert r.returncode == 0, r.stderr
    v = run(db, "aggregate", "--verify")
    assert v.returncode == 0, v.stdout + v.stderr
    rows = json.loads(run(db, "report", "usage", "--period", "2026-02", json_out=True).stdout)["rows"]
    got = {row["meter"]: row["quantity"] for row in rows}
    assert got.get("quoted_where") == 1 and got.get("nul_where") == 2, got
    assert "sql_event" not in got and got.get("api_calls") == 8 and got.get("odd_property") == 10, got


# ---- the database file's mode ----

@pytest.mark.parametrize("umask", [0o022, 0o000])
@pytest.mark.parametrize("args", [["init"], ["init", "--catalog", "{catalog}"], ["catalog", "apply", "{catalog}"]])
def test_database_is_created_0600(tmp_path, umask, args):
    db = tmp_path / "new.db"
    argv = [a.replace("{catalog}", str(SAMPLE_DIR / "catalog.json")) for a in args]
    r = run(db, *argv, preexec=lambda: os.umask(umask))
    assert r.returncode == 0, r.stderr
    assert stat.S_IMODE(os.stat(db).st_mode) == 0o600


def test_wal_and_shm_files_are_0600_too(tmp_path):
    db = tmp_path / "m.db"
    assert run(db, "init", "--catalog", SAMPLE_DIR / "catalog.json", preexec=lambda: os.umask(0)).returncode == 0
    # ingest from stdin holds the database open while the test looks.
    argv = [METER_BIN, "--db", str(db), "--now", NOW, "ingest", "-", "--rejects", str(tmp_path / "r")]
    p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         preexec_fn=lambda: os.umask(0), cwd=tmp_path)
    try:
        p.stdin.write(b'{"tenant":"acme","metric":"api_calls","timestamp":"2026-02-10T10:00:00Z"}\n')
        p.stdin.flush()
        deadline = time.time() + 20
        while not (os.path.exists(f"{db}-wal") and os.path.exists(f"{db}-shm")):
            assert time.time() < deadline, "no -wal/-shm appeared"
            time.sleep(0.02)
        for suffix in ("-wal", "-shm"):
            assert stat.S_IMODE(os.stat(f"{db}{suffix}").st_mode) == 0o600, suffix
    finally:
        p.stdin.close()
        p.wait(timeout=30)
    assert p.returncode == 0


# ---- webhook secrets stay out of outputs ----

SECRET_CATALOG = "whsec_" + "Q2F0YWxvZ1NlY3JldEtleUZvclRlc3RzMDAwMDAwMDA="
SECRET_ADDED = "whsec_" + "QWRkZWRTZWNyZXRLZXlGb3JUZXN0czAwMDAwMDAwMDA="
SECRET_ROTATED = "whsec_" + "Um90YXRlZFNlY3JldEtleUZvclRlc3RzMDAwMDAwMDA="


class Session:
    """Runs commands on one database and keeps every output for the grep."""

    def __init__(self, db, cwd):
        self.db, self.cwd, self.outputs = db, cwd, []

    def __call__(self, *args, allowed=False, json_out=False, code=None):
        r = run(self.db, *args, json_out=json_out, cwd=self.cwd)
        if code is not None:
            assert r.returncode == code, (args, r.stderr)
        if not allowed:
            self.outputs.append((" ".join(map(str, args))[:200], r.stdout + r.stderr))
        return r

    def error(self, *args):
        """A command that must fail; its output is searched like any other."""
        r = self(*args)
        assert r.returncode != 0, (args, r.stdout)
        return r


def test_webhook_secrets_appear_only_where_the_spec_allows(tmp_path):
    rec = fk.Receiver(tmp_path / "receiver.jsonl")
    try:
        catalog = fk.sample_catalog()
        catalog["webhooks"] = [dict(catalog["webhooks"][0], url=rec.url(), secret=SECRET_CATALOG)]
        (tmp_path / "catalog.json").write_text(json.dumps(catalog))
        s = Session(tmp_path / "m.db", tmp_path)
        secrets = secret_session(s, tmp_path, rec)
    finally:
        rec.stop()
    files = [tmp_path / "dash.html", tmp_path / "inv.html", tmp_path / "receiver.jsonl", tmp_path / "rejects"]
    texts = s.outputs + [(str(f), f.read_text(errors="replace")) for f in files if f.exists()]
    assert len(texts) > 40
    for secret in secrets:
        key = secret[len("whsec_"):]
        for where, text in texts:
            assert key not in text, f"a webhook secret appears in the output of: {where}"


def secret_session(s, tmp, rec):
    """A realistic session; returns every secret that came into play."""
    s("init", "--catalog", tmp / "catalog.json", code=0)
    added = s("--json", "webhooks", "add", "--url", rec.url("/second"), "--secret", SECRET_ADDED,
              allowed=True, code=0)
    generated = json.loads(s("--json", "webhooks", "add", "--url", rec.url("/third"), allowed=True,
                             code=0).stdout)["secret"]
    assert SECRET_ADDED in added.stdout and generated.startswith("whsec_")
    shown = s("webhooks", "list", "--show-secrets", allowed=True, code=0).stdout
    assert SECRET_CATALOG in shown and SECRET_ADDED in shown and generated in shown
    s("ingest", SAMPLE_DIR / "usage-2026-02.ndjson", "--rejects", tmp / "rejects", code=65)
    for args in (["aggregate"], ["alerts", "scan"], ["invoice", "generate", "--period", "2026-02", "--finalize"],
                 ["webhooks", "send-test", "--endpoint", "1"], ["webhooks", "replay", "--dry-run"],
                 ["webhooks", "replay", "--concurrency", "4"]):
        s(*args, code=0)
        s(*args, json_out=True)
    s("webhooks", "rotate-secret", "2", "--secret", SECRET_ROTATED, code=0)
    s("webhooks", "rotate-secret", "2", "--secret", SECRET_ROTATED, json_out=True)
    s("webhooks", "send-test", "--endpoint", "2", code=0)
    s("webhooks", "replay", code=0)
    for args in (["catalog", "show"], ["webhooks", "list"], ["webhooks", "list", "--format", "csv"],
                 ["webhooks", "deliveries"], ["webhooks", "deliveries", "--status", "delivered"],
                 ["tenants", "list"], ["tenants", "show", "acme"], ["alerts", "list"], ["invoice", "list"],
                 ["invoice", "show", "INV-2026-000001", "--format", "json"], ["quota", "status"],
                 ["report", "usage", "--period", "2026-02"], ["forecast"], ["recommend"],
                 ["simulate", "--catalog", tmp / "catalog.json", "--period", "2026-02"],
                 ["webhooks", "resend", "--since", "2026-01-01T00:00:00Z"], ["webhooks", "retry", "--failed"],
                 ["catalog", "apply", tmp / "catalog.json"]):
        s(*args)
        s(*args, json_out=True)
    s("invoice", "show", "INV-2026-000001", "--format", "html", "--out", tmp / "inv.html", code=0)
    s("report", "dashboard", "--out", tmp / "dash.html", "--period", "2026-02", code=0)
    # Error paths that carry a secret in their arguments or the catalog.
    s.error("webhooks", "rotate-secret", "999", "--secret", SECRET_ROTATED)
    bad = fk.sample_catalog()
    bad["webhooks"] = [dict(bad["webhooks"][0], url="gopher://x", secret=SECRET_CATALOG)]
    (tmp / "bad.json").write_text(json.dumps(bad))
    s.error("catalog", "apply", tmp / "bad.json")
    for secret in (SECRET_CATALOG, SECRET_ADDED, SECRET_ROTATED):
        s.error("webhooks", "add", "--url", "gopher://127.0.0.1:9/x", "--secret", secret)
        s.error("webhooks", "add", "--url", "http://127.0.0.1:9/x", "--secret", secret, "--tenant", "nosuch")
    return [SECRET_CATALOG, SECRET_ADDED, SECRET_ROTATED, generated]


# ---- SQL text is never built from values ----

LIB = SAMPLE_DIR.parent / "lib"
SQL_WORDS = ("SELECT ", "INSERT ", "UPDATE ", "DELETE FROM", "CREATE TABLE")


def test_sql_lives_only_in_lib_store():
    for path in sorted(LIB.rglob("*.cc")) + sorted((SAMPLE_DIR.parent / "apps").rglob("*.cc")):
        if path.parent.name == "store":
            continue
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("//")[0]
            assert not any(f'"{w}' in code for w in SQL_WORDS), f"SQL outside lib/store: {path}:{n}: {line.strip()}"


def test_store_builds_no_sql_literal_from_values():
    """Values reach SQL as bound parameters. The one exception is roll-up SQL
    from catalog text, which goes through rollup_store.cc's Quote(); a quote
    character glued to a variable anywhere else is a hand-made literal."""
    sql_word = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE|WHERE|VALUES|SET|AND|OR|IN|LIKE|GLOB)\b")
    glued = re.compile(r"""'"\s*\+\s*[A-Za-z_]|[A-Za-z_)]\s*\+\s*"'|'\{\}'""")
    found = []
    for path in sorted((LIB / "store").glob("*.cc")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("//")[0]
            if glued.search(code) and sql_word.search(code):
                found.append(f"{path.name}:{n}: {line.strip()}")
    assert not found, "SQL text built from values:\n" + "\n".join(found)
