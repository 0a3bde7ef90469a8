"""End-to-end: `meter recommend` (SPEC 3 rule) over the three full months
before --now (February to April 2026 for May 10). Plans of
tests/support/insight_data.py, in catalog order: basic (10.00 base, 1,000
api_calls included then 0.01, api_calls 500/day, llm_tokens 10,000/month),
pro (50.00 base, 10,000 included then 0.005, api_calls 5,000/day)."""
import copy

import pytest

from insight_data import CATALOG, ev, load

NOW = "2026-05-10T12:00:00Z"
MONTHS = ("2026-02", "2026-03", "2026-04")


def catalog():
    c = copy.deepcopy(CATALOG)
    c["tenants"] = [
        {"id": "acme", "plan": "pro"},     # small usage on an expensive plan: downgrade
        {"id": "beta", "plan": "basic"},   # over basic's day limit and dearer than pro: upgrade
        {"id": "gamma", "plan": "basic"},  # over basic's day limit, but pro would cost more: no row
        {"id": "idle", "plan": "basic"},   # no usage, already the cheapest: no row
    ]
    return c


def events():
    out, i = [], 0
    for month in MONTHS:
        i += 1
        out.append(ev(i, "acme", "api_calls", f"{month}-10T10:00:00Z", 300, user="a"))
        for day in range(1, 11):   # 600 a day for ten days: 6,000 a month
            i += 1
            out.append(ev(i, "beta", "api_calls", f"{month}-{day:02d}T10:00:00Z", 600, user="b"))
        i += 1
        out.append(ev(i, "gamma", "api_calls", f"{month}-15T10:00:00Z", 600, user="g"))
    # Outside the window: January and the current month change nothing.
    out.append(ev(900, "acme", "api_calls", "2026-01-05T00:00:00Z", 90000, user="a"))
    out.append(ev(901, "acme", "api_calls", "2026-05-02T00:00:00Z", 90000, user="a"))
    return out


@pytest.fixture
def m(meter):
    return load(meter, NOW, events(), catalog())


def recs(m, *args):
    r = m("recommend", *args, json=True)
    assert r.code == 0, r
    return {x["tenant"]: x for x in r.json["rows"]}


def test_downgrade_and_upgrade_with_savings(m):
    rows = recs(m)
    assert set(rows) == {"acme", "beta"}
    assert rows["acme"] == {**rows["acme"], "current_plan": "pro", "recommended_plan": "basic", "kind": "downgrade",
                            "current_cost": "150.00", "recommended_cost": "30.00", "saving": "120.00"}
    # basic: 10.00 + 5,000 x 0.01 = 60.00 a month; pro: 50.00 a month.
    assert rows["beta"] == {**rows["beta"], "current_plan": "basic", "recommended_plan": "pro", "kind": "upgrade",
                            "current_cost": "180.00", "recommended_cost": "150.00", "saving": "30.00"}
    assert set(rows["beta"]) == {"tenant", "current_plan", "recommended_plan", "kind", "currency", "current_cost",
                                 "recommended_cost", "saving", "reason"}
    assert "api_calls" in rows["beta"]["reason"] and "basic" in rows["beta"]["reason"]


def test_no_row_when_current_plan_is_the_cheapest_that_holds_or_none_cheaper_holds(m):
    assert recs(m, "--tenant", "idle") == {}
    assert recs(m, "--tenant", "gamma") == {}


def test_day_limit_equality_still_holds(meter):
    c = catalog()
    c["tenants"] = [{"id": "acme", "plan": "pro"}]
    meter.init(c)
    meter.now = NOW
    # Exactly 500 on one day of each month: basic's 500/day limit is not exceeded.
    assert meter.ingest([ev(i, "acme", "api_calls", f"{mo}-03T00:00:00Z", 500) for i, mo in enumerate(MONTHS)]).code == 0
    assert recs(meter)["acme"]["recommended_plan"] == "basic"
    assert meter.ingest([ev(50, "acme", "api_calls", "2026-03-03T23:00:00Z", 1)], "more.ndjson").code == 0
    assert recs(meter) == {}


def test_text_and_unknown_tenant(m):
    r = m("recommend")
    assert r.code == 0, r
    assert "downgrade" in r.out and "120.00" in r.out
    assert m("recommend", "--tenant", "nobody").code == 2
