"""quota check / reserve / status and entitlement check (SPEC section 5),
with the real binary on a catalog written here: the worked examples, day and
month periods, overrides, soft and unlimited limits, idempotent and
concurrent reservations."""
import subprocess

import pytest

from conftest import METER_BIN

NOW = "2026-02-04T12:00:00Z"

CATALOG = {
    "currency": "USD",
    "meters": [
        {"key": "api_calls"},
        {"key": "ai_requests", "aggregation": "count"},
        {"key": "email_analysis", "event": "ai_requests", "where": {"operation": "email_analysis"},
         "aggregation": "count"},
        {"key": "llm_tokens", "event": "llm_completion", "value": "properties.tokens"},
        {"key": "storage_gb", "aggregation": "max"},
        {"key": "seats", "event": "seat", "aggregation": "unique_count", "value": "user"},
    ],
    "plans": [
        {"key": "free", "name": "Free", "base_price": "0", "overage": False,
         "limits": [{"meter": "api_calls", "limit": 100, "period": "day", "enforcement": "hard"},
                    {"meter": "ai_requests", "limit": 10, "period": "month", "enforcement": "soft"}],
         "features": {"api_access": True, "sso": False}},
        {"key": "pro", "name": "Pro", "base_price": "49",
         "limits": [{"meter": "api_calls", "limit": 10000, "period": "day", "enforcement": "hard"},
                    {"meter": "ai_requests", "limit": 100, "period": "month", "enforcement": "soft"},
                    {"meter": "llm_tokens", "limit": 1000.5, "period": "month", "enforcement": "hard"},
                    {"meter": "email_analysis", "limit": 50, "period": "day", "enforcement": "hard"}],
         "features": {"api_access": True, "sso": False}},
        {"key": "business", "name": "Business", "base_price": "99",
         "limits": [{"meter": "api_calls", "limit": 10000, "period": "day", "enforcement": "hard"},
                    {"meter": "ai_requests", "limit": 50, "period": "month", "enforcement": "soft"},
                    {"meter": "email_analysis", "limit": 50, "period": "day"}],
         "features": {"api_access": True, "sso": True}},
        {"key": "enterprise", "name": "Enterprise", "base_price": "299",
         "limits": [{"meter": "api_calls", "limit": None},
                    {"meter": "ai_requests", "limit": -1},
                    {"meter": "email_analysis", "limit": 20, "period": "day"}],
         "features": {"api_access": True, "sso": True}},
    ],
    "tenants": [
        {"id": "freeco", "name": "Free Co", "plan": "free"},
        {"id": "proco", "name": "Pro Co", "plan": "pro"},
        {"id": "bigco", "name": "Big Co", "plan": "enterprise"},
        {"id": "override", "name": "Override Co", "plan": "pro", "overrides": {"limits": {"api_calls": 20000}}},
        {"id": "berlin", "name": "Berlin GmbH", "plan": "pro", "timezone": "Europe/Berlin"},
        {"id": "bizco", "name": "Biz Co", "plan": "business"},
    ],
}

DENIAL = ("Quota exceeded. Used 9,500 of 10,000. Batch requires 600.\n"
          "Resets at 2026-02-05T00:00:00Z, or upgrade to plan 'enterprise'.")

FIELDS = {"allowed", "tenant", "metric", "used", "limit", "remaining", "requested", "period_start",
          "period_end", "resets_at", "enforcement", "warning"}


@pytest.fixture
def m(meter):
    meter.init(CATALOG)
    meter.now = NOW
    return meter


_n = 0


def ingest(m, events):
    """Ingests events through `meter ingest` (the real path usage takes), with
    a clock after every event here so none is refused as in the future."""
    global _n
    _n += 1
    path = m.write(f"events{_n}.ndjson", events)
    r = m("ingest", path, now="2026-03-15T00:00:00Z")
    assert r.code == 0, r


def use(m, tenant, metric, quantity, ts="2026-02-04T10:00:00Z"):
    ingest(m, [{"id": f"use{_n}", "tenant": tenant, "metric": metric, "quantity": quantity, "timestamp": ts}])


def check(m, tenant, metric, amount=None, now=None):
    args = ["quota", "check", "--tenant", tenant, "--metric", metric]
    if amount is not None:
        args += ["--amount", amount]
    return m(*args, json=True, now=now)


