"""Acceptance tests for SPEC section 2 (the catalog file), written from the SPEC
alone with catalogs and numbers of our own: apply / show / idempotence,
comments, refusals naming the JSON path (database unchanged), meters and their
aggregations, the four charge models with inclusive tier bounds, overage false,
mid-period plan changes, and finalized invoices that a catalog change never
rewrites."""
import json

import pytest

from acceptance import (D, assert_one_line_error, ev, generate, invoice_list, line_amount,
                        lines_by_meter, loads_exact, shop_catalog, show)

FEB = "2026-02"
AFTER_FEB = "2026-03-02T00:00:00Z"


def test_init_apply_show_roundtrip_and_idempotent(meter):
    cat = shop_catalog()
    cat["webhooks"] = [{"url": "http://127.0.0.1:9/h", "events": ["invoice.*"], "tenant": None,
                        "secret": "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="}]
    path = meter.write("cat.json", cat)
    meter("init", "--catalog", path, check=True)
    first = meter("catalog", "show", json=True)
    assert first.code == 0, first
    shown = first.json
    assert [m["key"] for m in shown["meters"]] == [m["key"] for m in cat["meters"]]
    assert [p["key"] for p in shown["plans"]] == ["starter", "growth", "scale"]
    assert {t["id"] for t in shown["tenants"]} == {"kite", "lynx"}
    assert shown["currency"] == "USD"
    # applying the same file again changes nothing
    r = meter("catalog", "apply", path)
    assert r.code == 0, r
    assert meter("catalog", "show", json=True).json == shown
    assert len(meter("webhooks", "list", json=True).out.split("127.0.0.1:9/h")) == 2
    human = meter("catalog", "show")
    assert human.code == 0 and "starter" in human.out and "widgets" in human.out


def test_catalog_allows_comments(meter):
    text = json.dumps(shop_catalog(), indent=1)
    text = "// a line comment\n/* a block\n comment */\n" + text.replace(
        '"currency": "USD",', '"currency": "USD", // trailing comment', 1)
    path = meter.write("cat.jsonc", text)
    r = meter("init", "--catalog", path)
    assert r.code == 0, r
    assert meter("catalog", "show", json=True).json["currency"] == "USD"


@pytest.mark.parametrize("mutate,path_fragment", [
    (lambda c: c["plans"][1]["charges"][0].update(meter="nosuch"), "plans[1].charges[0]"),
    (lambda c: c["plans"][0]["charges"][0].update(model="flat_rate"), "plans[0].charges[0]"),
    (lambda c: c["tenants"][1].update(plan="platinum"), "tenants[1]"),
    (lambda c: c["plans"][2]["limits"][0].update(meter="ghost"), "plans[2].limits[0]"),
    (lambda c: c["meters"][3].update(aggregation="median"), "meters[3]"),
    (lambda c: c["plans"][0]["charges"][0].update(unit_price="-0.05"), "plans[0].charges[0]"),
])
def test_refusal_names_the_json_path_and_changes_nothing(meter, mutate, path_fragment):
    meter.init(shop_catalog())
    before = meter("catalog", "show", json=True).out
    bad = shop_catalog()
    bad["tenants"].append({"id": "newco", "plan": "starter"})   # would be added if applied
    mutate(bad)
    r = meter("catalog", "apply", meter.write("bad.json", bad))
    assert_one_line_error(r, 65, path_fragment)
    assert meter("catalog", "show", json=True).out == before
    assert "newco" not in meter("tenants", "list").out


def test_malformed_catalog_is_refused_in_one_line(meter):
    r = meter("init", "--catalog", meter.write("broken.json", '{"currency": "USD", "meters": [}'))
    assert r.code in (65, 2), r
    assert_one_line_error(r, r.code)


def test_init_with_missing_catalog_file_is_66(meter):
    r = meter("init", "--catalog", meter.dir / "absent.json")
    assert_one_line_error(r, 66, "absent.json")


AGG_CATALOG = {
    "currency": "USD",
    "meters": [
        {"key": "calls"},
        {"key": "call_count", "event": "calls", "aggregation": "count"},
        {"key": "peak", "event": "calls", "aggregation": "max"},
        {"key": "users", "event": "calls", "aggregation": "unique_count", "value": "user"},
        {"key": "last_temp", "event": "temp", "aggregation": "latest"},
        {"key": "eu_bytes", "event": "calls", "where": {"properties.region": "eu"}, "value": "properties.bytes"},
        {"key": "exports", "event": "calls", "where": {"operation": "export"}, "aggregation": "count"},
    ],
    "plans": [{"key": "flat", "base_price": "0", "charges": [
        {"meter": m, "model": "per_unit", "unit_price": "1"}
        for m in ("calls", "call_count", "peak", "users", "last_temp", "eu_bytes", "exports")]}],
    "tenants": [{"id": "t1", "plan": "flat"}, {"id": "t2", "plan": "flat"}],
}

