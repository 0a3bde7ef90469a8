#!/usr/bin/env python3
"""The measuring half of bench/ingest.sh (run that, not this): SPEC section 9's
ingest figures, each input shape its own row.

For every shape (bench/ingest_shapes.py: time-ordered and UUIDv4 ids, 20 and
1,000 tenants, 4 and 12 meters, NDJSON, CSV and CloudEvents) and every round,
the reference (bench/ingest_reference.cc, single-threaded simdjson + SQLite)
and `meter ingest` run alternately on the same file, each into a fresh
database; the ratio is the median of the per-round ratios. The first shape
also gives the rows against the Python peer (bench/ingest_peer.py: json +
sqlite3, one transaction), of re-ingesting the same file (all duplicates)
and, with --memory, of peak memory on a ~1 GB input against a ~256 MB one.

The machine's load average is printed first: figures taken above 1.5 are
marked as not valid (other work slows the two programs differently), and so
are figures during which other processes used more than a tenth of the
machine's CPU time (machine_load.py). The load average after the run is not
the test: the run's own two busy cores raise it.
"""
import argparse
import json
import os
import shutil
import statistics
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ingest_shapes  # noqa: E402
from machine_load import Load  # noqa: E402

SHAPES = ["ndjson-seq-t1000-m4", "ndjson-uuid-t1000-m4", "ndjson-seq-t20-m4", "ndjson-uuid-t20-m4",
          "ndjson-seq-t1000-m12", "csv-seq-t1000-m4", "cloudevents-seq-t1000-m4"]
NOW = "2026-03-01T00:00:00Z"
MAX_LOAD = 1.5
# ... and the share of the machine's CPU time other processes may take during it.
MAX_OTHERS = 0.10
TARGETS = {"ratio": 1.0, "peer": 3.0, "reingest": 0.5, "memory": 1.2}


class Timed:
    """One finished run: wall and CPU seconds, peak RSS (MiB), stdout."""

    def __init__(self, wall, cpu, rss, out):
        self.wall, self.cpu, self.rss, self.out = wall, cpu, rss, out


