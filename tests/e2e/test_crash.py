"""Crash tests (issue 8 item 3): `kill -9` a writing command at a random
moment, run it again to completion, and compare the database with an
uninterrupted run of the same command on a copy of the same starting state.
Odd rounds also kill the first re-run (a crash while recovering).

Commands: `meter ingest` (into a fresh database, and of late usage after
February was invoiced: billed once on March's invoices), `meter aggregate`,
`meter invoice generate --finalize` (plain, and with coupons and prepaid
credits in use: all of a finalization or none of it) and `meter webhooks
replay` (against
tests/support/receiver.py on 127.0.0.1). The data is big enough (METER_CRASH_EVENTS events over
METER_CRASH_TENANTS tenants) that each command runs for a while, and the kill
lands at a random time within the uninterrupted run's duration.

Each test runs on both backends (the `backend` fixture). The starting states
are SQLite files; on PostgreSQL each is moved once by `meter db copy` into a
database of its own on the test server, and every run (the uninterrupted
one, each round) gets a copy of it made by the server (CREATE DATABASE ...
TEMPLATE). A kill there drops the client's connection mid-transaction: the
server must roll all of it back.

METER_CRASH_ROUNDS (default 2) rounds per command; METER_CRASH_SEED replays
a run (the seed is printed at the start and in every failure message).
scripts/crash-test.sh runs this file with 20 rounds.
"""
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid

import pytest

import counters
from conftest import METER_BIN
import faultkit as fk

ROUNDS = int(os.environ.get("METER_CRASH_ROUNDS", "2"))
SEED = int(os.environ.get("METER_CRASH_SEED") or random.SystemRandom().randrange(1, 1 << 31))
# The PostgreSQL pass alone (ctest's e2e.crash.pg) takes half the data: each
# command runs two to five times longer there, so its kills still land
# mid-run, and the pass stays within its time.
_PG_PASS = os.environ.get("METER_TEST_PASS") == "postgresql"
EVENTS = int(os.environ.get("METER_CRASH_EVENTS", "30000" if _PG_PASS else "60000"))
TENANTS = int(os.environ.get("METER_CRASH_TENANTS", "150" if _PG_PASS else "300"))
NOW = "2026-03-02T00:00:00Z"
PERIOD = "2026-02"
BATCH = "5000"  # ingest commits every 5,000 records, so a kill leaves some batches in

# Columns that hold a clock reading or an insertion sequence: they differ
# between any two runs, killed or not.
VOLATILE = {"seq", "ingested_at", "created_at", "updated_at", "finalized_at", "applied_at",
            "delivered_at", "paid_at", "next_attempt_at", "lease_owner", "lease_until", "started_at", "duration_ms",
            "recorded_at"}

print(f"crash tests: seed {SEED} (METER_CRASH_SEED={SEED} replays), {ROUNDS} round(s) per command",
      file=sys.stderr)


def run(db, *args, now=NOW, check_code=None, timeout=300):
    argv = [METER_BIN, "--db", str(db)] + (["--now", now] if now else []) + [str(a) for a in args]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=_env())
    if check_code is not None:
        assert p.returncode == check_code, (argv, p.returncode, p.stderr[-2000:], f"seed {SEED}")
    return p


def _env():
    env = dict(os.environ)
    for k in ("METER_NOW", "METER_DB"):
        env.pop(k, None)
    env["NO_COLOR"] = "1"
    return env