AGG_EVENTS = [
    ev(1, "t1", "calls", "2026-02-01T08:00:00Z", 3, user="u1", operation="export",
       properties={"region": "eu", "bytes": 100}),
    ev(2, "t1", "calls", "2026-02-02T08:00:00Z", 7, user="u2", operation="import",
       properties={"region": "us", "bytes": 50}),
    ev(3, "t1", "calls", "2026-02-03T08:00:00Z", 2, user="u1", operation="export",
       properties={"region": "eu", "bytes": 25}),
    ev(4, "t1", "temp", "2026-02-10T00:00:00Z", "18.25"),   # the latest by time, ingested first
    ev(5, "t1", "temp", "2026-02-04T00:00:00Z", 20.5),
    ev(6, "t1", "temp", "2026-02-05T00:00:00Z", 30),
    ev(7, "t2", "calls", "2026-02-05T00:00:00Z", 1, user="u9"),   # other tenant: not counted for t1
    ev(8, "t1", "calls", "2026-01-31T23:59:59Z", 100, user="u3"),  # January: not counted
]
AGG_EXPECTED = {"calls": D(12), "call_count": D(3), "peak": D(7), "users": D(2),
                "last_temp": D("18.25"), "eu_bytes": D(125), "exports": D(2)}


def test_meter_aggregations_events_and_where_filters(meter):
    meter.init(AGG_CATALOG)
    meter.now = AFTER_FEB
    r = meter.ingest(AGG_EVENTS)
    assert r.code == 0, r
    inv = generate(meter, FEB, "t1")
    got = {key: D(lines[0]["quantity"]) for key, lines in lines_by_meter(inv).items()}
    assert got == AGG_EXPECTED
    # the same figures in report usage (month buckets)
    r = meter("report", "usage", "--tenant", "t1", "--period", FEB, "--by", "month", json=True)
    assert r.code == 0, r
    usage = {row["meter"]: D(row["quantity"]) for row in loads_exact(r.out)["rows"]}
    assert usage == AGG_EXPECTED


PRICING_CATALOG = {
    "currency": "USD",
    "tax": {"name": "Sales tax", "rate": "0.08"},
    "invoice": {"number_prefix": "P-", "net_days": 7},
    "meters": [{"key": k} for k in ("units", "grad", "gflat", "vol", "pkg")],
    "plans": [{"key": "mix", "name": "Mix", "base_price": "0", "charges": [
        {"meter": "units", "model": "per_unit", "included": 10, "unit_price": "0.125"},
        {"meter": "grad", "model": "graduated", "tiers": [
            {"up_to": 1000, "unit_price": "0.10"}, {"up_to": 10000, "unit_price": "0.05"},
            {"up_to": None, "unit_price": "0.01"}]},
        {"meter": "gflat", "model": "graduated", "tiers": [
            {"up_to": 5, "unit_price": "0", "flat_price": "10.00"},
            {"up_to": 20, "unit_price": "1.00", "flat_price": "2.50"},
            {"up_to": None, "unit_price": "0.50"}]},
        {"meter": "vol", "model": "volume", "tiers": [
            {"up_to": 5, "unit_price": "7"}, {"up_to": 10, "unit_price": "6.5"},
            {"up_to": None, "unit_price": "6", "flat_price": "5.00"}]},
        {"meter": "pkg", "model": "package", "included": 1000, "package_size": 250, "package_price": "1.10"},
    ]}],
    "tenants": [{"id": "big", "plan": "mix"}, {"id": "edge", "plan": "mix"}],
}


def _usage(tenant, quantities, day=12):
    return [ev(f"{tenant}-{k}", tenant, k, f"2026-02-{day:02d}T12:00:00Z", q) for k, q in quantities.items()]