def test_pro_worked_example_denies_600_with_the_exact_message_and_allows_400(m):
    use(m, "proco", "api_calls", 9500)
    r = check(m, "proco", "api_calls", 600)
    assert r.code == 1, r
    assert set(r.json) == FIELDS
    assert r.json["allowed"] is False
    assert r.json["used"] == 9500 and r.json["limit"] == 10000 and r.json["remaining"] == 500
    assert r.json["requested"] == 600 and r.json["enforcement"] == "hard"
    assert r.json["period_start"] == "2026-02-04T00:00:00Z"
    assert r.json["period_end"] == r.json["resets_at"] == "2026-02-05T00:00:00Z"
    assert DENIAL in r.err
    text = m("quota", "check", "--tenant", "proco", "--metric", "api_calls", "--amount", "600")
    assert text.code == 1 and DENIAL in text.err
    ok = check(m, "proco", "api_calls", 400)
    assert ok.code == 0, ok
    assert ok.json["allowed"] is True and ok.json["remaining"] == 500 and ok.json["warning"] is None
    # equality is allowed: 9,500 + 500 == 10,000
    assert check(m, "proco", "api_calls", 500).code == 0
    assert check(m, "proco", "api_calls", 501).code == 1


def test_free_90_plus_25_denied_50_plus_25_allowed(m):
    use(m, "freeco", "api_calls", 90)
    r = check(m, "freeco", "api_calls", 25)
    assert r.code == 1 and r.json["allowed"] is False and r.json["remaining"] == 10
    # the next plan up with a higher api_calls limit is pro (10,000 > 100)
    assert "Used 90 of 100. Batch requires 25.\nResets at 2026-02-05T00:00:00Z, or upgrade to plan 'pro'." in r.err
    # another day of the same tenant: 50 used
    use(m, "freeco", "api_calls", 50, ts="2026-02-06T10:00:00Z")
    r = check(m, "freeco", "api_calls", 25, now="2026-02-06T12:00:00Z")
    assert r.code == 0 and r.json["used"] == 50 and r.json["remaining"] == 50


def test_enterprise_unlimited_allows_anything(m):
    use(m, "bigco", "api_calls", 1000000)
    r = check(m, "bigco", "api_calls", 500000)
    assert r.code == 0, r
    assert r.json["allowed"] is True and r.json["used"] == 1000000 and r.json["requested"] == 500000
    assert r.json["limit"] is None and r.json["remaining"] is None and r.json["warning"] is None
    # -1 means unlimited too
    use(m, "bigco", "ai_requests", 1)
    r = check(m, "bigco", "ai_requests", 10**9)
    assert r.code == 0 and r.json["limit"] is None


def test_soft_limit_allows_with_a_warning_and_negative_remaining(m):
    ingest(m, [{"id": f"ai{i}", "tenant": "proco", "metric": "ai_requests", "timestamp": "2026-02-03T10:00:00Z"}
               for i in range(120)])
    r = check(m, "proco", "ai_requests", 1)
    assert r.code == 0, r
    assert r.json["allowed"] is True and r.json["enforcement"] == "soft"
    assert r.json["used"] == 120 and r.json["limit"] == 100 and r.json["remaining"] == -20
    assert r.json["warning"] and "120" in r.json["warning"]
    assert "warning" in r.err
    # a plan with "overage": false makes its soft limits hard
    ingest(m, [{"id": f"fa{i}", "tenant": "freeco", "metric": "ai_requests", "timestamp": "2026-02-03T10:00:00Z"}
               for i in range(10)])
    r = check(m, "freeco", "ai_requests", 1)
    assert r.code == 1 and r.json["enforcement"] == "hard"


def test_day_resets_at_utc_midnight(m):
    use(m, "freeco", "api_calls", 100, ts="2026-02-04T23:59:59Z")
    r = check(m, "freeco", "api_calls", 1, now="2026-02-04T23:59:59Z")
    assert r.code == 1 and r.json["used"] == 100
    r = check(m, "freeco", "api_calls", 1, now="2026-02-05T00:00:00Z")
    assert r.code == 0 and r.json["used"] == 0
    assert r.json["period_start"] == "2026-02-05T00:00:00Z" and r.json["resets_at"] == "2026-02-06T00:00:00Z"
    # usage stamped exactly at midnight belongs to the new day
    use(m, "freeco", "api_calls", 7, ts="2026-02-05T00:00:00Z")
    r = check(m, "freeco", "api_calls", 1, now="2026-02-05T00:00:01Z")
    assert r.json["used"] == 7


