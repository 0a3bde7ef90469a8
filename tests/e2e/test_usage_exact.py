"""Usage counted exactly over any [start, end) (issue 12, item 6): periods in
zones off the whole hour and plan changes off the hour. Each regression test
names what it pins and opens with the bug it was."""


def catalog(tz=None, tenants=None):
    return {
        "currency": "USD",
        "tax": {"name": "VAT", "rate": "0"},
        "meters": [{"key": "gb", "aggregation": "sum"},
                   {"key": "peak", "event": "gb", "aggregation": "max"},
                   {"key": "users", "event": "gb", "aggregation": "unique_count", "value": "user"}],
        "plans": [
            {"key": "A", "name": "A", "base_price": "0",
             "charges": [{"meter": "gb", "model": "per_unit", "unit_price": "1.00"}],
             "limits": [{"meter": "gb", "limit": 1000, "period": "month", "enforcement": "hard"}]},
            {"key": "B", "name": "B", "base_price": "0",
             "charges": [{"meter": "gb", "model": "per_unit", "unit_price": "100.00"}]},
        ],
        "tenants": tenants or [dict({"id": "u", "name": "U", "plan": "A"}, **({"timezone": tz} if tz else {}))],
    }


def event(eid, ts, quantity=1, tenant="u", user="x"):
    return {"id": eid, "tenant": tenant, "metric": "gb", "quantity": quantity, "timestamp": ts, "user": user}


def invoice(meter, tenant="u", period="2026-02"):
    r = meter("invoice", "generate", "--period", period, "--tenant", tenant, "--dry-run", json=True)
    assert r.code == 0, r
    return r.json["invoices"][0]


def usage_lines(inv):
    return [l for l in inv["lines"] if l.get("kind") == "usage"]


def test_kolkata_month_bills_only_the_events_of_its_local_days(meter):
    # Bug: usage was counted over the period rounded to whole UTC hours. For a
    # tenant in Asia/Kolkata (+05:30) February starts 2026-01-31T18:30Z: the
    # event at 18:45Z (local Feb 1) fell in the dropped hour and the one at
    # 2026-02-28T18:45Z (local Mar 1) in the kept one, so February billed 10
    # instead of 1, although the invoice's period_start was right.
    meter.init(catalog("Asia/Kolkata"))
    events = [event("feb1", "2026-01-31T18:45:00Z", 1), event("mar1", "2026-02-28T18:45:00Z", 10)]
    r = meter("ingest", meter.write("e.ndjson", events), now="2026-03-05T00:00:00Z")
    assert r.code == 0, r
    inv = invoice(meter)
    assert inv["period_start"] == "2026-01-31T18:30:00Z"
    assert [(l["quantity"], l["amount"]) for l in usage_lines(inv)] == [(1, "1.00")]
    assert [(l["quantity"], l["amount"]) for l in usage_lines(invoice(meter, period="2026-03"))] == [(10, "10.00")]


def test_kathmandu_and_st_johns_months_count_exactly_everywhere(meter):
    # The same rounding for Asia/Kathmandu (+05:45) and America/St_Johns
    # (-03:30): quota status, report usage and invoices all read the local month.
    meter.init(catalog(tenants=[{"id": "np", "name": "NP", "plan": "A", "timezone": "Asia/Kathmandu"},
                                {"id": "nl", "name": "NL", "plan": "A", "timezone": "America/St_Johns"}]))
    events = [
        # Kathmandu: February starts 2026-01-31T18:15Z.
        event("np0", "2026-01-31T18:10:00Z", 100, "np", "a"), event("np1", "2026-01-31T18:20:00Z", 2, "np", "b"),
        event("np2", "2026-02-10T09:00:00Z", 3, "np", "b"), event("np3", "2026-02-28T18:20:00Z", 1000, "np", "c"),
        # St John's: February starts 2026-02-01T03:30Z (UTC-03:30).
        event("nl0", "2026-02-01T03:10:00Z", 100, "nl", "a"), event("nl1", "2026-02-01T03:40:00Z", 5, "nl", "b"),
        event("nl2", "2026-03-01T03:20:00Z", 7, "nl", "c"), event("nl3", "2026-03-01T03:45:00Z", 1000, "nl", "d"),
    ]
    assert meter("ingest", meter.write("e.ndjson", events), now="2026-03-02T00:00:00Z").code == 0
    assert [l["quantity"] for l in usage_lines(invoice(meter, "np"))] == [5]
    assert [l["quantity"] for l in usage_lines(invoice(meter, "nl"))] == [12]
    status = meter("quota", "status", "--tenant", "np", json=True, now="2026-02-20T00:00:00Z")
    assert status.code == 0, status
    assert [row["used"] for row in status.json["rows"] if row["meter"] == "gb"] == [5]
    rows = meter("report", "usage", "--tenant", "nl", "--period", "2026-02", "--by", "meter", json=True).json["rows"]
    assert {r["meter"]: r["quantity"] for r in rows} == {"gb": 12, "peak": 7, "users": 2}


def test_plan_change_off_the_hour_bills_each_event_under_the_plan_in_force(meter):
    # Bug: `tenants set-plan u B --effective 2026-02-15T10:30:00Z` with an
    # event at 10:45Z billed it under the old plan: each plan's usage was
    # counted over its segment rounded to whole UTC hours.
    meter.init(catalog())
    events = [event("before", "2026-02-15T10:15:00Z", 1), event("after", "2026-02-15T10:45:00Z", 2)]
    assert meter("ingest", meter.write("e.ndjson", events), now="2026-03-01T00:00:00Z").code == 0
    assert meter("tenants", "set-plan", "u", "B", "--effective", "2026-02-15T10:30:00Z").code == 0
    lines = {l["plan"]: (l["quantity"], l["amount"]) for l in usage_lines(invoice(meter))}
    assert lines == {"A": (1, "1.00"), "B": (2, "200.00")}


def test_bare_effective_date_is_local_midnight_for_usage_and_proration(meter):
    # Bug: a bare `--effective 2026-02-15` for a tenant in Asia/Tokyo was read
    # as UTC midnight for usage but as local midnight for proration: usage at
    # 03:00 local on Feb 15 (Feb 14 18:00Z) was billed under the old plan
    # while the base price was prorated from local Feb 15. A date means local
    # midnight in the tenant's zone, one instant for both.
    c = catalog("Asia/Tokyo")
    c["plans"][0]["base_price"] = "28.00"
    c["plans"][1]["base_price"] = "56.00"
    meter.init(c)
    events = [event("before", "2026-02-14T14:00:00Z", 1), event("after", "2026-02-14T18:00:00Z", 2)]
    assert meter("ingest", meter.write("e.ndjson", events), now="2026-03-01T00:00:00Z").code == 0
    r = meter("tenants", "set-plan", "u", "B", "--effective", "2026-02-15")
    assert r.code == 0, r
    assert "2026-02-14T15:00:00Z" in r.err
    inv = invoice(meter)
    lines = {l["plan"]: (l["quantity"], l["amount"]) for l in usage_lines(inv)}
    assert lines == {"A": (1, "1.00"), "B": (2, "200.00")}
    base = [(l["plan"], l["days"]) for l in inv["lines"] if l.get("kind") == "base"]
    assert base == [("A", 14), ("B", 14)]
    history = meter("tenants", "show", "u", json=True).json["plan_history"]
    assert history[-1] == {"plan": "B", "effective_from": "2026-02-14T15:00:00Z"}
