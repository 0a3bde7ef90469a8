"""Property test (issue 12, item 3): every path that counts usage agrees
exactly with an independent reference, over one table of generated events and
meters: ingest's hourly counters, `aggregate` buckets, `aggregate --verify`,
`report usage`, `quota status` and invoice line quantities. The table has all
five aggregations, `where` filters on native fields and properties (numbers
compared as numbers), decimal quantities and property values, late events,
tenants in zones off the whole hour (Asia/Kolkata, Asia/Kathmandu,
America/St_Johns) and plan changes off the hour.

The reference below is written from SPEC section 2, not from the code: it
reads each event's fields, applies the meter's `event` and `where`, takes its
`value` and combines values by the aggregation, with Python's Decimal."""
import json
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

import counters as stored_counters

ZONES = {"utc": None, "kol": "Asia/Kolkata", "ktm": "Asia/Kathmandu", "stj": "America/St_Johns"}
NATIVE = {"quantity", "latency_ms", "cost", "user", "operation", "status", "metric", "tenant", "id"}

METERS = [
    {"key": "calls", "event": "api"},
    {"key": "ok_calls", "event": "api", "where": {"status": "success"}},
    {"key": "eu_hits", "event": "api", "aggregation": "count", "where": {"properties.region": "eu"}},
    {"key": "level2", "event": "api", "aggregation": "count", "where": {"properties.level": "2"}},
    {"key": "users", "event": "api", "aggregation": "unique_count", "value": "user"},
    {"key": "regions", "event": "api", "aggregation": "unique_count", "value": "properties.region"},
    {"key": "tokens", "event": "llm", "value": "properties.tokens"},
    {"key": "peak_tokens", "event": "llm", "aggregation": "max", "value": "properties.tokens"},
    {"key": "gpt_tokens", "event": "llm", "value": "properties.tokens", "where": {"properties.model": "gpt"}},
    {"key": "disk", "aggregation": "max"},
    {"key": "seats", "aggregation": "latest"},
    {"key": "slow_ms", "event": "api", "aggregation": "sum", "value": "latency_ms", "where": {"operation": "search"}},
]


def catalog():
    charges = [{"meter": m["key"], "model": "per_unit", "unit_price": "1"} for m in METERS]
    limits = [{"meter": m["key"], "limit": 10 ** 9, "period": "month", "enforcement": "soft"} for m in METERS]
    plans = [{"key": k, "name": k, "base_price": "0", "charges": charges, "limits": limits} for k in ("A", "B")]
    tenants = [dict({"id": t, "name": t, "plan": "A"}, **({"timezone": z} if z else {})) for t, z in ZONES.items()]
    return {"currency": "USD", "tax": {"name": "VAT", "rate": "0"}, "meters": METERS, "plans": plans,
            "tenants": tenants}


# ---- generated events ----------------------------------------------------

def dec(rng, places):
    return Decimal(rng.randint(0, 10 ** (places + 3))) / (10 ** places)


def make_events(rng, n, prefix, start, end):
    events = []
    span = int((end - start).total_seconds())
    for i in range(n):
        ts = start + timedelta(seconds=rng.randrange(span))
        tenant = rng.choice(list(ZONES))
        metric = rng.choice(["api", "api", "llm", "disk", "seats"])
        e = {"id": f"{prefix}{i}", "tenant": tenant, "metric": metric,
             "timestamp": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "quantity": dec(rng, rng.choice([0, 2, 6]))}
        props = {}
        if metric == "api":
            e["user"] = rng.choice(["u1", "u2", "u3", "u4", "u5"])
            e["status"] = rng.choice(["success", "success", "error"])
            e["operation"] = rng.choice(["search", "index", "search"])
            e["latency_ms"] = rng.randint(1, 900)
            if rng.random() < 0.8:
                props["region"] = rng.choice(["eu", "us", "ap"])
            props["level"] = rng.choice([2, 2.0, "2", "2.0", 3])
        elif metric == "llm":
            if rng.random() < 0.9:
                props["tokens"] = rng.choice([dec(rng, 0), dec(rng, 3), format(dec(rng, 1), "f")])
            props["model"] = rng.choice(["gpt", "claude"])
        e["properties"] = props
        events.append(e)
    return events


