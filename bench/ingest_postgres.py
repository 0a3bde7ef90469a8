#!/usr/bin/env python3
"""Ingest into PostgreSQL against ingest into SQLite, in the same run (issue
14 item 4: >= 100K events/s into a local server and >= 0.5x SQLite's figure).

For each round `meter ingest` runs on the same NDJSON file (bench/ingest_shapes.py,
ndjson-seq-t1000-m4) into a fresh SQLite file and into a fresh schema on a
throwaway local server (scripts/pg_test_server.sh, started and stopped here,
unless --pg-url names one), alternately; figures are medians. The load
average is printed first: above 1.5 the figures are marked not valid.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ingest_run  # noqa: E402
import ingest_shapes  # noqa: E402
import pg_server  # noqa: E402

SHAPE = "ndjson-seq-t1000-m4"
TARGET_EPS = 100_000
TARGET_RATIO = 0.5


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--meter", required=True)
    p.add_argument("--source", required=True, help="the checkout (for scripts/pg_test_server.sh)")
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--data", metavar="DIR", help="keep generated inputs in DIR and reuse them")
    p.add_argument("--pg-url", help="a server to use instead of starting one")
    p.add_argument("--json", metavar="FILE", help="also write the result as one JSON document to FILE")
    a = p.parse_args()
    load = os.getloadavg()
    valid = load[0] <= ingest_run.MAX_LOAD
    print(f"load average {load[0]:.2f}: {'figures valid' if valid else 'above 1.5, figures NOT VALID'}", flush=True)
    work = os.environ.get("WORK_DIR") or tempfile.mkdtemp(prefix="meter-bench-ingest-pg-")
    os.makedirs(work, exist_ok=True)
    data, catalog = ingest_shapes.write(SHAPE, a.events, a.data or work)
    rounds = []
    with pg_server.PgServer(a.source, work, a.pg_url) as pg:
        for i in range(a.rounds):
            db = os.path.join(work, "meter.db")
            ingest_run.fresh_meter_db(a.meter, catalog, db)
            lite = ingest_run.meter_ingest(a, db, data)
            ingest_run.remove_db(db)
            target = pg.schema_url()
            subprocess.run([a.meter, "--db", target, "--quiet", "init", "--catalog", catalog], check=True)
            server_before = pg.cpu_seconds()
            pg_run = ingest_run.meter_ingest(a, target, data)
            time.sleep(0.3)  # the session's server process ends and is counted
            server = pg.cpu_seconds() - server_before if server_before is not None else None
            accepted = json.loads(pg_run.out)["accepted"]
            rounds.append({"sqlite": lite, "pg": pg_run, "server_cpu": server, "accepted": accepted})
            print(f"  round {i + 1}: SQLite {lite.wall:.2f} s ({lite.cpu:.2f} s CPU), "
                  f"PostgreSQL {pg_run.wall:.2f} s ({pg_run.cpu:.2f} s client CPU"
                  + (f", {server:.2f} s server CPU" if server is not None else "") + f"), accepted {accepted:,}",
                  flush=True)
    load_after = os.getloadavg()
    valid = valid and load_after[0] <= ingest_run.MAX_LOAD
    med = statistics.median
    pg_eps = a.events / med(r["pg"].wall for r in rounds)
    lite_eps = a.events / med(r["sqlite"].wall for r in rounds)
    ratio = med(r["sqlite"].wall / r["pg"].wall for r in rounds)
    all_in = all(r["accepted"] == a.events for r in rounds)
    result = {"events": a.events, "rounds": a.rounds, "shape": SHAPE, "valid": valid,
              "loadavg_before": [round(x, 2) for x in load], "loadavg_after": [round(x, 2) for x in load_after],
              "postgresql_events_per_second": round(pg_eps), "sqlite_events_per_second": round(lite_eps),
              "ratio": round(ratio, 3), "accepted_all": all_in,
              "cpu_seconds": {"sqlite": round(med(r["sqlite"].cpu for r in rounds), 2),
                              "postgresql_client": round(med(r["pg"].cpu for r in rounds), 2),
                              "postgresql_server": (round(med(r["server_cpu"] for r in rounds), 2)
                                                    if rounds[0]["server_cpu"] is not None else None)},
              "met": pg_eps >= TARGET_EPS and ratio >= TARGET_RATIO and all_in}
    print(f"PostgreSQL {pg_eps:,.0f} events/s, SQLite {lite_eps:,.0f} events/s, ratio {ratio:.3f} "
          f"(targets >= {TARGET_EPS:,} events/s and >= {TARGET_RATIO}){'' if valid else ' -- NOT VALID (load)'}")
    return ingest_run.finish(result, a.json, result["met"] and valid)


if __name__ == "__main__":
    sys.exit(main())
