"""Property test (issue 12, item 3): every path that counts usage agrees
exactly with an independent reference, over generated events.

For each seed: meters of all five aggregations (with `where` on a property and
on a native field), decimal quantities with up to 6 places, duplicates, late
events ingested after a roll-up, tenants in UTC and in zones off the whole
hour (Asia/Kolkata +05:30, Asia/Kathmandu +05:45, America/St_Johns -03:30),
and a plan change off the hour. The reference below is plain Python over
the generated events; `report usage`, `quota status`, invoice line
quantities and `aggregate --verify` must all match it to the last digit."""
import json
import random
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

METERS = [
    {"key": "s", "event": "use", "aggregation": "sum"},
    {"key": "c", "event": "use", "aggregation": "count", "where": {"properties.region": "eu"}},
    {"key": "mx", "event": "use", "aggregation": "max", "value": "properties.v"},
    {"key": "u", "event": "use", "aggregation": "unique_count", "value": "user"},
    {"key": "lt", "event": "use", "aggregation": "latest", "value": "properties.v"},
    {"key": "w", "event": "use", "aggregation": "sum", "where": {"operation": "write"}},
]
TENANTS = {"t0": "UTC", "t1": "Asia/Kolkata", "t2": "Asia/Kathmandu", "t3": "America/St_Johns"}
# t1 moves from plan A to plan B at an instant off the hour.
CHANGE = datetime(2026, 2, 14, 7, 20, 30, tzinfo=timezone.utc)
SPAN_START = datetime(2026, 1, 30, tzinfo=timezone.utc)
SPAN_SECONDS = 32 * 86400
NOW = "2026-03-05T00:00:00Z"  # after every event: ingest refuses future ones
IN_FEBRUARY = "2026-02-20T12:00:00Z"


def plan(key, price):
    return {"key": key, "name": key, "base_price": "0",
            "charges": [{"meter": m["key"], "model": "per_unit", "unit_price": price} for m in METERS],
            "limits": [{"meter": m["key"], "limit": 10 ** 12, "period": "month", "enforcement": "soft"}
                       for m in METERS]}


def catalog():
    return {"currency": "USD", "tax": {"name": "VAT", "rate": "0"}, "meters": METERS,
            "plans": [plan("A", "1"), plan("B", "2")],
            "tenants": [{"id": t, "name": t, "plan": "A", "timezone": tz} for t, tz in TENANTS.items()]}


def rfc3339(t):
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def decimal_text(rng):
    """A positive decimal with 0 to 6 places, as exact text."""
    places = rng.randint(0, 6)
    return str(Decimal(rng.randint(1, 10 ** 9)).scaleb(-places))


def generate(seed, n=160):
    rng = random.Random(seed)
    events = []
    for i in range(n):
        t = SPAN_START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        events.append({"id": f"e{seed}_{i}", "tenant": rng.choice(list(TENANTS)), "ts": t,
                       "quantity": decimal_text(rng), "v": decimal_text(rng),
                       "user": f"user{rng.randint(1, 6)}", "operation": rng.choice(["read", "write"]),
                       "region": rng.choice(["eu", "us"])})
    # Events on the edges that matter: local midnights of the zones and the plan change.
    for k, edge in enumerate(["2026-01-31T18:30:00Z", "2026-01-31T18:15:00Z", "2026-02-01T03:30:00Z",
                              "2026-02-28T18:29:59Z", "2026-03-01T03:29:59Z", rfc3339(CHANGE)]):
        t = datetime.fromisoformat(edge.replace("Z", "+00:00"))
        for tenant in TENANTS:
            events.append({"id": f"edge{seed}_{k}_{tenant}", "tenant": tenant, "ts": t,
                           "quantity": decimal_text(rng), "v": decimal_text(rng), "user": "edge",
                           "operation": "write", "region": "eu"})
    return events