def ndjson(e):
    """The event's JSON line, Decimals written as the number text they hold."""
    def enc(v):
        if isinstance(v, Decimal):
            return format(v, "f")
        if isinstance(v, float):
            return repr(v)
        if isinstance(v, dict):
            return "{" + ",".join(f"{json.dumps(k)}:{enc(x)}" for k, x in v.items()) + "}"
        return json.dumps(v)
    return enc(e)


# ---- the reference (SPEC section 2) ----------------------------------------

ABSENT = object()


def field(e, name):
    """(kind, text) of a field as a meter reads it, or ABSENT."""
    if name == "quantity":
        return ("number", str(e["quantity"]))
    if name in ("latency_ms", "cost"):
        return ("number", str(e[name])) if name in e else ABSENT
    if name in NATIVE:
        v = e.get(name, "")
        return ("string", v) if v != "" else ABSENT
    path = name[len("properties."):] if name.startswith("properties.") else name
    v = e.get("properties", {})
    for part in path.split("."):
        if not isinstance(v, dict) or part not in v:
            return ABSENT
        v = v[part]
    if isinstance(v, str):
        return ("string", v)
    if isinstance(v, bool) or v is None:
        return ABSENT if v is None else ("bool", "true" if v else "false")
    if isinstance(v, (int, float, Decimal)):
        return ("number", repr(v) if isinstance(v, float) else format(v, "f") if isinstance(v, Decimal) else str(v))
    return ("object", json.dumps(v))


def matches(e, meter):
    if e["metric"] != meter.get("event", meter["key"]):
        return False
    for name, want in meter.get("where", {}).items():
        f = field(e, name)
        if f is ABSENT:
            return False
        kind, text = f
        if text != want and not (kind == "number" and _same_number(text, want)):
            return False
    return True


def _same_number(a, b):
    try:
        return Decimal(a) == Decimal(b)
    except Exception:
        return False


def contribution(e, meter):
    """What e adds to meter: None (nothing), a Decimal, or a unique text."""
    if not matches(e, meter):
        return None
    agg = meter.get("aggregation", "sum")
    if agg == "count":
        return Decimal(1)
    f = field(e, meter.get("value", "quantity"))
    if f is ABSENT:
        return None
    return f[1] if agg == "unique_count" else Decimal(f[1])


def reference(events, meter, tenant, start, end):
    """The meter's value for tenant over [start, end) (datetimes, UTC)."""
    return combine(meter, [(ts, c) for ts, c in contributions(events, meter, tenant) if start <= ts < end])


_CONTRIBUTIONS = {}


def contributions(events, meter, tenant):
    """(time, contribution) of each of tenant's events that feeds meter (memoized per table)."""
    key = (id(events), meter["key"], tenant)
    if key not in _CONTRIBUTIONS:
        out = []
        for e in events:
            if e["tenant"] == tenant:
                c = contribution(e, meter)
                if c is not None:
                    out.append((parse(e["timestamp"]), c))
        _CONTRIBUTIONS[key] = out
    return _CONTRIBUTIONS[key]


def combine(meter, values):
    """The meter's aggregation over (time, contribution) pairs."""
    agg = meter.get("aggregation", "sum")
    if not values:
        return Decimal(0)
    if agg in ("sum", "count"):
        return sum((v for _, v in values), Decimal(0))
    if agg == "max":
        return max(v for _, v in values)
    if agg == "latest":
        return max(values)[1]
    return Decimal(len({v for _, v in values}))


def parse(ts):
    return datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def iso(dt):
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def local_month(tenant, year, month):
    tz = ZoneInfo(ZONES[tenant]) if ZONES[tenant] else timezone.utc
    start = datetime(year, month, 1, tzinfo=tz).astimezone(timezone.utc)
    nxt = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=tz).astimezone(timezone.utc)
    return start, nxt


def as_decimal(x):
    return Decimal(str(x)) if not isinstance(x, Decimal) else x


def run_json(meter, *args, now=None):
    r = meter(*args, json=True, now=now)
    assert r.code in (0, 1), r
    return json.loads(r.out, parse_float=Decimal)


# ---- the property ----------------------------------------------------------