def run(argv):
    """Runs argv to completion, measuring it with wait4 (its own rusage)."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        if code != 0:
            sys.exit(f"{argv[0]} failed ({code}): {err.read().decode().strip()}")
        return Timed(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read().decode())


def finish(result, json_path, ok):
    """Writes `result` to `json_path` (when given, for bench/run); returns the
    exit status: 0 when `ok` (targets met on an idle machine)."""
    if json_path:
        with open(json_path, "w") as f:
            json.dump(result, f, indent=2)
    return 0 if ok else 1


def remove_db(path):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)


def fresh_meter_db(meter, catalog, db):
    remove_db(db)
    subprocess.run([meter, "--db", db, "--quiet", "init", "--catalog", catalog], check=True)


def count_events(db):
    con = sqlite3.connect(db)
    n = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    con.close()
    return n


def btree_rows(db):
    """The B-tree entries meter's ingest stored, per table with its indexes:
    {table: entries} (SQLite's dbstat: a rowid table's rows are its leaf
    cells, an index's or WITHOUT ROWID table's entries all its cells), or
    None when this sqlite3 module lacks dbstat. Load-independent: the work a
    counter layout saves shows here before any timing does."""
    con = sqlite3.connect(db)
    try:
        btrees = con.execute("SELECT name, tbl_name, type = 'table' AND sql NOT LIKE '%WITHOUT ROWID%' "
                             "FROM sqlite_master WHERE type IN ('table', 'index')").fetchall()
        cells = {}
        for name, pagetype, n in con.execute("SELECT name, pagetype, SUM(ncell) FROM dbstat GROUP BY name, pagetype"):
            cells.setdefault(name, {})[pagetype] = n
    except sqlite3.DatabaseError:
        return None
    finally:
        con.close()
    out = {}
    for name, table, rowid_table in btrees:
        c = cells.get(name, {})
        n = c.get("leaf", 0) if rowid_table else c.get("leaf", 0) + c.get("internal", 0)
        if n:
            out[table] = out.get(table, 0) + n
    return out


def meter_ingest(a, db, data):
    return run([a.meter, "--db", db, "--now", NOW, "--quiet", "--json", "ingest", data])


def one_round(a, shape, data, catalog, work, first, first_round=False):
    """Reference then meter on one shape; for the first shape also the peer
    and a second meter ingest of the same file."""
    fmt = ingest_shapes.parse_shape(shape)["format"]
    ref_db = os.path.join(work, "reference.db")
    remove_db(ref_db)
    ref = run([a.reference, "--format", fmt, data, ref_db])
    remove_db(ref_db)
    db = os.path.join(work, "meter.db")
    fresh_meter_db(a.meter, catalog, db)
    before = btree_rows(db) if first_round else None
    got = meter_ingest(a, db, data)
    r = {"ref": ref, "meter": got, "accepted": json.loads(got.out)["accepted"]}
    if before is not None:  # what ingest added: not the catalog's rows
        after = btree_rows(db)
        r["btree_rows"] = {t: n - before.get(t, 0) for t, n in after.items() if n > before.get(t, 0)}
    if first:
        stored = count_events(db)
        again = meter_ingest(a, db, data)
        r.update(again=again, again_accepted=json.loads(again.out)["accepted"], added=count_events(db) - stored)
        peer_db = os.path.join(work, "peer.db")
        remove_db(peer_db)
        r["peer"] = run([sys.executable, os.path.join(HERE, "ingest_peer.py"), data, peer_db])
        remove_db(peer_db)
    remove_db(db)
    return r


def memory_check(a, work, data_dir, shape):
    """Peak RSS of ingesting ~256 MB and ~1 GB inputs of `shape`."""
    small, large = (int(x) for x in a.memory_events.split(","))
    peaks = {}
    for label, events in (("small", small), ("large", large)):
        data, catalog = ingest_shapes.write(shape, events, data_dir)
        db = os.path.join(work, f"memory-{label}.db")
        fresh_meter_db(a.meter, catalog, db)
        size = os.path.getsize(data) / 2**20
        peaks[label] = {"events": events, "input_mib": round(size, 1),
                        "peak_rss_mib": round(meter_ingest(a, db, data).rss, 1)}
        remove_db(db)
        print(f"  memory: {label} input ({size:,.0f} MiB, {events:,} events): peak RSS "
              f"{peaks[label]['peak_rss_mib']:.1f} MiB", flush=True)
    return peaks


def rows_per_event(tables, events):
    """{table: entries per event, ..., "total": ...} from btree_rows, or None."""
    if not tables:
        return None
    out = {t: round(n / events, 3) for t, n in sorted(tables.items()) if n >= events // 100}
    out["total"] = round(sum(tables.values()) / events, 3)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--meter", required=True)
    p.add_argument("--reference", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--shapes", default=",".join(SHAPES), help="comma-separated shape names (first: peer, re-ingest)")
    p.add_argument("--memory", action="store_true", help="also compare peak RSS on ~256 MB and ~1 GB inputs")
    p.add_argument("--memory-events", default="1264000,4940000", metavar="SMALL,LARGE",
                   help="event counts of the --memory inputs (default ~256 MB and ~1 GB)")
    p.add_argument("--data", metavar="DIR", help="keep generated inputs in DIR and reuse them (default: work dir)")
    p.add_argument("--json", metavar="FILE", help="also write the result as one JSON document to FILE")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    a = p.parse_args()
    shapes = [s for s in a.shapes.split(",") if s]
    for s in shapes:
        ingest_shapes.parse_shape(s)
    load = os.getloadavg()
    valid = load[0] <= MAX_LOAD
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}: "
          f"{'figures valid' if valid else f'above {MAX_LOAD}, figures NOT VALID (other work is running)'}",
          flush=True)
    work = os.environ.get("WORK_DIR") or tempfile.mkdtemp(prefix="meter-bench-ingest-")
    os.makedirs(work, exist_ok=True)
    data_dir = a.data or work
    inputs = {}
    for s in shapes:
        print(f"input {s}: {a.events:,} events ...", flush=True)
        inputs[s] = ingest_shapes.write(s, a.events, data_dir)

    machine = Load()
    rounds = {s: [] for s in shapes}
    for i in range(a.rounds):
        for k, s in enumerate(shapes):
            data, catalog = inputs[s]
            r = one_round(a, s, data, catalog, work, k == 0, i == 0)
            rounds[s].append(r)
            extra = (f", re-ingest {r['again'].wall:.2f} s (rows added {r['added']}), peer {r['peer'].wall:.2f} s"
                     if k == 0 else "")
            print(f"  round {i + 1} {s}: reference {r['ref'].wall:.2f} s ({r['ref'].cpu:.2f} s CPU), "
                  f"meter {r['meter'].wall:.2f} s ({r['meter'].cpu:.2f} s CPU){extra}", flush=True)
    load_after = os.getloadavg()
    during = machine.finish()
    valid = valid and during["others_share_of_machine"] <= MAX_OTHERS
    print(f"during the run other processes used {during['others_share_of_machine'] * 100:.0f} % of the machine's "
          f"CPU time ({during['cpu_seconds_others']} s; at most {MAX_OTHERS * 100:.0f} % for valid figures)", flush=True)

    med = statistics.median
    rows = []
    for s in shapes:
        rs = rounds[s]
        ref_eps = a.events / med(r["ref"].wall for r in rs)
        meter_eps = a.events / med(r["meter"].wall for r in rs)
        ratio = med(r["ref"].wall / r["meter"].wall for r in rs)
        rows.append({"shape": s, "reference_events_per_second": round(ref_eps),
                     "meter_events_per_second": round(meter_eps), "ratio": round(ratio, 3),
                     "cpu_ratio": round(med(r["ref"].cpu / r["meter"].cpu for r in rs), 3),
                     "btree_rows_per_event": rows_per_event(rs[0].get("btree_rows"), a.events),
                     "accepted_all": all(r["accepted"] == a.events for r in rs),
                     "met": ratio >= TARGETS["ratio"] and all(r["accepted"] == a.events for r in rs)})
    first = rounds[shapes[0]]
    peer_eps = a.events / med(r["peer"].wall for r in first)
    peer_ratio = med(r["peer"].wall / r["meter"].wall for r in first)
    reingest = med(r["again"].wall / r["meter"].wall for r in first)
    added = max(r["added"] for r in first)
    result = {
        "events": a.events, "rounds": a.rounds, "valid": valid,
        "loadavg_before": [round(x, 2) for x in load], "loadavg_after": [round(x, 2) for x in load_after],
        "load_during_run": during,
        "shapes": rows,
        "peer": {"shape": shapes[0], "peer_events_per_second": round(peer_eps),
                 "meter_events_per_second": rows[0]["meter_events_per_second"], "ratio": round(peer_ratio, 3),
                 "met": peer_ratio >= TARGETS["peer"]},
        "reingest": {"shape": shapes[0], "seconds": round(med(r["again"].wall for r in first), 3),
                     "first_seconds": round(med(r["meter"].wall for r in first), 3), "ratio": round(reingest, 3),
                     "rows_added": added, "accepted_none": all(r["again_accepted"] == 0 for r in first),
                     "met": reingest <= TARGETS["reingest"] and added == 0
                     and all(r["again_accepted"] == 0 for r in first)},
        "peak_rss_mib": round(max(r["meter"].rss for r in first), 1),
    }
    print()
    print(f"{'shape':26} {'reference':>14} {'meter':>14} {'ratio':>7}  target >= {TARGETS['ratio']}")
    for r in rows:
        print(f"{r['shape']:26} {r['reference_events_per_second']:>12,}/s {r['meter_events_per_second']:>12,}/s "
              f"{r['ratio']:>7.2f}  {'ok' if r['met'] else 'MISSED'} (CPU-time ratio {r['cpu_ratio']:.2f})")
    for r in rows:
        b = r["btree_rows_per_event"]
        if b:
            parts = ", ".join(f"{t} {n:.2f}" for t, n in b.items() if t != "total")
            print(f"  {r['shape']}: {b['total']:.2f} B-tree entries stored per event ({parts})")
    pe = result["peer"]
    print(f"{'python peer ' + shapes[0]:26} {pe['peer_events_per_second']:>12,}/s "
          f"{pe['meter_events_per_second']:>12,}/s {pe['ratio']:>7.2f}  target >= {TARGETS['peer']} "
          f"{'ok' if pe['met'] else 'MISSED'}")
    rei = result["reingest"]
    print(f"{'re-ingest ' + shapes[0]:26} {rei['first_seconds']:>12.2f} s {rei['seconds']:>12.2f} s "
          f"{rei['ratio']:>7.2f}  target <= {TARGETS['reingest']} {'ok' if rei['met'] else 'MISSED'}"
          f"; rows added {rei['rows_added']}")
    ok = all(r["met"] for r in rows) and pe["met"] and rei["met"]
    if a.memory:
        peaks = memory_check(a, work, data_dir, shapes[0])
        mem = peaks["large"]["peak_rss_mib"] / peaks["small"]["peak_rss_mib"]
        result["memory"] = peaks
        result["memory_ratio"] = round(mem, 3)
        print(f"{'peak RSS, 1 GB vs 256 MB':26} {peaks['small']['peak_rss_mib']:>12.1f} M "
              f"{peaks['large']['peak_rss_mib']:>12.1f} M {mem:>7.2f}  target <= {TARGETS['memory']} "
              f"{'ok' if mem <= TARGETS['memory'] else 'MISSED'}")
        ok = ok and mem <= TARGETS["memory"]
    if not valid:
        print(f"load average above {MAX_LOAD} before the run, or other processes above {MAX_OTHERS * 100:.0f} % "
              "of the CPU during it: these figures are NOT VALID")
    result["all_met"] = ok
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)
    if not a.keep and not os.environ.get("WORK_DIR"):
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok and valid else 1)


if __name__ == "__main__":
    main()