def test_month_follows_the_tenant_time_zone(m):
    # 23:30Z on 28 Feb is 00:30 on 1 March in Berlin: March usage there.
    ingest(m, [{"id": "b1", "tenant": "berlin", "metric": "llm_completion", "timestamp": "2026-02-28T23:30:00Z",
                "properties": {"tokens": 400}},
               {"id": "b2", "tenant": "berlin", "metric": "llm_completion", "timestamp": "2026-02-28T22:30:00Z",
                "properties": {"tokens": 300}}])
    r = check(m, "berlin", "llm_tokens", 1, now="2026-02-28T23:45:00Z")
    assert r.code == 0, r
    assert r.json["used"] == 400
    assert r.json["period_start"] == "2026-02-28T23:00:00Z" and r.json["period_end"] == "2026-03-31T22:00:00Z"
    # the limit is 1,000.5 tokens: 400 + 601 is over, 400 + 600.5 is exactly at it
    r = check(m, "berlin", "llm_tokens", 601, now="2026-02-28T23:45:00Z")
    assert r.code == 1 and r.json["limit"] == 1000.5
    assert check(m, "berlin", "llm_tokens", "600.5", now="2026-02-28T23:45:00Z").code == 0


def test_tenant_override_replaces_the_plan_limit(m):
    use(m, "override", "api_calls", 15000)
    r = check(m, "override", "api_calls", 5000)
    assert r.code == 0 and r.json["limit"] == 20000 and r.json["remaining"] == 5000
    r = check(m, "override", "api_calls", 5001)
    assert r.code == 1
    # the way out must beat the override: business (10,000) does not, enterprise does
    assert "upgrade to plan 'enterprise'" in r.err


def test_where_filtered_meter_and_metric_names(m):
    ingest(m, [{"id": f"x{i}", "tenant": "proco", "metric": "ai_requests", "operation": op,
                "timestamp": "2026-02-04T09:00:00Z"} for i, op in enumerate(["email_analysis"] * 50 + ["tts"] * 5)])
    r = check(m, "proco", "email_analysis", 1)
    assert r.code == 1 and r.json["used"] == 50
    assert check(m, "proco", "ai_requests", 0).json["used"] == 55
    # a metric read by exactly one meter names that meter
    r = check(m, "proco", "llm_completion", 1)
    assert r.code == 0 and r.json["metric"] == "llm_tokens"
    # no later plan has a higher email_analysis limit (a plan without one
    # would be unlimited): the message names only the reset
    r = check(m, "proco", "email_analysis", 1)
    assert "Resets at 2026-02-05T00:00:00Z." in r.err and "upgrade" not in r.err


def test_unlisted_meter_is_unlimited(m):
    r = check(m, "freeco", "storage_gb", 10**6)
    assert r.code == 0 and r.json["limit"] is None and r.json["remaining"] is None


def test_errors_unknown_tenant_meter_bad_amount_and_suspended(m):
    r = check(m, "nobody", "api_calls", 1)
    assert r.code == 2 and "unknown tenant 'nobody'" in r.err
    r = check(m, "proco", "bogus", 1)
    assert r.code == 2 and "unknown meter 'bogus'" in r.err
    assert check(m, "proco", "api_calls", "-5").code == 2
    assert check(m, "proco", "api_calls", "lots").code == 2
    assert m("quota", "check", "--tenant", "proco").code == 2
    m("tenants", "suspend", "proco", check=True)
    r = check(m, "proco", "api_calls", 1)
    assert r.code == 1 and r.json["allowed"] is False and "suspended" in r.err
    m("tenants", "resume", "proco", check=True)
    assert check(m, "proco", "api_calls", 1).code == 0


