#!/usr/bin/env python3
"""The measuring half of bench/ingest.sh (run that, not this): times the
reference and `meter ingest` on the same generated input, alternating, and
prints the SPEC section 9 ingest figures."""
import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time


def run(argv):
    """Runs argv; returns (wall seconds, stdout)."""
    start = time.monotonic()
    proc = subprocess.run(argv, capture_output=True, text=True)
    wall = time.monotonic() - start
    if proc.returncode != 0:
        sys.exit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.strip()}")
    return wall, proc.stdout


def peak_rss_mib(argv):
    """Peak RSS of one run of argv (its own, from wait4), in MiB."""
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return usage.ru_maxrss / 1024  # KiB on Linux


def generate(source, events, path):
    if os.path.exists(path):
        return
    print(f"generating {events:,} events into {path} ...", flush=True)
    subprocess.run([sys.executable, os.path.join(source, "sample-data", "generate.py"), "--events", str(events),
                    "--out", path + ".tmp"], check=True, stdout=subprocess.DEVNULL)
    os.rename(path + ".tmp", path)


def fresh_db(meter, catalog, db):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    subprocess.run([meter, "--db", db, "--quiet", "init", "--catalog", catalog], check=True)


def count_events(db):
    con = sqlite3.connect(db)
    n = con.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    con.close()
    return n


def one_round(a, data, work):
    ref_db = os.path.join(work, "reference.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(ref_db + suffix):
            os.remove(ref_db + suffix)
    ref_wall, _ = run([a.reference, data, ref_db])

    db = os.path.join(work, "meter.db")
    catalog = os.path.join(a.source, "sample-data", "catalog.json")
    fresh_db(a.meter, catalog, db)
    ingest = [a.meter, "--db", db, "--quiet", "--json", "ingest", data]
    first_wall, out = run(ingest)
    first = json.loads(out)
    stored = count_events(db)
    again_wall, out = run(ingest)
    again = json.loads(out)
    added = count_events(db) - stored
    return {"reference": ref_wall, "first": first_wall, "again": again_wall, "accepted": first["accepted"],
            "again_accepted": again["accepted"], "added": added}


def memory_check(a, work):
    """Peak RSS of ingesting ~256 MB and ~1 GB inputs (about 205 bytes an event)."""
    catalog = os.path.join(a.source, "sample-data", "catalog.json")
    peaks = {}
    for label, events in (("256MB", 1_250_000), ("1GB", 5_000_000)):
        data = os.path.join(work, f"events-{events}.ndjson")
        generate(a.source, events, data)
        db = os.path.join(work, f"memory-{label}.db")
        fresh_db(a.meter, catalog, db)
        peaks[label] = peak_rss_mib([a.meter, "--db", db, "--quiet", "ingest", data])
        print(f"  {label:>6} input ({os.path.getsize(data) / 2**20:,.0f} MiB): peak RSS {peaks[label]:.1f} MiB",
              flush=True)
    return peaks["1GB"] / peaks["256MB"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--meter", required=True)
    p.add_argument("--reference", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--memory", action="store_true", help="also compare peak RSS on 256 MB and 1 GB inputs")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    a = p.parse_args()
    work = os.environ.get("WORK_DIR") or tempfile.mkdtemp(prefix="meter-bench-ingest-")
    os.makedirs(work, exist_ok=True)
    data = os.path.join(work, f"events-{a.events}.ndjson")
    generate(a.source, a.events, data)
    print(f"input: {a.events:,} events, {os.path.getsize(data) / 2**20:,.0f} MiB; {a.rounds} rounds", flush=True)

    rounds = []
    for i in range(a.rounds):
        r = one_round(a, data, work)
        rounds.append(r)
        print(f"  round {i + 1}: reference {r['reference']:.2f} s, meter {r['first']:.2f} s, "
              f"re-ingest {r['again']:.2f} s (added {r['added']})", flush=True)
    ref = min(r["reference"] for r in rounds)
    first = min(r["first"] for r in rounds)
    again = min(r["again"] for r in rounds)
    ref_eps, meter_eps = a.events / ref, a.events / first
    ratio, reingest = meter_eps / ref_eps, again / first
    rss_db = os.path.join(work, "rss.db")
    fresh_db(a.meter, os.path.join(a.source, "sample-data", "catalog.json"), rss_db)
    rss_meter = peak_rss_mib([a.meter, "--db", rss_db, "--quiet", "ingest", data])
    rss_ref = peak_rss_mib([a.reference, data, os.path.join(work, "rss-reference.db")])
    accepted_ok = all(r["accepted"] == a.events for r in rounds)
    added_ok = all(r["added"] == 0 and r["again_accepted"] == 0 for r in rounds)

    print()
    print(f"reference          {ref_eps:>12,.0f} events/s  ({ref:.2f} s, best of {a.rounds})")
    print(f"meter ingest       {meter_eps:>12,.0f} events/s  ({first:.2f} s, {rounds[0]['accepted']:,} accepted)")
    print(f"ratio              {ratio:>12.2f}            target >= 0.85  {'ok' if ratio >= 0.85 else 'MISSED'}")
    print(f"re-ingest          {again:>12.2f} s          {reingest:.2f} x first, target <= 1.0  "
          f"{'ok' if reingest <= 1.0 else 'MISSED'}; rows added: {max(r['added'] for r in rounds)}")
    print(f"peak RSS           meter {rss_meter:.1f} MiB, reference {rss_ref:.1f} MiB (it loads the whole file)")
    ok = ratio >= 0.85 and reingest <= 1.0 and accepted_ok and added_ok
    result = {"events": a.events, "reference_events_per_second": round(ref_eps),
              "meter_events_per_second": round(meter_eps), "ratio": round(ratio, 3),
              "reingest_seconds": round(again, 3), "first_seconds": round(first, 3),
              "reingest_ratio": round(reingest, 3), "rows_added_on_reingest": max(r["added"] for r in rounds),
              "peak_rss_mib": round(rss_meter, 1), "reference_peak_rss_mib": round(rss_ref, 1)}
    if a.memory:
        print("memory: peak RSS against input size")
        mem = memory_check(a, work)
        print(f"memory ratio 1 GB / 256 MB: {mem:.2f}  target <= 1.2  {'ok' if mem <= 1.2 else 'MISSED'}")
        result["memory_ratio_1gb_256mb"] = round(mem, 3)
        ok = ok and mem <= 1.2
    print(json.dumps(result))
    if not a.keep and not os.environ.get("WORK_DIR"):
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
