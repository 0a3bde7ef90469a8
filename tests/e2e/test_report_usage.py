"""End-to-end: `meter report usage` on a small fixed dataset (tests/support/
insight_data.py), every figure computed by hand."""
import copy

import pytest

from insight_data import CATALOG, load

NOW = "2026-02-20T12:00:00Z"


@pytest.fixture
def m(meter):
    return load(meter, NOW)


def rows(m, *args):
    r = m("report", "usage", *args, json=True)
    assert r.code == 0, r
    return [(x["tenant"], x["meter"], x["bucket"], x["quantity"]) for x in r.json["rows"]]


def test_by_meter_is_the_default_and_covers_the_current_month(m):
    assert rows(m) == [
        ("acme", "api_calls", "api_calls", 400),
        ("acme", "ai_requests", "ai_requests", 3),
        ("acme", "email_analysis", "email_analysis", 2),
        ("acme", "storage_gb", "storage_gb", 12.5),   # max, not sum
        ("acme", "active_users", "active_users", 2),  # distinct users
        ("acme", "llm_tokens", "llm_tokens", 1500),   # properties.tokens
        ("beta", "api_calls", "api_calls", 7),
        ("beta", "active_users", "active_users", 1),
    ]


def test_json_row_has_exactly_the_spec_fields(m):
    r = m("report", "usage", "--tenant", "beta", json=True)
    assert r.json["rows"][0] == {"tenant": "beta", "meter": "api_calls", "bucket": "api_calls", "quantity": 7}


def test_by_day_buckets_are_utc_day_starts(m):
    got = [x for x in rows(m, "--tenant", "acme", "--by", "day") if x[1] in ("api_calls", "active_users", "storage_gb")]
    assert got == [
        ("acme", "api_calls", "2026-02-03T00:00:00Z", 350),
        ("acme", "api_calls", "2026-02-04T00:00:00Z", 50),
        ("acme", "storage_gb", "2026-02-03T00:00:00Z", 12.5),
        ("acme", "storage_gb", "2026-02-10T00:00:00Z", 7),
        ("acme", "active_users", "2026-02-03T00:00:00Z", 2),
        ("acme", "active_users", "2026-02-04T00:00:00Z", 1),
    ]


def test_by_hour(m):
    got = [x for x in rows(m, "--tenant", "acme", "--by", "hour", "--period", "2026-02") if x[1] == "api_calls"]
    assert got == [("acme", "api_calls", "2026-02-03T10:00:00Z", 350), ("acme", "api_calls", "2026-02-04T09:00:00Z", 50)]


def test_by_month(m):
    got = rows(m, "--by", "month", "--period", "2026-02", "--tenant", "beta")
    assert got == [("beta", "api_calls", "2026-02-01T00:00:00Z", 7), ("beta", "active_users", "2026-02-01T00:00:00Z", 1)]


def test_by_user_splits_each_meter_and_names_events_without_user(m):
    got = rows(m, "--tenant", "acme", "--by", "user")
    assert ("acme", "api_calls", "u1", 150) in got
    assert ("acme", "api_calls", "u2", 250) in got
    assert ("acme", "ai_requests", "u1", 2) in got
    assert ("acme", "ai_requests", "u2", 1) in got
    assert ("acme", "storage_gb", "(none)", 12.5) in got
    assert ("acme", "llm_tokens", "(none)", 1500) in got
    assert sum(q for t, mt, b, q in got if mt == "api_calls") == 400


def test_by_operation(m):
    got = [x for x in rows(m, "--tenant", "acme", "--by", "operation") if x[1] in ("ai_requests", "email_analysis")]
    assert got == [
        ("acme", "ai_requests", "email_analysis", 2),
        ("acme", "ai_requests", "video", 1),
        ("acme", "email_analysis", "email_analysis", 2),
    ]


def test_other_month_and_single_day_periods(m):
    assert rows(m, "--period", "2026-01") == [("acme", "api_calls", "api_calls", 1000), ("acme", "active_users", "active_users", 1)]
    day = rows(m, "--period", "2026-02-04")
    assert day == [("acme", "api_calls", "api_calls", 50), ("acme", "active_users", "active_users", 1)]


def test_empty_period_and_tenant_without_usage_give_no_rows(m):
    assert rows(m, "--period", "2025-12") == []
    assert rows(m, "--tenant", "idle") == []
    r = m("report", "usage", "--tenant", "idle")
    assert r.code == 0 and "tenant" in r.out


def test_month_follows_the_tenant_time_zone(meter):
    cat = copy.deepcopy(CATALOG)
    cat["tenants"].append({"id": "berlin", "plan": "basic", "timezone": "Europe/Berlin"})
    meter.init(cat)
    meter.now = NOW
    # 23:30Z on Jan 31 is already February in Berlin (UTC+1).
    assert meter.ingest([{"id": "b1", "tenant": "berlin", "metric": "api_calls", "quantity": 5,
                          "timestamp": "2026-01-31T23:30:00Z"}]).code == 0
    assert rows(meter, "--tenant", "berlin", "--period", "2026-02", "--by", "month") == [
        ("berlin", "api_calls", "2026-01-31T23:00:00Z", 5)]
    assert rows(meter, "--tenant", "berlin", "--period", "2026-01") == []


def test_text_table_has_thousands_separators_and_units(m):
    r = m("report", "usage", "--period", "2026-01")
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert lines[0].split() == ["tenant", "meter", "quantity", "unit"]
    assert "1,000" in lines[1] and "calls" in lines[1]


def test_csv(m):
    r = m("report", "usage", "--period", "2026-01", "--by", "day", "--format", "csv")
    assert r.code == 0, r
    assert r.out.splitlines()[0] == "tenant,meter,day,quantity,unit"
    assert "acme,api_calls,2026-01-31T00:00:00Z,1000,calls" in r.out.splitlines()


def test_bad_flags(m):
    assert m("report", "usage", "--tenant", "nobody").code == 2
    assert m("report", "usage", "--period", "2026-13").code == 2
    assert m("report", "usage", "--period", "soon").code == 2
    assert m("report", "usage", "--by", "week").code == 2
