#!/usr/bin/env python3
"""The input shapes of SPEC section 9's ingest benchmark: a catalog and an
input file per shape, deterministic (the same arguments give the same bytes).

A shape is named like "ndjson-seq-t1000-m4":
  format   ndjson | csv | cloudevents
  ids      seq  (time-ordered: evt_000000001, ...) | uuid (random UUIDv4)
  tenants  t20 | t1000
  meters   m4  (sum, count, max over four metrics) |
           m12 (m4 plus where filters on fields and properties, unique_count,
                latest and a property sum: most events feed two to four meters)

Every event is good (bench/run measures throughput, not rejects): a month of
February 2026 in time order, about 200 bytes a record, with user, operation,
status, latency_ms, cost and properties as producers send them.

  bench/ingest_shapes.py --shape ndjson-seq-t1000-m4 --events 1000000 --out DIR
writes DIR/<shape>-<events>.<ext> and DIR/catalog-t1000-m4.json (kept when
present) and prints the input's path.
"""
import argparse
import json
import os
import random
import sys
import uuid

FORMATS = ("ndjson", "csv", "cloudevents")
EXT = {"ndjson": "ndjson", "csv": "csv", "cloudevents": "ndjson"}
FEB_START = 1769904000  # 2026-02-01T00:00:00Z
FEB_SECONDS = 28 * 86400
OPERATIONS = ("email_analysis", "video_understanding", "audio_transcription", "text_to_speech")
MODELS = ("gpt-4o-mini", "claude-3-haiku", "llama-3.1-70b")
REGIONS = ("us-east-1", "us-west-2", "eu-central-1")
# metric -> share of events
METRICS = (("api_calls", 0.55), ("ai_requests", 0.25), ("llm_completion", 0.15), ("storage_gb", 0.05))
CE_SOURCE = {"api_calls": "/services/api-gateway", "ai_requests": "/services/ai-worker",
             "llm_completion": "/services/llm-proxy", "storage_gb": "/services/storage-meter"}
CSV_COLUMNS = ("id", "tenant", "metric", "quantity", "timestamp", "user", "operation", "status", "latency_ms",
               "cost", "tokens", "model", "region")


def parse_shape(name):
    parts = name.split("-")
    if (len(parts) != 4 or parts[0] not in FORMATS or parts[1] not in ("seq", "uuid") or
            parts[2] not in ("t20", "t1000") or parts[3] not in ("m4", "m12")):
        sys.exit(f"ingest_shapes.py: unknown shape {name!r} (e.g. ndjson-seq-t1000-m4)")
    return {"format": parts[0], "ids": parts[1], "tenants": int(parts[2][1:]), "meters": int(parts[3][1:])}


def tenant_ids(n):
    return [f"tenant_{i:04d}" for i in range(n)]


def catalog(tenants, meters):
    m = [{"key": "api_calls"},
         {"key": "ai_requests", "aggregation": "count"},
         {"key": "llm_tokens", "event": "llm_completion", "value": "properties.tokens"},
         {"key": "storage_gb", "aggregation": "max"}]
    if meters == 12:
        m += [{"key": f"op_{op}", "event": "ai_requests", "aggregation": "count", "where": {"operation": op}}
              for op in OPERATIONS[:3]]
        m += [{"key": "gpt_tokens", "event": "llm_completion", "value": "properties.tokens",
               "where": {"properties.model": "gpt-4o-mini"}},
              {"key": "active_users", "event": "api_calls", "aggregation": "unique_count", "value": "user"},
              {"key": "ai_users", "event": "ai_requests", "aggregation": "unique_count", "value": "user"},
              {"key": "storage_latest", "event": "storage_gb", "aggregation": "latest"},
              {"key": "failed_calls", "event": "api_calls", "aggregation": "count", "where": {"status": "error"}}]
    assert len(m) == meters
    return {"currency": "USD", "meters": m,
            "plans": [{"key": "p", "name": "P", "base_price": "10.00",
                       "charges": [{"meter": "api_calls", "model": "per_unit", "unit_price": "0.001"}]}],
            "tenants": [{"id": t, "plan": "p"} for t in tenant_ids(tenants)]}


