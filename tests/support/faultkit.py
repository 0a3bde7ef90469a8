"""Helpers shared by the crash, fault and security end-to-end tests
(tests/e2e/test_crash.py, test_faults.py, test_security.py).

Everything here reads a meter database with a client independent of meter's
(Python's own sqlite3 module; psycopg2 for a PostgreSQL schema), so "the
database is intact and unchanged" is checked by a fresh process that is not
meter. Nothing here writes to a database.
"""
import calendar
import contextlib
import json
import os
import random
import shutil
import socket
import sqlite3
import time
import urllib.parse
from pathlib import Path

from receiver_proc import Receiver  # noqa: F401  (the crash, fault and security tests use fk.Receiver)

SUPPORT_DIR = Path(__file__).resolve().parent
SAMPLE_CATALOG = SUPPORT_DIR.parent.parent / "sample-data" / "catalog.json"

# The metrics the sample catalog's meters read, with a maker of each event's
# variable fields (quantity, user, operation, properties).
_OPERATIONS = ["email_analysis", "video_understanding", "audio_transcription", "text_to_speech"]


def _event_fields(rng, metric):
    if metric == "api_calls":
        return {"quantity": rng.randint(1, 40), "user": f"user_{rng.randint(1, 60)}"}
    if metric == "ai_requests":
        return {"operation": rng.choice(_OPERATIONS), "status": rng.choice(["success"] * 9 + ["failed"]),
                "latency_ms": rng.randint(20, 900), "cost": f"0.00{rng.randint(1, 9)}"}
    if metric == "llm_completion":
        return {"properties": {"tokens": rng.randint(50, 4000)}}
    return {"quantity": round(rng.uniform(1, 150), 2)}  # storage_gb snapshot


def sample_catalog():
    """The shipped sample catalog as a dict."""
    return json.loads(SAMPLE_CATALOG.read_text())


def big_catalog(n_tenants, webhook_url=None):
    """The sample catalog (its plans and meters) with `n_tenants` tenants
    spread over its plans round robin, ids "<sample id>-0001" ... and one
    webhook endpoint at `webhook_url` (none when None)."""
    c = sample_catalog()
    base = c["tenants"]
    tenants = []
    for i in range(n_tenants):
        t = {k: v for k, v in base[i % len(base)].items() if k != "overrides"}
        t["id"] = t["name"] = f"{t['id']}-{i:04d}"
        tenants.append(t)
    c["tenants"] = tenants
    c["webhooks"] = [dict(c["webhooks"][0], url=webhook_url)] if webhook_url else []
    return c


def write_events(path, tenant_ids, n, seed, month="2026-02", bad_every=0, dup_every=0):
    """Writes `n` distinct good native NDJSON events of the sample catalog's
    metrics for `tenant_ids` spread over `month` (February 2026 by default),
    plus a bad record (unknown tenant) every `bad_every` lines and a verbatim
    repeat of an earlier line every `dup_every` lines. Deterministic in
    `seed`. Returns (good, duplicates, bad)."""
    rng = random.Random(seed)
    metrics = ["api_calls"] * 5 + ["ai_requests"] * 3 + ["llm_completion"] + ["storage_gb"]
    start = calendar.timegm(time.strptime(month + "-01", "%Y-%m-%d"))
    good = dups = bad = 0
    lines = []
    with open(path, "w", encoding="utf-8") as f:
        line_no = 0
        while good < n:
            line_no += 1
            if bad_every and line_no % bad_every == 0:
                rec = {"id": f"bad_{seed}_{line_no}", "tenant": "no-such-tenant", "metric": "api_calls",
                       "timestamp": "2026-02-10T10:00:00Z"}
                text, bad = json.dumps(rec), bad + 1
            elif dup_every and line_no % dup_every == 0 and lines:
                text, dups = rng.choice(lines), dups + 1
            else:
                metric = rng.choice(metrics)
                ts = start + rng.randint(0, 27 * 86400)
                rec = {"id": f"evt_{seed}_{good}", "tenant": rng.choice(tenant_ids), "metric": metric,
                       "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))}
                rec.update(_event_fields(rng, metric))
                text, good = json.dumps(rec, separators=(",", ":")), good + 1
                if len(lines) < 1000:
                    lines.append(text)
            f.write(text + "\n")
    return good, dups, bad


# ---- reading a database with an independent client ----
#
# `db` is a SQLite file, or a PostgreSQL URL naming its schema
# (postgresql://...?schema=NAME), read with psycopg2 (placeholders: `?` on both).

def is_pg(db):
    return str(db).startswith(("postgresql://", "postgres://"))


def pg_split(url):
    """(the URL without its schema parameter, the schema or None)."""
    parts = urllib.parse.urlsplit(str(url))
    query = urllib.parse.parse_qsl(parts.query)
    schema = next((v for k, v in query if k == "schema"), None)
    rest = urllib.parse.urlencode([(k, v) for k, v in query if k != "schema"])
    return urllib.parse.urlunsplit(parts._replace(query=rest)), schema


class _PgReader:
    """sqlite3's execute() on a PostgreSQL schema, read-only."""

    def __init__(self, url):
        import psycopg2
        server, schema = pg_split(url)
        self.conn = psycopg2.connect(server, options=f"-csearch_path={schema or 'public'}")
        self.conn.set_session(readonly=True, autocommit=True)

    def execute(self, sql, params=()):
        cur = self.conn.cursor()
        cur.execute(sql.replace("%", "%%").replace("?", "%s"), params)
        return cur

    def close(self):
        self.conn.close()


def reading(db):
    """A read-only connection, closed at the end of a `with` block."""
    if is_pg(db):
        return contextlib.closing(_PgReader(db))
    return contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10))


def _table_names(c, db):
    if is_pg(db):
        sql = "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
    else:
        sql = "SELECT name FROM sqlite_master WHERE type='table'"
    return sorted(r[0] for r in c.execute(sql).fetchall())


def tables(db):
    with reading(db) as c:
        return _table_names(c, db)


def table_counts(db):
    """{table: row count} for every table of the database."""
    with reading(db) as c:
        return {n: c.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in _table_names(c, db)}


def integrity(db):
    """PRAGMA integrity_check's answer ("ok" for a sound file); SQLite only
    (PostgreSQL's server keeps its own files: `meter db check` checks the rest)."""
    with reading(db) as c:
        return c.execute("PRAGMA integrity_check").fetchone()[0]


def dump_table(db, table, volatile=()):
    """Every row of `table` as a sorted list of tuples, leaving out the
    columns named in `volatile` (clock readings, autoincrement sequence)."""
    with reading(db) as c:
        if is_pg(db):
            names = [r[0] for r in c.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = ? ORDER BY ordinal_position", (table,)).fetchall()]
        else:
            names = [r[1] for r in c.execute(f'PRAGMA table_info("{table}")')]
        cols = [n for n in names if n not in volatile]
        sql = 'SELECT {} FROM "{}"'.format(", ".join(f'"{x}"' for x in cols), table)
        return sorted(c.execute(sql).fetchall(), key=repr)


def copy_db(src, dst):
    """Copies a database file and its -wal (a stopped writer's state)."""
    for suffix in ("", "-wal"):
        if os.path.exists(str(src) + suffix):
            shutil.copyfile(str(src) + suffix, str(dst) + suffix)
        elif os.path.exists(str(dst) + suffix):
            os.remove(str(dst) + suffix)


# ---- a loopback webhook receiver ----

def free_port():
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