@pytest.mark.parametrize("tenant,quantities,amounts,subtotal,tax,total", [
    # 17 x 0.125 = 2.125 -> 2.13 (half away from zero); graduated 1000x0.10 + 9000x0.05 + 5000x0.01;
    # 5 x 0 + 10 flat + 15 x 1 + 2.50 flat + 5 x 0.50; volume 6 -> all at 6.5; 1 unit over -> 1 package
    ("big", {"units": 27, "grad": 15000, "gflat": 25, "vol": 6, "pkg": 1001},
     {"units": "2.13", "grad": "600.00", "gflat": "30.00", "vol": "39.00", "pkg": "1.10"},
     "672.23", "53.78", "726.01"),
    # tier bounds are inclusive: 1000 stays in tier 1, 5 in tier 1 (only its flat), 20 -> 20 x 6 + 5 flat
    ("edge", {"units": 10, "grad": 1000, "gflat": 5, "vol": 20, "pkg": 1500},
     {"units": "0.00", "grad": "100.00", "gflat": "10.00", "vol": "125.00", "pkg": "2.20"},
     "237.20", "18.98", "256.18"),
])
def test_charge_models(meter, tenant, quantities, amounts, subtotal, tax, total):
    meter.init(PRICING_CATALOG)
    meter.now = AFTER_FEB
    assert meter.ingest(_usage(tenant, quantities)).code == 0
    inv = generate(meter, FEB, tenant)
    for key, amount in amounts.items():
        assert line_amount(inv, key) == D(amount), (key, inv["lines"])
    assert (inv["subtotal"], inv["tax"], inv["total"]) == (subtotal, tax, total)


def test_volume_boundary_five_units(meter):
    meter.init(PRICING_CATALOG)
    meter.now = AFTER_FEB
    meter.ingest(_usage("big", {"vol": 5}))
    assert line_amount(generate(meter, FEB, "big"), "vol") == D("35.00")


def test_overage_false_bills_nothing_beyond_included_and_caps_limits(meter):
    cat = shop_catalog()
    cat["plans"].insert(0, {
        "key": "capped", "base_price": "5.00", "overage": False,
        "charges": [{"meter": "widgets", "model": "per_unit", "included": 100, "unit_price": "1.00"}],
        "limits": [{"meter": "widgets", "limit": 120, "period": "month", "enforcement": "soft"}]})
    cat["tenants"].append({"id": "cap", "plan": "capped"})
    meter.init(cat)
    meter.now = "2026-02-20T00:00:00Z"
    assert meter.ingest([ev(1, "cap", "widgets", "2026-02-10T00:00:00Z", 110)]).code == 0
    r = meter("quota", "check", "--tenant", "cap", "--metric", "widgets", "--amount", "11", json=True)
    assert r.code == 1, r
    assert r.json["allowed"] is False
    assert meter("quota", "check", "--tenant", "cap", "--metric", "widgets", "--amount", "10").code == 0
    meter.now = AFTER_FEB
    inv = generate(meter, FEB, "cap")
    assert line_amount(inv, "widgets") == D("0.00")
    assert inv["subtotal"] == "5.00"


def test_mid_period_plan_change_prorates_base_and_prices_usage_by_plan_in_force(meter):
    cat = {
        "currency": "USD",
        "meters": [{"key": "widgets"}],
        "plans": [
            {"key": "a", "base_price": "28.00",
             "charges": [{"meter": "widgets", "model": "per_unit", "unit_price": "0.10"}]},
            {"key": "b", "base_price": "56.00",
             "charges": [{"meter": "widgets", "model": "per_unit", "unit_price": "0.20"}]},
        ],
        "tenants": [{"id": "mover", "plan": "a"}],
    }
    meter.init(cat)
    meter.now = "2026-02-20T00:00:00Z"
    r = meter("tenants", "set-plan", "mover", "b", "--effective", "2026-02-15")
    assert r.code == 0, r
    assert meter.ingest([ev(1, "mover", "widgets", "2026-02-14T23:59:59Z", 10),
                         ev(2, "mover", "widgets", "2026-02-15T00:00:00Z", 10)]).code == 0
    meter.now = AFTER_FEB
    inv = generate(meter, FEB, "mover")
    base = sorted(D(line["amount"]) for line in inv["lines"] if not line.get("meter"))
    assert base == [D("14.00"), D("28.00")]
    usage = sorted(D(line["amount"]) for line in inv["lines"] if line.get("meter") == "widgets")
    assert usage == [D("1.00"), D("2.00")]
    assert inv["subtotal"] == "45.00"