def events(shape, n, seed=13):
    """Yields (id, tenant, metric, quantity, ts, user, operation, status, latency, cost, props) in time order."""
    rng = random.Random(seed)
    tenants = tenant_ids(shape["tenants"])
    names, weights = zip(*METRICS)
    step = FEB_SECONDS / n
    for i in range(n):
        ts = FEB_START + int(i * step)
        metric = rng.choices(names, weights)[0]
        eid = f"evt_{i + 1:09d}" if shape["ids"] == "seq" else str(uuid.UUID(int=rng.getrandbits(128), version=4))
        tenant = tenants[rng.randrange(len(tenants))]
        user = f"user_{rng.randrange(60):03d}"
        op = status = latency = cost = None
        props = {}
        quantity = 1
        if metric == "api_calls":
            quantity = rng.randrange(1, 20)
            status = "error" if rng.random() < 0.02 else "success"
            latency = rng.randrange(5, 400)
            props = {"region": rng.choice(REGIONS)}
        elif metric == "ai_requests":
            op = rng.choice(OPERATIONS)
            status = "success"
            latency = rng.randrange(300, 9000)
            cost = ("0.002", "0.05", "0.001", "0.003")[OPERATIONS.index(op)]
        elif metric == "llm_completion":
            props = {"tokens": rng.randrange(50, 4000), "model": rng.choice(MODELS)}
        else:
            quantity = round(rng.uniform(10, 200), 2)
            user = None
        yield eid, tenant, metric, quantity, ts, user, op, status, latency, cost, props


def rfc3339(ts):
    import time
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def native(e):
    eid, tenant, metric, quantity, ts, user, op, status, latency, cost, props = e
    r = {"id": eid, "tenant": tenant, "metric": metric, "quantity": quantity, "timestamp": rfc3339(ts)}
    for k, v in (("user", user), ("operation", op), ("status", status), ("latency_ms", latency), ("cost", cost)):
        if v is not None:
            r[k] = v
    if props:
        r["properties"] = props
    return json.dumps(r, separators=(",", ":"))


def cloudevent(e):
    eid, tenant, metric, quantity, ts, user, op, status, latency, cost, props = e
    data = {"quantity": quantity}
    for k, v in (("user", user), ("operation", op), ("status", status), ("latency_ms", latency), ("cost", cost)):
        if v is not None:
            data[k] = v
    data.update(props)
    r = {"specversion": "1.0", "id": eid, "source": CE_SOURCE[metric], "type": metric, "subject": tenant,
         "time": rfc3339(ts), "datacontenttype": "application/json", "data": data}
    return json.dumps(r, separators=(",", ":"))


def csv_row(e):
    eid, tenant, metric, quantity, ts, user, op, status, latency, cost, props = e
    cells = [eid, tenant, metric, quantity, rfc3339(ts), user, op, status, latency, cost, props.get("tokens"),
             props.get("model"), props.get("region")]
    return ",".join("" if c is None else str(c) for c in cells)


def write(shape_name, n, out_dir):
    shape = parse_shape(shape_name)
    os.makedirs(out_dir, exist_ok=True)
    cat = os.path.join(out_dir, f"catalog-t{shape['tenants']}-m{shape['meters']}.json")
    if not os.path.exists(cat):
        # Shapes are generated side by side and share catalogs: each writer
        # has its own temporary file, and the last rename wins (same bytes).
        tmp = f"{cat}.{os.getpid()}.tmp"
        with open(tmp, "w") as f:
            json.dump(catalog(shape["tenants"], shape["meters"]), f, indent=1)
        os.replace(tmp, cat)
    path = os.path.join(out_dir, f"{shape_name}-{n}.{EXT[shape['format']]}")
    if not os.path.exists(path):
        line = {"ndjson": native, "cloudevents": cloudevent, "csv": csv_row}[shape["format"]]
        with open(path + ".tmp", "w") as f:
            if shape["format"] == "csv":
                f.write(",".join(CSV_COLUMNS) + "\n")
            for e in events(shape, n):
                f.write(line(e))
                f.write("\n")
        os.replace(path + ".tmp", path)
    return path, cat


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", required=True)
    p.add_argument("--events", type=int, default=1_000_000)
    p.add_argument("--out", required=True, metavar="DIR")
    a = p.parse_args()
    path, _ = write(a.shape, a.events, a.out)
    print(path)


if __name__ == "__main__":
    main()
