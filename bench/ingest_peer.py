#!/usr/bin/env python3
"""The peer of SPEC section 9's ingest benchmark: what a user would write
instead of meter, Python's json and sqlite3 loading native NDJSON into the
same table (one transaction, one prepared statement, unique index on the
identity, the reference's connection settings).

  bench/ingest_peer.py INPUT.ndjson DB   prints {"events","seconds","events_per_second"}
"""
import json
import sqlite3
import sys
import time
from datetime import datetime


def main():
    start = time.monotonic()
    db = sqlite3.connect(sys.argv[2])
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "cache_size=-65536"):
        db.execute("PRAGMA " + pragma)
    db.execute("CREATE TABLE IF NOT EXISTS events(seq INTEGER PRIMARY KEY, id TEXT NOT NULL, tenant_id TEXT NOT NULL,"
               " metric TEXT NOT NULL, ts INTEGER NOT NULL, quantity INTEGER NOT NULL, user_id TEXT, operation TEXT,"
               " status TEXT, latency_ms INTEGER, cost TEXT, properties TEXT, ingested_at INTEGER NOT NULL,"
               " source TEXT NOT NULL DEFAULT '')")
    db.execute("CREATE UNIQUE INDEX IF NOT EXISTS events_identity ON events(id, source)")

    def rows():
        with open(sys.argv[1]) as f:
            for line in f:
                e = json.loads(line)
                ts = datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00"))
                props = e.get("properties")
                yield (e["id"], e["tenant"], e["metric"], int(ts.timestamp() * 1000),
                       round(e.get("quantity", 1) * 1000000), e.get("user"), e.get("operation"), e.get("status"),
                       e.get("latency_ms"), e.get("cost"), json.dumps(props) if props is not None else None)

    with db:
        n = db.executemany("INSERT INTO events(id, tenant_id, metric, ts, quantity, user_id, operation, status,"
                           " latency_ms, cost, properties, ingested_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,0)"
                           " ON CONFLICT (id, source) DO NOTHING", rows()).rowcount
    db.close()
    seconds = time.monotonic() - start
    print(json.dumps({"events": n, "seconds": round(seconds, 3), "events_per_second": round(n / seconds)}))


if __name__ == "__main__":
    main()
