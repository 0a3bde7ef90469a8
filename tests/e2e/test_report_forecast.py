"""End-to-end: `meter forecast` (SPEC 3): linear projection used /
days_elapsed * days_in_period over the tenant's current month, days measured
in real time (Feb 20 12:00 UTC is 19.5 days into February's 28)."""
import copy

import pytest

from insight_data import CATALOG, USAGE_EVENTS, ev, load

NOW = "2026-02-20T12:00:00Z"
EXTRA = [
    ev(300, "beta", "llm_completion", "2026-02-05T00:00:00Z", properties={"tokens": 8000}),
    ev(301, "beta", "api_calls", "2026-02-20T06:00:00Z", 300, user="b1"),
]


@pytest.fixture
def m(meter):
    return load(meter, NOW, USAGE_EVENTS + EXTRA)


def forecast(m, *args):
    r = m("forecast", *args, json=True)
    assert r.code == 0, r
    return r.json


def test_shape_and_period(m):
    f = forecast(m, "--tenant", "beta")
    assert set(f) == {"as_of", "period_start", "period_end", "rows"}
    assert (f["as_of"], f["period_start"], f["period_end"]) == (NOW, "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")
    assert set(f["rows"][0]) == {"tenant", "meter", "used", "daily_average", "days_elapsed", "days_left", "projected",
                                 "limit", "projected_cross_at", "projected_cost", "currency"}


def test_month_limit_crossing(m):
    rows = {r["meter"]: r for r in forecast(m, "--tenant", "beta")["rows"]}
    tok = rows["llm_tokens"]
    assert (tok["used"], tok["days_elapsed"], tok["days_left"]) == (8000, 19.5, 8.5)
    assert tok["daily_average"] == pytest.approx(8000 / 19.5, abs=1e-6)
    assert tok["projected"] == pytest.approx(8000 / 19.5 * 28, abs=1e-6)
    assert tok["limit"] == 10000
    # 10,000 reached after 10000/8000 * 19.5 = 24.375 days.
    assert tok["projected_cross_at"] == "2026-02-25T09:00:00Z"
    assert tok["projected_cost"] == "0.00"   # basic does not charge tokens


def test_day_limit_crossing_today(m):
    rows = {r["meter"]: r for r in forecast(m, "--tenant", "beta")["rows"]}
    calls = rows["api_calls"]
    assert calls["used"] == 307 and calls["limit"] == 500
    assert calls["projected"] == pytest.approx(307 / 19.5 * 28, abs=1e-6)
    # 300 by noon today: 500 is reached at 20:00.
    assert calls["projected_cross_at"] == "2026-02-20T20:00:00Z"
    # A level meter is projected flat.
    assert rows["active_users"]["projected"] == 1 and rows["active_users"]["limit"] is None


def test_projected_cost_priced_by_billing_and_no_crossing(m):
    rows = {r["meter"]: r for r in forecast(m, "--tenant", "acme")["rows"]}
    tok = rows["llm_tokens"]
    # 1,500 tokens -> 2,153.846154 projected -> 3 packages of 1,000 at 0.10.
    assert tok["projected"] == pytest.approx(2153.846154, abs=1e-6)
    assert tok["projected_cost"] == "0.30"
    assert tok["limit"] is None and tok["projected_cross_at"] is None
    assert rows["api_calls"]["projected_cross_at"] is None and rows["api_calls"]["limit"] == 5000
    assert rows["storage_gb"]["projected"] == 12.5


def test_tenant_without_usage_and_all_tenants(m):
    idle = forecast(m, "--tenant", "idle")["rows"]
    assert [r["meter"] for r in idle] == ["api_calls", "llm_tokens"]   # the plan's meters
    assert all(r["used"] == 0 and r["projected"] == 0 and r["projected_cross_at"] is None for r in idle)
    tenants = {r["tenant"] for r in forecast(m)["rows"]}
    assert tenants == {"acme", "beta", "idle"}


def test_text_output(m):
    r = m("forecast", "--tenant", "beta")
    assert r.code == 0, r
    assert "2026-02-25T09:00:00Z" in r.out and "linear" in r.err
    assert m("forecast", "--tenant", "nobody").code == 2


def test_tenant_override_sets_the_limit(meter):
    cat = copy.deepcopy(CATALOG)
    # acme's override gives pro's unlimited tokens a monthly limit of 2,000.
    cat["tenants"][0]["overrides"] = {"limits": {"llm_tokens": 2000}}
    meter.init(cat)
    meter.now = NOW
    assert meter.ingest(USAGE_EVENTS).code == 0
    rows = {r["meter"]: r for r in forecast(meter, "--tenant", "acme")["rows"]}
    tok = rows["llm_tokens"]
    assert tok["limit"] == 2000
    # 1,500 by 19.5 days: 2,000 after 26 days.
    assert tok["projected_cross_at"] == "2026-02-27T00:00:00Z"


def test_usage_after_now_is_not_used_so_far(m):
    # A what-if run: usage recorded for Feb 22 does not count at Feb 20.
    path = m.write("later.ndjson", [ev(400, "acme", "api_calls", "2026-02-22T00:00:00Z", 1000, user="u1")])
    assert m("ingest", path, now="2026-02-25T00:00:00Z").code == 0
    rows = {r["meter"]: r for r in forecast(m, "--tenant", "acme")["rows"]}
    assert rows["api_calls"]["used"] == 400
    later = m("forecast", "--tenant", "acme", json=True, now="2026-02-25T00:00:00Z").json
    assert {r["meter"]: r for r in later["rows"]}["api_calls"]["used"] == 1400