def strip_clock(value):
    """A JSON value with every clock reading replaced by whether it is set."""
    if isinstance(value, dict):
        return {k: (v is not None) if k in VOLATILE or k.endswith("_at") else strip_clock(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [strip_clock(v) for v in value]
    return value


def kill_at_random(db, args, seconds, rng, now=NOW):
    """Starts `meter args` on `db`, SIGKILLs it after a random delay within
    `seconds` (its uninterrupted run time); returns the delay and whether the
    kill landed before the command finished."""
    argv = [METER_BIN, "--db", str(db)] + (["--now", now] if now else []) + [str(a) for a in args]
    # Within 90 % of the uninterrupted time: runs vary, and a kill after the
    # end tests nothing.
    delay = rng.uniform(0.01, max(0.9 * seconds, 0.02))
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=_env())
    try:
        p.wait(timeout=delay)
        return delay, False
    except subprocess.TimeoutExpired:
        os.kill(p.pid, signal.SIGKILL)
        p.wait(timeout=30)
        return delay, True


class SqliteCopies:
    """Each run's database: a copy of the starting state's file."""

    def __init__(self, world):
        self.dir = world["dir"]

    def clone(self, base, name):
        db = self.dir / f"{name}.db"
        fk.copy_db(base, db)
        return db

    def drop(self, db):
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(f"{db}{suffix}"):
                os.remove(f"{db}{suffix}")

    def intact(self, db):
        return fk.integrity(db) == "ok"


class PgCopies:
    """Each run's database: a PostgreSQL database made by the server from a
    template holding the starting state (in schema `m`), which `meter db
    copy` filled once from the state's SQLite file. Every database made is
    dropped at the module's end (`drop_all`), a passing round's at once."""

    def __init__(self, server_url):
        self.server = server_url
        self.templates = {}  # starting state's file -> template database
        self.made = []

    def url(self, database):
        parts = urllib.parse.urlsplit(self.server)
        query = "&".join(x for x in (parts.query, "schema=m") if x)
        return urllib.parse.urlunsplit(parts._replace(path="/" + database, query=query))

    def _admin(self, sql):
        import psycopg2
        conn = psycopg2.connect(self.server)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                cur.execute(sql)
        finally:
            conn.close()

    def _create(self, label, template=None):
        name = f"crash_{label.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        self._admin(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        self.made.append(name)
        return name

    def clone(self, base, name):
        if base not in self.templates:
            template = self._create("template")
            p = subprocess.run([METER_BIN, "db", "copy", "--from", str(base), "--to", self.url(template)],
                               capture_output=True, text=True, timeout=300, env=_env())
            assert p.returncode == 0, (base, p.stderr[-2000:])
            self.templates[base] = template
        return self.url(self._create(name, self.templates[base]))

    def drop(self, db):
        name = urllib.parse.urlsplit(str(db)).path.lstrip("/")
        self._admin(f"DROP DATABASE IF EXISTS {name}")
        self.made.remove(name)

    def drop_all(self):
        for name in self.made:
            self._admin(f"DROP DATABASE IF EXISTS {name}")
        self.made.clear()

    def intact(self, db):
        check = run(db, "--json", "db", "check", now=None)
        return check.returncode == 0 and json.loads(check.stdout)["ok"]


@pytest.fixture(scope="module")
def pg_copies():
    """The module's PgCopies, made by the first test on PostgreSQL."""
    holder = []
    yield holder
    for copies in holder:
        copies.drop_all()


@pytest.fixture
def copies(backend, world, request, pg_copies):
    if backend != "postgresql":
        return SqliteCopies(world)
    if not pg_copies:
        pg_copies.append(PgCopies(request.getfixturevalue("pg_server").url))
    return pg_copies[0]


def timed(db, *args, now=NOW, code=0):
    t0 = time.monotonic()
    run(db, *args, now=now, check_code=code)
    return time.monotonic() - t0


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Starting states built once: `fresh` (catalog applied), `ingested`
    (events in) and `invoiced` (February finalized: two webhook messages per
    tenant pending for the receiver on `port`)."""
    d = tmp_path_factory.mktemp("crash")
    port = fk.free_port()
    catalog = d / "catalog.json"
    catalog.write_text(json.dumps(fk.big_catalog(TENANTS, f"http://127.0.0.1:{port}/hooks")))
    tenant_ids = [t["id"] for t in json.loads(catalog.read_text())["tenants"]]
    events = d / "events.ndjson"
    fk.write_events(events, tenant_ids, EVENTS, seed=SEED % 1000, bad_every=997, dup_every=503)
    fresh, ingested, invoiced = d / "fresh.db", d / "ingested.db", d / "invoiced.db"
    run(fresh, "init", "--catalog", catalog, check_code=0)
    fk.copy_db(fresh, ingested)
    run(ingested, "ingest", events, "--batch-size", BATCH, "--rejects", d / "rejects", check_code=65)
    fk.copy_db(ingested, invoiced)
    run(invoiced, "invoice", "generate", "--period", PERIOD, "--finalize", check_code=0)
    late = d / "late.ndjson"  # more February usage, after February was invoiced
    fk.write_events(late, tenant_ids, max(EVENTS // 3, 1000), seed=SEED % 1000 + 1000)
    return {"dir": d, "port": port, "events": events, "fresh": fresh, "ingested": ingested, "invoiced": invoiced,
            "late": late}


def rounds(copies, name, base, command, compare, now=NOW, code=0, rerun=None, around=None):
    """The uninterrupted reference, then ROUNDS kill-and-rerun rounds, each
    compared with it. `around(label)` is a context for each run (a receiver).
    Returns the reference's database."""
    rng = random.Random(f"{SEED}-{name}")
    ref = copies.clone(base, f"{name}-ref")
    with around("ref") if around else contextlib.nullcontext():
        seconds = timed(ref, *command, now=now, code=code)
    landed = []
    for i in range(ROUNDS):
        db = copies.clone(base, f"{name}-{i}")
        with around(str(i)) if around else contextlib.nullcontext() as ctx:
            delay, killed = kill_at_random(db, command, seconds, rng, now=now)
            landed.append(killed)
            where = f"seed {SEED}, {name} round {i}: killed after {delay:.3f}s of {seconds:.3f}s"
            if i % 2:  # odd rounds kill the recovering run too
                again, _ = kill_at_random(db, rerun or command, seconds, rng, now=now)
                where += f", its re-run killed after {again:.3f}s"
            run(db, *(rerun or command), now=now, check_code=code)
            assert copies.intact(db), where
            compare(ref, db, where, ctx)
        copies.drop(db)  # a passing round's copy is not needed again
    print(f"{name}: {sum(landed)} of {ROUNDS} kills landed mid-run (uninterrupted run {seconds:.2f}s)",
          file=sys.stderr)
    return ref


def _unclocked(rows):
    """Rows with JSON text columns (an invoice's document) cleared of clock
    readings, sorted again."""
    def cell(v):
        if isinstance(v, str) and v.startswith("{"):
            return json.dumps(strip_clock(json.loads(v)), sort_keys=True)
        return v
    return sorted((tuple(cell(v) for v in row) for row in rows), key=repr)


def same_tables(ref, db, names, where):
    for t in names:
        a, b = _unclocked(fk.dump_table(ref, t, VOLATILE)), _unclocked(fk.dump_table(db, t, VOLATILE))
        assert len(a) == len(b), f"{where}: table {t} has {len(b)} rows, uninterrupted run {len(a)}"
        assert a == b, f"{where}: table {t} differs from the uninterrupted run"


def same_json(ref, db, args, where):
    a, b = run(ref, "--json", *args), run(db, "--json", *args)
    assert (a.returncode, b.returncode) == (0, 0), (where, args, a.stderr, b.stderr)
    assert strip_clock(json.loads(a.stdout)) == strip_clock(json.loads(b.stdout)), f"{where}: {args} differs"


# ---- ingest ----

def compare_ingest(ref, db, where, _):
    same_tables(ref, db, ["events", "usage_counter_days", "usage_unique_days"], where)
    same_json(ref, db, ["quota", "status"], where)
    same_json(ref, db, ["report", "usage", "--period", PERIOD], where)


def test_killed_ingest_reruns_to_the_uninterrupted_result(world, copies):
    rounds(copies, "ingest", world["fresh"],
           ["ingest", world["events"], "--batch-size", BATCH, "--rejects", world["dir"] / "ingest.rejects"],
           compare_ingest, code=65)


def compare_late_ingest(ref, db, where, _):
    """Late usage: counted once, and billed once on March's invoices as
    adjustment lines, whatever the kill interrupted."""
    same_tables(ref, db, ["events", "usage_counter_days", "usage_unique_days"], where)
    for path in (ref, db):
        if not fk.table_counts(path)["invoices"] > TENANTS:  # the reference is invoiced once
            run(path, "invoice", "generate", "--period", "2026-03", now="2026-04-02T00:00:00Z", check_code=0)
    same_tables(ref, db, ["invoices"], where)
    listed = json.loads(run(db, "--json", "invoice", "list", "--period", "2026-03",
                            now="2026-04-02T00:00:00Z", check_code=0).stdout)["invoices"]
    adjustments = [line for inv in listed for line in inv["lines"] if line.get("kind") == "adjustment"]
    assert adjustments, f"{where}: no late-usage adjustment line on March's invoices"


def test_killed_ingest_of_late_usage_bills_it_once(world, copies):
    rounds(copies, "late", world["invoiced"],
           ["ingest", world["late"], "--batch-size", "1000", "--rejects", world["dir"] / "late.rejects"],
           compare_late_ingest)


# ---- aggregate ----

def compare_aggregate(ref, db, where, _):
    same_tables(ref, db, ["usage_rollups", "usage_rollup_uniques", "usage_rollup_state"], where)
    verify = run(db, "aggregate", "--verify")
    assert verify.returncode == 0, (where, verify.stdout[-2000:], verify.stderr[-2000:])
    same_json(ref, db, ["report", "usage", "--period", PERIOD, "--by", "day"], where)


def test_killed_aggregate_reruns_to_the_uninterrupted_buckets(world, copies):
    rounds(copies, "aggregate", world["ingested"], ["aggregate"], compare_aggregate)


# ---- invoice generate ----

def compare_invoices(ref, db, where, _):
    same_tables(ref, db, ["invoices", "invoice_numbers"], where)
    listed = json.loads(run(db, "--json", "invoice", "list", "--period", PERIOD, check_code=0).stdout)["invoices"]
    assert len(listed) == TENANTS, where
    numbers = sorted(int(i["number"].rsplit("-", 1)[1]) for i in listed)
    assert numbers == list(range(1, TENANTS + 1)), f"{where}: invoice numbers have gaps or repeats"
    same_json(ref, db, ["invoice", "list", "--period", PERIOD], where)
    for inv in random.Random(where).sample(listed, 5):
        same_json(ref, db, ["invoice", "show", inv["number"], "--format", "json"], where)
    # Each transition queued its message exactly once.
    assert _messages(ref) == _messages(db), f"{where}: webhook messages differ"
    assert fk.table_counts(ref)["webhook_deliveries"] == fk.table_counts(db)["webhook_deliveries"], where


def _messages(path):
    """The queued messages, ids and clock readings left out, sorted."""
    with fk.reading(path) as c:
        rows = c.execute("SELECT type, tenant_id, data FROM webhook_messages").fetchall()
    return sorted(json.dumps(strip_clock({"type": t, "tenant": tenant, "data": json.loads(data)}), sort_keys=True)
                  for t, tenant, data in rows)


def test_killed_invoice_generate_reruns_to_the_same_invoices(world, copies):
    rounds(copies, "invoice", world["ingested"], ["invoice", "generate", "--period", PERIOD, "--finalize"],
           compare_invoices)


# ---- invoice generate with coupons and prepaid credits (SPEC 11) ----

@pytest.fixture(scope="module")
def balanced(world):
    """`ingested` with coupons in the catalog, every 5th tenant on one and
    every 3rd holding prepaid credits (two grants, one expiring)."""
    d = world["dir"]
    db = d / "balanced.db"
    fk.copy_db(world["ingested"], db)
    catalog = json.loads((d / "catalog.json").read_text())
    catalog["coupons"] = [{"code": "LAUNCH20", "percent_off": "20", "duration": "repeating", "months": 3},
                          {"code": "WELCOME50", "amount_off": "50.00", "duration": "once"}]
    catalog["credits"] = {"low_balance": "25"}
    path = d / "balanced-catalog.json"
    path.write_text(json.dumps(catalog))
    run(db, "catalog", "apply", path, check_code=0)
    for i, t in enumerate(catalog["tenants"]):
        # Coupons and grants are in the currency of the tenant's plan.
        plan = next(p for p in catalog["plans"] if p["key"] == t["plan"])
        currency = plan.get("currency", catalog["currency"])
        if i % 5 == 0:
            code = "LAUNCH20" if i % 2 or currency != "USD" else "WELCOME50"
            run(db, "tenants", "apply-coupon", t["id"], code, "--from", "2026-02-01", check_code=0)
        if i % 3 == 0:
            run(db, "credits", "grant", "--tenant", t["id"], "--amount", "40", "--id", f"a-{i}", check_code=0)
            run(db, "credits", "grant", "--tenant", t["id"], "--amount", "15" if currency in ("JPY", "KRW") else "15.50",
                "--expires", "2026-12-31", "--priority", "2", "--id", f"b-{i}", check_code=0)
    return db


def compare_balances(ref, db, where, ctx):
    compare_invoices(ref, db, where, ctx)
    same_tables(ref, db, ["credit_grants", "credit_ledger", "coupon_redemptions", "credit_accounts"], where)
    check = run(db, "--json", "db", "check")
    assert check.returncode == 0 and json.loads(check.stdout)["ok"], (where, check.stdout[-2000:], check.stderr)


def test_killed_generate_with_coupons_and_credits_applies_all_or_none(world, balanced, copies):
    ref = rounds(copies, "balances", balanced, ["invoice", "generate", "--period", PERIOD, "--finalize"],
                 compare_balances)
    with fk.reading(ref) as c:
        drawn = c.execute("SELECT count(*) FROM credit_ledger WHERE kind='draw'").fetchone()[0]
        redeemed = c.execute("SELECT count(*) FROM coupon_redemptions").fetchone()[0]
    assert drawn > 0 and redeemed > 0, "the reference run drew no credit or used no coupon: the test tests nothing"


# ---- webhooks replay ----

REPLAY = ["webhooks", "replay", "--concurrency", "8", "--timeout", "2", "--lease", "3"]


class ReceiverRound:
    """A receiver on the catalog's port for one round (its log kept per round)."""

    def __init__(self, world, label):
        self.world, self.label = world, label

    def __enter__(self):
        log = self.world["dir"] / f"receiver-{self.label}.jsonl"
        if log.exists():
            log.unlink()
        self.rec = fk.Receiver(log, port=self.world["port"], max_seconds=240)
        return self.rec

    def __exit__(self, *exc):
        self.rec.stop()
        return False


def compare_replay(ref, db, where, receiver):
    out = json.loads(run(db, "--json", "webhooks", "deliveries", now=None, check_code=0).stdout)["deliveries"]
    assert out and all(d["status"] == "delivered" for d in out), f"{where}: not every delivery delivered"
    for d in out:
        ok = [a for a in d["attempts"] if a.get("status_code") and 200 <= a["status_code"] < 300]
        assert len(ok) == 1, f"{where}: delivery {d['id']} marked delivered {len(ok)} times"
    ref_out = json.loads(run(ref, "--json", "webhooks", "deliveries", now=None, check_code=0).stdout)["deliveries"]
    key = lambda ds: sorted((d["id"], d["message_id"], d["endpoint"], d["status"]) for d in ds)
    assert key(out) == key(ref_out), f"{where}: deliveries differ from the uninterrupted run"
    seen = {r["headers"].get("webhook-id") for r in receiver.requests()}
    missing = {d["message_id"] for d in out} - seen
    assert not missing, f"{where}: the receiver never saw {len(missing)} message(s), e.g. {sorted(missing)[:3]}"


def test_killed_webhooks_replay_loses_no_message(world, copies):
    # Without --now: leases are real time, so a killed run's claims expire
    # while the re-run (--drain) waits for them.
    rounds(copies, "replay", world["invoiced"], REPLAY, compare_replay, now=None,
           rerun=REPLAY + ["--drain", "--max-wait", "60"], around=lambda label: ReceiverRound(world, label))


# ---- quota reserve ----

RESERVE_LOOPS, RESERVE_EACH, RESERVE_LIMIT = 8, 8, 48  # 64 requests of 1 against a hard limit of 48
RESERVE_CATALOG = {
    "meters": [{"key": "api_calls"}],
    "plans": [{"key": "capped", "base_price": "0",
               "limits": [{"meter": "api_calls", "limit": RESERVE_LIMIT, "period": "month", "enforcement": "hard"}]}],
    "tenants": [{"id": "capped-1", "plan": "capped"}],
}


@pytest.fixture(scope="module")
def reserve_base(world):
    db = world["dir"] / "reserve-base.db"
    catalog = world["dir"] / "reserve-catalog.json"
    catalog.write_text(json.dumps(RESERVE_CATALOG))
    run(db, "init", "--catalog", catalog, check_code=0)
    return db


def reserve_loops(db):
    """8 shell loops at once, each 8 `quota reserve`s of 1 with ids of its own
    (idempotent: a second run replays the stored decisions)."""
    loop = (f'for i in $(seq {RESERVE_EACH}); do "$METER_BIN_PATH" --db "$DB" --now {NOW} quota reserve '
            f'--tenant capped-1 --metric api_calls --amount 1 --id "r-$k-$i" >/dev/null 2>&1; done')
    script = "\n".join([f"for k in $(seq {RESERVE_LOOPS}); do ( {loop} ) & done", "wait"])
    env = dict(_env(), METER_BIN_PATH=METER_BIN, DB=str(db))
    return ["bash", "-c", script], env


def reservations_consistent(db, where):
    """All or nothing: each stored decision that allowed usage has its event,
    and the counters hold exactly that usage; never over the hard limit.
    Returns (decisions stored, allowed)."""
    with fk.reading(db) as c:
        rows = c.execute("SELECT id, allowed FROM quota_reservations").fetchall()
        events = sorted(r[0] for r in c.execute("SELECT id FROM events").fetchall())
        hours = counters.counter_rows(lambda q, p: c.execute(q, p).fetchall(),
                                      "WHERE tenant_id = 'capped-1' AND meter = 'api_calls'")
        value, count = sum(h[3] for h in hours), sum(h[4] for h in hours)
    allowed = sorted(i for i, ok in rows if ok)
    assert events == allowed, f"{where}: {len(events)} event(s) for {len(allowed)} allowed reservation(s)"
    assert (value, count) == (len(allowed) * 1_000_000, len(allowed)), f"{where}: counters {value}, {count}"
    assert len(allowed) <= RESERVE_LIMIT, f"{where}: {len(allowed)} allowed over the hard limit"
    return len(rows), len(allowed)


def test_killed_quota_reservations_are_all_or_nothing(world, reserve_base, copies):
    rng = random.Random(f"{SEED}-reserve")
    ref = copies.clone(reserve_base, "reserve-ref")
    argv, env = reserve_loops(ref)
    t0 = time.monotonic()
    subprocess.run(argv, env=env, check=True, timeout=600)
    seconds = time.monotonic() - t0
    assert reservations_consistent(ref, "uninterrupted") == (RESERVE_LOOPS * RESERVE_EACH, RESERVE_LIMIT)
    for i in range(ROUNDS):
        db = copies.clone(reserve_base, f"reserve-{i}")
        argv, env = reserve_loops(db)
        delay = rng.uniform(0.05, max(0.9 * seconds, 0.1))
        p = subprocess.Popen(argv, env=env, start_new_session=True)
        try:
            p.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)  # the loops and every meter in flight
            p.wait(timeout=30)
        where = f"seed {SEED}, reserve round {i}: killed after {delay:.3f}s of {seconds:.3f}s"
        time.sleep(0.2)  # the server notices the dropped connections and rolls them back
        reservations_consistent(db, where + " (before the re-run)")
        subprocess.run(argv, env=env, check=True, timeout=600)
        assert reservations_consistent(db, where) == (RESERVE_LOOPS * RESERVE_EACH, RESERVE_LIMIT), where
        assert copies.intact(db), where
        copies.drop(db)
    print(f"reserve: {ROUNDS} round(s) (uninterrupted run {seconds:.2f}s)", file=sys.stderr)
