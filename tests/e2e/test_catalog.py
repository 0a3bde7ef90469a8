"""End-to-end: init, catalog apply/show, tenants."""
import json
import os
import stat

import pytest

CATALOG = {
    "currency": "USD",
    "tax": {"name": "VAT", "rate": "0.10"},
    "invoice": {"number_prefix": "INV-", "net_days": 14},
    "meters": [{"key": "api_calls"}, {"key": "storage_gb", "aggregation": "max"}],
    "plans": [
        {"key": "free", "base_price": "0", "overage": False,
         "limits": [{"meter": "api_calls", "limit": 100, "period": "day", "enforcement": "hard"}]},
        {"key": "pro", "name": "Pro", "base_price": "99.00",
         "charges": [{"meter": "api_calls", "model": "per_unit", "included": 1000, "unit_price": "0.001"}]},
    ],
    "tenants": [{"id": "acme", "name": "Acme", "plan": "pro"}],
}


@pytest.mark.sqlite_only("the mode of the database file")
def test_init_creates_database_with_mode_0600(meter):
    meter.init(CATALOG)
    mode = stat.S_IMODE(os.stat(meter.db).st_mode)
    assert mode == 0o600


def test_apply_twice_changes_nothing(meter):
    meter.init(CATALOG)
    path = meter.write("catalog.json", CATALOG)
    r = meter("catalog", "apply", path, json=True)
    assert r.code == 0, r
    assert r.json == {"catalog_changed": False, "tenants_added": 0, "tenants_updated": 0,
                      "plan_changes": 0, "webhooks_added": 0}


def test_bad_catalog_names_path_and_leaves_database_unchanged(meter):
    meter.init(CATALOG)
    before = meter("catalog", "show", json=True).json
    bad = json.loads(json.dumps(CATALOG))
    bad["plans"][1]["charges"][0]["meter"] = "api_call"
    bad["tenants"].append({"id": "globex", "plan": "free"})
    r = meter("catalog", "apply", meter.write("bad.json", bad))
    assert r.code == 65, r
    assert "plans[1].charges[0]: unknown meter 'api_call'" in r.err
    assert meter("catalog", "show", json=True).json == before
    assert [t["id"] for t in meter("tenants", "list", json=True).json["tenants"]] == ["acme"]


def test_missing_catalog_file_exits_66(meter):
    r = meter("init", "--catalog", "nope.json")
    assert r.code == 66, r
    assert "nope.json" in r.err


def test_command_on_missing_database_exits_66(meter):
    r = meter("tenants", "list")
    assert r.code == 66, r
    assert "init --catalog" in r.err


def test_tenants_add_set_plan_suspend(meter):
    meter.init(CATALOG)
    assert meter("tenants", "add", "globex", "--plan", "free").code == 0
    assert meter("tenants", "add", "globex", "--plan", "free").code != 0
    assert meter("tenants", "add", "x", "--plan", "nope").code == 2
    r = meter("tenants", "set-plan", "globex", "pro", "--effective", "2026-02-15")
    assert r.code == 0, r
    show = meter("tenants", "show", "globex", json=True).json
    assert [h["plan"] for h in show["plan_history"]] == ["free", "pro"]
    assert meter("tenants", "suspend", "globex").code == 0
    assert meter("tenants", "show", "globex", json=True).json["status"] == "suspended"
    assert meter("tenants", "show", "nobody").code != 0


def test_set_plan_effective_that_is_no_time_is_a_usage_error(meter):
    # Bug: `tenants set-plan --effective soon` exited 65 ("timestamp 'soon' is
    # not a valid time", a data error) where every other time flag exits 2
    # naming the flag.
    meter.init(CATALOG)
    r = meter("tenants", "set-plan", "acme", "free", "--effective", "soon")
    assert r.code == 2, r
    assert r.err.strip() == "meter: --effective: timestamp 'soon' is not a valid time"


def test_sample_catalog_applies(meter, sample_catalog):
    meter.init(sample_catalog)
    tenants = meter("tenants", "list", json=True).json["tenants"]
    assert len(tenants) == len(sample_catalog["tenants"])