def line(e):
    # Quantities are written as JSON numbers from their exact text.
    return ('{"id": "%s", "tenant": "%s", "metric": "use", "timestamp": "%s", "quantity": %s, "user": "%s", '
            '"operation": "%s", "properties": {"v": %s, "region": "%s"}}'
            % (e["id"], e["tenant"], rfc3339(e["ts"]), e["quantity"], e["user"], e["operation"], e["v"],
               e["region"]))


def reference(events, tenant, start, end):
    """Each meter's value over [start, end) for `tenant`, as the spec defines it."""
    mine = [e for e in events if e["tenant"] == tenant and start <= e["ts"] < end]
    out = {}
    s = [Decimal(e["quantity"]) for e in mine]
    out["s"] = sum(s, Decimal(0)) if s else None
    c = [e for e in mine if e["region"] == "eu"]
    out["c"] = Decimal(len(c)) if c else None
    out["mx"] = max(Decimal(e["v"]) for e in mine) if mine else None
    out["u"] = Decimal(len({e["user"] for e in mine})) if mine else None
    if mine:
        latest = max(mine, key=lambda e: (e["ts"], Decimal(e["v"])))
        out["lt"] = Decimal(latest["v"])
    w = [Decimal(e["quantity"]) for e in mine if e["operation"] == "write"]
    out["w"] = sum(w, Decimal(0)) if w else None
    return {k: v for k, v in out.items() if v is not None and v != 0}


def exact(r):
    assert r.code == 0, r
    return json.loads(r.out, parse_float=Decimal, parse_int=Decimal)


def local_month(tz):
    z = ZoneInfo(tz)
    start = datetime(2026, 2, 1, tzinfo=z).astimezone(timezone.utc)
    end = datetime(2026, 3, 1, tzinfo=z).astimezone(timezone.utc)
    return start, end


def nonzero(pairs):
    return {k: v for k, v in pairs if v != 0}


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_every_usage_path_agrees_with_the_reference(meter, seed):
    events = generate(seed)
    meter.init(catalog())
    meter.now = NOW
    assert meter("tenants", "set-plan", "t1", "B", "--effective", rfc3339(CHANGE)).code == 0
    # Two thirds first (with a few duplicates sent twice), a roll-up, then the
    # rest: late events landing in hours already rolled up.
    rng = random.Random(seed)
    rng.shuffle(events)
    cut = len(events) * 2 // 3
    first, late = events[:cut], events[cut:]
    lines_first = [line(e) for e in first] + [line(e) for e in first[:10]]
    r = meter("ingest", meter.write("first.ndjson", lines_first))
    assert r.code == 0, r
    assert meter("aggregate").code == 0
    r = meter("ingest", meter.write("late.ndjson", [line(e) for e in late] + [line(e) for e in late[:5]]))
    assert r.code == 0, r
    assert meter("aggregate").code == 0
    r = meter("aggregate", "--verify")
    assert r.code == 0, r

    for tenant, tz in TENANTS.items():
        start, end = local_month(tz)
        want = reference(events, tenant, start, end)
        rows = exact(meter("report", "usage", "--tenant", tenant, "--period", "2026-02", "--by", "meter",
                           json=True))["rows"]
        assert nonzero((row["meter"], row["quantity"]) for row in rows) == want, (tenant, "report usage")
        status = exact(meter("quota", "status", "--tenant", tenant, json=True, now=IN_FEBRUARY))["rows"]
        assert nonzero((row["meter"], row["used"]) for row in status) == want, (tenant, "quota status")

        inv = exact(meter("invoice", "generate", "--period", "2026-02", "--tenant", tenant, "--dry-run",
                          json=True))["invoices"][0]
        assert inv["period_start"] == rfc3339(start) and inv["period_end"] == rfc3339(end)
        segments = [("A", start, CHANGE), ("B", CHANGE, end)] if tenant == "t1" else [("A", start, end)]
        for plan_key, seg_start, seg_end in segments:
            got = nonzero((l["meter"], l["quantity"]) for l in inv["lines"]
                          if l.get("kind") == "usage" and l["plan"] == plan_key)
            assert got == reference(events, tenant, seg_start, seg_end), (tenant, plan_key, "invoice")
