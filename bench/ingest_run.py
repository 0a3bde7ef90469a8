#!/usr/bin/env python3
"""The measuring half of bench/ingest.sh (run that, not this): times the
reference and `meter ingest` on the same generated input, alternating, and
prints the SPEC section 9 ingest figures."""
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
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - start
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            sys.exit(f"{argv[0]} failed ({proc.returncode}): {err.read().decode().strip()}")
        return Timed(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, out.read().decode())


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
    ref = run([a.reference, data, ref_db])

    db = os.path.join(work, "meter.db")
    catalog = os.path.join(a.source, "sample-data", "catalog.json")
    fresh_db(a.meter, catalog, db)
    ingest = [a.meter, "--db", db, "--quiet", "--json", "ingest", data]
    first = run(ingest)
    stored = count_events(db)
    again = run(ingest)
    return {"ref": ref, "first": first, "again": again, "accepted": json.loads(first.out)["accepted"],
            "again_accepted": json.loads(again.out)["accepted"], "added": count_events(db) - stored}


def memory_check(a, work, data_dir):
    """Peak RSS of ingesting the --memory-events inputs (by default ~256 MB and
    ~1 GB: about 205 bytes an event); returns {"small"|"large": (MiB of input,
    peak RSS MiB)}."""
    catalog = os.path.join(a.source, "sample-data", "catalog.json")
    small, large = (int(x) for x in a.memory_events.split(","))
    peaks = {}
    for label, events in (("small", small), ("large", large)):
        data = os.path.join(data_dir, f"events-{events}.ndjson")
        generate(a.source, events, data)
        db = os.path.join(work, f"memory-{label}.db")
        fresh_db(a.meter, catalog, db)
        size = os.path.getsize(data) / 2**20
        peaks[label] = (size, run([a.meter, "--db", db, "--quiet", "ingest", data]).rss)
        fresh_db(a.meter, catalog, db)  # frees the disk space of the large database
        print(f"  {label:>6} input ({size:,.0f} MiB, {events:,} events): peak RSS {peaks[label][1]:.1f} MiB",
              flush=True)
    return peaks


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--meter", required=True)
    p.add_argument("--reference", required=True)
    p.add_argument("--source", required=True)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--memory", action="store_true", help="also compare peak RSS on 256 MB and 1 GB inputs")
    p.add_argument("--memory-events", default="1250000,5000000", metavar="SMALL,LARGE",
                   help="event counts of the --memory inputs (default ~256 MB and ~1 GB)")
    p.add_argument("--data", metavar="DIR", help="keep generated inputs in DIR and reuse them (default: work dir)")
    p.add_argument("--json", metavar="FILE", help="also write the result as one JSON document to FILE")
    p.add_argument("--keep", action="store_true", help="keep the work directory")
    a = p.parse_args()
    work = os.environ.get("WORK_DIR") or tempfile.mkdtemp(prefix="meter-bench-ingest-")
    os.makedirs(work, exist_ok=True)
    data_dir = a.data or work
    os.makedirs(data_dir, exist_ok=True)
    data = os.path.join(data_dir, f"events-{a.events}.ndjson")
    generate(a.source, a.events, data)
    print(f"input: {a.events:,} events, {os.path.getsize(data) / 2**20:,.0f} MiB; {a.rounds} rounds", flush=True)

    rounds = []
    for i in range(a.rounds):
        r = one_round(a, data, work)
        rounds.append(r)
        print(f"  round {i + 1}: reference {r['ref'].wall:.2f} s ({r['ref'].cpu:.2f} s CPU), "
              f"meter {r['first'].wall:.2f} s ({r['first'].cpu:.2f} s CPU), "
              f"re-ingest {r['again'].wall:.2f} s (rows added {r['added']})", flush=True)
    # The machine may be shared: rounds alternate the programs, and each
    # figure is the median over rounds (ratios are taken within a round).
    med = statistics.median
    ref_eps = a.events / med(r["ref"].wall for r in rounds)
    meter_eps = a.events / med(r["first"].wall for r in rounds)
    ratio = med(r["ref"].wall / r["first"].wall for r in rounds)
    cpu_ratio = med(r["ref"].cpu / r["first"].cpu for r in rounds)
    reingest = med(r["again"].wall / r["first"].wall for r in rounds)
    again = med(r["again"].wall for r in rounds)
    rss_meter = max(r["first"].rss for r in rounds)
    rss_ref = max(r["ref"].rss for r in rounds)
    added = max(r["added"] for r in rounds)
    ok = (ratio >= 0.85 and reingest <= 1.0 and added == 0 and
          all(r["accepted"] == a.events and r["again_accepted"] == 0 for r in rounds))

    print()
    print(f"reference          {ref_eps:>12,.0f} events/s  (median of {a.rounds})")
    print(f"meter ingest       {meter_eps:>12,.0f} events/s  ({rounds[0]['accepted']:,} accepted)")
    print(f"ratio              {ratio:>12.2f}            target >= 0.85  {'ok' if ratio >= 0.85 else 'MISSED'}"
          f"   (CPU time ratio {cpu_ratio:.2f})")
    print(f"re-ingest          {again:>12.2f} s          {reingest:.2f} x first, target <= 1.0  "
          f"{'ok' if reingest <= 1.0 else 'MISSED'}; rows added: {added}")
    print(f"peak RSS           meter {rss_meter:.1f} MiB, reference {rss_ref:.1f} MiB (it loads the whole file)")
    result = {"events": a.events, "reference_events_per_second": round(ref_eps),
              "meter_events_per_second": round(meter_eps), "ratio": round(ratio, 3),
              "cpu_ratio": round(cpu_ratio, 3), "reingest_seconds": round(again, 3),
              "reingest_ratio": round(reingest, 3), "rows_added_on_reingest": added,
              "peak_rss_mib": round(rss_meter, 1), "reference_peak_rss_mib": round(rss_ref, 1),
              "rounds": a.rounds, "accepted_all": all(r["accepted"] == a.events for r in rounds),
              "reingest_accepted_none": all(r["again_accepted"] == 0 for r in rounds),
              "reference_seconds": round(med(r["ref"].wall for r in rounds), 3),
              "meter_seconds": round(med(r["first"].wall for r in rounds), 3),
              "input_mib": round(os.path.getsize(data) / 2**20, 1)}
    if a.memory:
        print("memory: peak RSS against input size")
        peaks = memory_check(a, work, data_dir)
        mem = peaks["large"][1] / peaks["small"][1]
        print(f"memory ratio {peaks['large'][0]:,.0f} MiB / {peaks['small'][0]:,.0f} MiB input: {mem:.2f}  "
              f"target <= 1.2  {'ok' if mem <= 1.2 else 'MISSED'}")
        result["memory_ratio_1gb_256mb"] = round(mem, 3)
        result["memory"] = {label: {"events": int(n), "input_mib": round(size, 1), "peak_rss_mib": round(rss, 1)}
                            for (label, (size, rss)), n in zip(peaks.items(), a.memory_events.split(","))}
        ok = ok and mem <= 1.2
    print(json.dumps(result))
    if a.json:
        with open(a.json, "w") as f:
            json.dump(result, f, indent=1)
    if not a.keep and not os.environ.get("WORK_DIR"):
        shutil.rmtree(work, ignore_errors=True)
    elif a.data and not a.keep:  # the inputs are kept in --data; the databases can go
        for name in os.listdir(work):
            if ".db" in name:
                os.remove(os.path.join(work, name))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
