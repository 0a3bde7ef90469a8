"""End-to-end: the catalog's pricing-depth fields (SPEC sections 2 and 10):
filters, group_by, plan currency, minimum_commitment, trial_days, yearly
plans, tenants' billing_day and started_at. A bad value is refused with its
JSON path and the database unchanged; overlapping filters are applied with a
warning naming them."""
import copy
import json

CATALOG = {
    "currency": "USD",
    "meters": [{"key": "llm_tokens", "name": "LLM tokens", "value": "properties.tokens"},
               {"key": "storage_gb", "aggregation": "max"}],
    "plans": [
        {"key": "ai", "name": "AI", "currency": "EUR", "base_price": "1200.00", "interval": "year",
         "minimum_commitment": "300.00", "trial_days": 14,
         "charges": [
             {"meter": "llm_tokens", "model": "package", "package_size": 1000, "package_price": "0.002",
              "filters": [
                  {"name": "GPT-4o", "where": {"properties.model": "gpt-4o"}, "package_price": "0.01"},
                  {"where": {"properties.model": ["claude-sonnet", "claude-opus"]},
                   "model": "graduated", "package_size": None,
                   "tiers": [{"up_to": 1000000, "unit_price": "0.000012"},
                             {"up_to": None, "unit_price": "0.00001"}]}]},
             {"meter": "storage_gb", "model": "per_unit", "included": 10, "unit_price": "0.20",
              "group_by": "properties.project"}]},
        {"key": "pro", "name": "Pro", "base_price": "99.00"},
    ],
    "tenants": [{"id": "acme", "plan": "ai", "billing_day": 31, "started_at": "2026-01-15"},
                {"id": "globex", "plan": "pro"}],
}


def test_catalog_show_keeps_the_pricing_depth_fields(meter):
    meter.init(CATALOG)
    shown = meter("catalog", "show", json=True).json
    ai = shown["plans"][0]
    assert ai["currency"] == "EUR" and ai["interval"] == "year"
    assert ai["minimum_commitment"] == "300.00" or ai["minimum_commitment"] == "300"
    assert ai["trial_days"] == 14
    tokens = ai["charges"][0]
    assert [f.get("name") for f in tokens["filters"]] == ["GPT-4o", None]
    assert tokens["filters"][1]["where"] == {"properties.model": ["claude-sonnet", "claude-opus"]}
    assert tokens["filters"][1]["package_size"] is None  # the un-setting null is kept
    assert ai["charges"][1]["group_by"] == "properties.project"
    # Applying the same file again changes nothing.
    r = meter("catalog", "apply", meter.write("again.json", CATALOG), json=True)
    assert r.code == 0, r
    assert r.json["catalog_changed"] is False and r.json["tenants_updated"] == 0


def test_tenants_carry_billing_day_and_started_at(meter):
    meter.init(CATALOG)
    shown = meter("catalog", "show", json=True).json
    acme = next(t for t in shown["tenants"] if t["id"] == "acme")
    assert acme["billing_day"] == 31 and acme["started_at"] == "2026-01-15"
    globex = next(t for t in shown["tenants"] if t["id"] == "globex")
    assert "billing_day" not in globex and "started_at" not in globex


def bad(path_to_value, value):
    doc = copy.deepcopy(CATALOG)
    node = doc
    for key in path_to_value[:-1]:
        node = node[key]
    node[path_to_value[-1]] = value
    return doc


REFUSALS = [
    ((["plans", 0, "charges", 0, "filters", 0, "where"], {"model": "gpt-4o"}),
     "plans[0].charges[0].filters[0].where.model: is not an event field a filter can test"),
    ((["tenants", 0, "billing_day"], 32), "tenants[0].billing_day: must be a whole number from 1 to 31"),
    ((["tenants", 0, "billing_day"], 0), "tenants[0].billing_day: must be a whole number from 1 to 31"),
    ((["plans", 0, "currency"], "EUX"), "plans[0].currency: 'EUX' is not an ISO 4217 code"),
    ((["plans", 0, "trial_days"], -1), "plans[0].trial_days: must be a whole number from 0 to 3650"),
    ((["plans", 0, "minimum_commitment"], "-300.00"), "plans[0].minimum_commitment: must not be negative"),
]


def test_refusals_name_the_json_path_and_leave_the_database_unchanged(meter):
    meter.init(CATALOG)
    before = meter("catalog", "show", json=True).json
    for (path, value), message in REFUSALS:
        doc = bad(path, value)
        doc["tenants"].append({"id": "newco", "plan": "pro"})  # would be added if anything were written
        r = meter("catalog", "apply", meter.write("bad.json", doc))
        assert r.code == 65, (message, r)
        assert message in r.err, (message, r)
        assert len(r.err.strip().splitlines()) == 1, r
        assert meter("catalog", "show", json=True).json == before
        assert [t["id"] for t in meter("tenants", "list", json=True).json["tenants"]] == ["acme", "globex"]


def test_init_with_a_bad_catalog_creates_no_database(meter):
    r = meter("init", "--catalog", meter.write("bad.json", bad(["tenants", 0, "billing_day"], 40)))
    assert r.code == 65, r
    assert not (meter.dir / "meter.db").exists()


def test_overlapping_filters_apply_with_a_warning_naming_them(meter):
    doc = copy.deepcopy(CATALOG)
    doc["plans"][0]["charges"][0]["filters"][0]["where"] = {"properties.model": ["gpt-4o", "claude-opus"]}
    r = meter("init", "--catalog", meter.write("overlap.json", doc))
    assert r.code == 0, r
    assert ("meter: warning: plans[0].charges[0].filters[0] and filters[1]: filters 'GPT-4o' and "
            "'model=claude-sonnet|claude-opus' overlap") in r.err
    shown = meter("catalog", "show", json=True).json
    assert shown["plans"][0]["charges"][0]["filters"][0]["where"]["properties.model"] == ["gpt-4o", "claude-opus"]


def test_disjoint_filters_apply_without_a_warning(meter):
    r = meter("init", "--catalog", meter.write("c.json", CATALOG))
    assert r.code == 0, r
    assert "warning" not in r.err


def test_tenants_add_takes_started_at_and_billing_day(meter):
    meter.init(CATALOG)
    r = meter("tenants", "add", "initech", "--plan", "pro", "--started-at", "2026-02-10", "--billing-day", "15")
    assert r.code == 0, r
    t = next(t for t in meter("catalog", "show", json=True).json["tenants"] if t["id"] == "initech")
    assert t["started_at"] == "2026-02-10" and t["billing_day"] == 15
    r = meter("tenants", "add", "hooli", "--plan", "pro", "--started-at", "2026-02-30")
    assert r.code == 2, r
    assert "started_at: '2026-02-30' is not a date" in r.err
    r = meter("tenants", "add", "hooli", "--plan", "pro", "--billing-day", "32")
    assert r.code == 2, r
    assert "billing_day" in r.err