@pytest.mark.parametrize("seed", [1, 2])
def test_every_usage_path_agrees_with_the_reference(meter, seed):
    rng = random.Random(seed)
    _CONTRIBUTIONS.clear()
    meter.init(catalog())
    jan25, mar5 = datetime(2026, 1, 25, tzinfo=timezone.utc), datetime(2026, 3, 5, tzinfo=timezone.utc)
    first = make_events(rng, 400, f"s{seed}a", jan25, mar5)
    late = make_events(rng, 150, f"s{seed}b", jan25, mar5)  # arrive after the first roll-up
    path = meter.write("first.ndjson", "\n".join(ndjson(e) for e in first) + "\n")
    assert meter("ingest", path, now="2026-03-10T00:00:00Z").code == 0
    assert meter("aggregate").code == 0
    path = meter.write("late.ndjson", "\n".join(ndjson(e) for e in late) + "\n")
    assert meter("ingest", path, now="2026-03-10T00:00:00Z").code == 0
    assert meter("aggregate").code == 0
    events = first + late
    # Plan changes off the hour (and off the zone's own half hours).
    change = {t: datetime(2026, 2, 14, 10, 17, 23, tzinfo=timezone.utc) + timedelta(minutes=41 * i)
              for i, t in enumerate(ZONES)}
    for t, at in change.items():
        assert meter("tenants", "set-plan", t, "B", "--effective", iso(at)).code == 0

    verify = meter("aggregate", "--verify", json=True)
    assert verify.code == 0 and verify.json["drift"] == [], verify

    counters = {(t, m, h): (v, n, lt) for t, m, h, v, n, lt in stored_counters.counter_rows(meter.sql)}
    uniques = {}
    for t, m, h, v in stored_counters.unique_rows(meter.sql):
        uniques.setdefault((t, m, h), set()).add(v)
    buckets = {(p, m, t, b): v for p, m, t, b, v in
               meter.sql("SELECT period, meter, tenant_id, bucket, value FROM usage_rollups")}

    for m in METERS:
        key, agg = m["key"], m.get("aggregation", "sum")
        for tenant in ZONES:
            start, end = local_month(tenant, 2026, 2)
            want = reference(events, m, tenant, start, end)
            where = f"{key} for {tenant}"
            # aggregate's month bucket
            got = Decimal(buckets.get(("month", key, tenant, int(start.timestamp() * 1000)), 0)) / 10 ** 6
            assert got == want, f"month bucket of {where}"
            # ingest's hourly counters, hour by hour over February's whole hours
            by_hour = {}
            for ts, c in contributions(events, m, tenant):
                by_hour.setdefault(ts.replace(minute=0, second=0), []).append((ts, c))
            h = start.replace(minute=0, second=0) + (timedelta(hours=1) if start.minute else timedelta(0))
            while h + timedelta(hours=1) <= end:
                hw = combine(m, by_hour.get(h, []))
                ms = int(h.timestamp() * 1000)
                if agg == "unique_count":
                    hg = Decimal(len(uniques.get((tenant, key, ms), ())))
                else:
                    hg = Decimal(counters.get((tenant, key, ms), (0,))[0]) / 10 ** 6
                assert hg == hw, f"counter of {where} at {iso(h)}"
                h += timedelta(hours=1)

    for tenant in ZONES:
        start, end = local_month(tenant, 2026, 2)
        report = run_json(meter, "report", "usage", "--tenant", tenant, "--period", "2026-02", "--by", "meter")
        got = {r["meter"]: as_decimal(r["quantity"]) for r in report["rows"]}
        quota = run_json(meter, "quota", "status", "--tenant", tenant, now=iso(start + timedelta(days=10)))
        used = {r["meter"]: as_decimal(r["used"]) for r in quota["rows"]}
        inv = run_json(meter, "invoice", "generate", "--period", "2026-02", "--tenant", tenant, "--dry-run")
        lines = {(l["plan"], l["meter"]): as_decimal(l["quantity"])
                 for l in inv["invoices"][0]["lines"] if l.get("kind") == "usage"}
        for m in METERS:
            key = m["key"]
            want = reference(events, m, tenant, start, end)
            assert got.get(key, Decimal(0)) == want, f"report usage of {key} for {tenant}"
            assert used[key] == want, f"quota status of {key} for {tenant}"
            before = reference(events, m, tenant, start, change[tenant])
            after = reference(events, m, tenant, change[tenant], end)
            assert lines.get(("A", key), Decimal(0)) == before, f"invoice line (plan A) of {key} for {tenant}"
            assert lines.get(("B", key), Decimal(0)) == after, f"invoice line (plan B) of {key} for {tenant}"