def test_reserve_records_usage_and_is_idempotent_by_id(m):
    r = m("quota", "reserve", "--tenant", "proco", "--metric", "api_calls", "--amount", 9000, "--id", "job-1", json=True)
    assert r.code == 0 and r.json["allowed"] and r.json["used"] == 0 and r.json["id"] == "job-1"
    assert check(m, "proco", "api_calls", 0).json["used"] == 9000
    again = m("quota", "reserve", "--tenant", "proco", "--metric", "api_calls", "--amount", 9000, "--id", "job-1",
              json=True)
    assert again.code == 0 and again.json["replayed"] is True and again.json["used"] == 0
    assert check(m, "proco", "api_calls", 0).json["used"] == 9000
    denied = m("quota", "reserve", "--tenant", "proco", "--metric", "api_calls", "--amount", 2000, "--id", "job-2",
               json=True)
    assert denied.code == 1 and "Used 9,000 of 10,000. Batch requires 2,000." in denied.err
    assert check(m, "proco", "api_calls", 0).json["used"] == 9000
    # the denial is the answer for that id from now on
    assert m("quota", "reserve", "--tenant", "proco", "--metric", "api_calls", "--amount", 1, "--id", "job-2").code == 1
    # count meters record one event per unit, with the fields their where asks for
    r = m("quota", "reserve", "--tenant", "proco", "--metric", "email_analysis", "--amount", 3, json=True)
    assert r.code == 0
    assert check(m, "proco", "email_analysis", 0).json["used"] == 3
    assert check(m, "proco", "ai_requests", 0).json["used"] == 3
    # sum of a property
    assert m("quota", "reserve", "--tenant", "proco", "--metric", "llm_tokens", "--amount", "2.5").code == 0
    assert check(m, "proco", "llm_tokens", 0).json["used"] == 2.5
    # meters a reservation cannot add to
    assert m("quota", "reserve", "--tenant", "proco", "--metric", "storage_gb", "--amount", 1).code == 2


def test_concurrent_reservations_never_exceed_a_hard_limit(m):
    script = "\n".join(
        ["set -u", "ok=0",
         f'for i in $(seq 50); do "$METER_BIN_PATH" --now {NOW} quota reserve --tenant freeco --metric api_calls '
         '--amount 1 >/dev/null 2>&1 && ok=$((ok+1)); done', 'echo "$ok"'])
    procs = [subprocess.Popen(["bash", "-c", script], stdout=subprocess.PIPE, text=True,
                              env=m.env({"METER_BIN_PATH": METER_BIN})) for _ in range(8)]
    allowed = sum(int(p.communicate(timeout=300)[0].strip()) for p in procs)
    assert allowed == 100
    assert check(m, "freeco", "api_calls", 0).json["used"] == 100


def test_status_lists_every_limit_with_usage(m):
    use(m, "proco", "api_calls", 9500)
    r = m("quota", "status", "--tenant", "proco", json=True)
    assert r.code == 0, r
    rows = {row["meter"]: row for row in r.json["rows"]}
    assert set(rows) == {"api_calls", "ai_requests", "llm_tokens", "email_analysis"}
    api = rows["api_calls"]
    assert api["used"] == 9500 and api["limit"] == 10000 and api["percent"] == 95
    assert api["period"] == "day" and api["resets_at"] == "2026-02-05T00:00:00Z" and api["tenant"] == "proco"
    text = m("quota", "status", "--tenant", "proco")
    assert "9,500" in text.out and "95%" in text.out and "2026-02-05T00:00:00Z" in text.out
    csv = m("quota", "status", "--format", "csv")
    assert csv.out.splitlines()[0].startswith("tenant,meter,used,limit")
    assert any(line.startswith("bigco,api_calls,0,unlimited") for line in csv.out.splitlines())
    assert m("quota", "status", "--tenant", "nobody").code == 2


def test_entitlement_check(m):
    r = m("entitlement", "check", "--tenant", "proco", "--feature", "api_access", json=True)
    assert r.code == 0 and r.json == {"tenant": "proco", "feature": "api_access", "entitled": True, "plan": "pro",
                                      "reason": r.json["reason"]}
    r = m("entitlement", "check", "--tenant", "proco", "--feature", "sso", json=True)
    assert r.code == 1 and r.json["entitled"] is False and "sso" in r.json["reason"]
    assert r.err.strip()
    r = m("entitlement", "check", "--tenant", "bizco", "--feature", "sso")
    assert r.code == 0 and len(r.out.strip().splitlines()) == 1
    r = m("entitlement", "check", "--tenant", "proco", "--feature", "teleport", json=True)
    assert r.code == 1 and r.json["entitled"] is False
    assert m("entitlement", "check", "--tenant", "nobody", "--feature", "sso").code == 2