def test_a_catalog_change_never_rewrites_a_finalized_invoice(meter):
    meter.init(shop_catalog())
    meter.now = AFTER_FEB
    meter.ingest([ev(1, "kite", "widgets", "2026-02-10T00:00:00Z", 300)])
    inv = generate(meter, FEB, "kite")
    assert inv["total"] == "21.85"          # 9.00 + 200 x 0.05 = 19.00, +15 % = 21.85
    r = meter("invoice", "finalize", inv["id"])
    assert r.code == 0, r
    number = invoice_list(meter, "--tenant", "kite")[0]["number"]
    assert number == "WID-2026-000001"
    before = meter("invoice", "show", number, json=True).out
    cat = shop_catalog()
    cat["plans"][0]["base_price"] = "19.00"
    cat["plans"][0]["charges"][0]["unit_price"] = "0.50"
    cat["tax"]["rate"] = "0.25"
    assert meter("catalog", "apply", meter.write("cat2.json", cat)).code == 0
    assert meter("invoice", "generate", "--period", FEB).code == 0
    assert meter("invoice", "show", number, json=True).out == before
    assert show(meter, number)["total"] == "21.85"


def test_meter_name_and_unit_are_read_by_people_json_keeps_the_key(meter):
    meter.init(shop_catalog())
    meter.now = AFTER_FEB
    meter.ingest([ev(1, "kite", "widgets", "2026-02-10T00:00:00Z", 150)])
    inv = generate(meter, FEB, "kite")
    assert "widgets" in lines_by_meter(inv)
    text = meter("invoice", "show", inv["id"])
    assert text.code == 0 and "Widgets built" in text.out, text
    rep = meter("report", "usage", "--tenant", "kite", "--period", FEB, "--by", "month")
    assert rep.code == 0 and "Widgets built" in rep.out, rep
    rep = meter("report", "usage", "--tenant", "kite", "--period", FEB, "--by", "month", json=True)
    assert {row["meter"] for row in rep.json["rows"]} == {"widgets"}


def test_invoice_text_shows_the_meters_unit(meter):
    # SPEC 2: a meter's `name` and `unit` "are what people read on invoices, reports
    # and the dashboard". Our starter plan bills "Widgets built", unit "widgets".
    cat = shop_catalog()
    cat["meters"][0].update(name="Assembled widgets", unit="pcs")
    meter.init(cat)
    meter.now = AFTER_FEB
    meter.ingest([ev(1, "kite", "widgets", "2026-02-10T00:00:00Z", 150)])
    inv = generate(meter, FEB, "kite")
    for fmt in ("text", "md", "html"):
        r = meter("invoice", "show", inv["id"], "--format", fmt)
        assert r.code == 0, r
        assert "Assembled widgets" in r.out, (fmt, r.out)
        assert "pcs" in r.out, (fmt, r.out)


def test_catalog_show_prints_meter_names_units_and_the_number_form(meter):
    # SPEC 2: `catalog show` prints the catalog in force, and a meter's name and unit
    # are what people read; its table showed neither (only key, event, aggregation),
    # and announced numbers as "WID-NNNN" where SPEC 7 numbers read WID-2026-000001.
    cat = shop_catalog()
    cat["meters"][1]["name"] = "Disk space"
    meter.init(cat)
    out = meter("catalog", "show").out
    row = next(line for line in out.splitlines() if line.startswith("gigabytes"))
    assert "Disk space" in row and " GB " in row + " ", out
    assert "Widgets built" in out
    assert "WID-YYYY-NNNNNN" in out and "WID-NNNN," not in out


def test_catalog_show_prints_tenants_coupons_and_webhooks_in_force(meter):
    # Found by review9: SPEC 3 has `catalog show` print meters, plans, tenants and
    # webhooks; its text printed only a tenant count, no coupon and no endpoint,
    # and its --json always had "webhooks": [] (endpoints live in their own table).
    cat = shop_catalog()
    cat["coupons"] = [{"code": "SPRING", "percent_off": "12.5", "duration": "repeating", "months": 2}]
    cat["webhooks"] = [{"url": "http://127.0.0.1:9/in", "events": ["invoice.*"], "tenant": "kite",
                        "secret": "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="}]
    meter.init(cat)
    assert meter("webhooks", "add", "--url", "http://127.0.0.1:9/other").code == 0
    shown = meter("catalog", "show", json=True)
    assert shown.code == 0, shown
    hooks = sorted(shown.json["webhooks"], key=lambda w: w["url"])
    assert [(w["url"], w["tenant"], w["events"]) for w in hooks] == [
        ("http://127.0.0.1:9/in", "kite", ["invoice.*"]), ("http://127.0.0.1:9/other", None, [])]
    assert all("secret" not in w for w in hooks)
    text = meter("catalog", "show").out
    for word in ("kite", "Kite Ltd", "lynx", "SPRING", "12.5 %", "http://127.0.0.1:9/in", "http://127.0.0.1:9/other"):
        assert word in text, (word, text)
    assert "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=" not in text + shown.out

