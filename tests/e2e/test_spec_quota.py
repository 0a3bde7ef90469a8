"""Acceptance tests for SPEC section 5 (quotas and alerts) and `entitlement
check`, written from the SPEC alone with our own catalog: the allow rule with
equality, hard / soft / unlimited, the denial message with "the next plan up",
the JSON shape, periods (day at UTC midnight, month in the tenant's zone),
overrides, reserve (atomic, idempotent), status, and alert scanning."""
import json
import subprocess

import pytest

from acceptance import ev, shop_catalog

NOW = "2026-02-20T12:00:00Z"
QUOTA_FIELDS = {"allowed", "tenant", "metric", "used", "limit", "remaining", "requested",
                "period_start", "period_end", "resets_at", "enforcement", "warning"}


def catalog():
    cat = shop_catalog()
    cat["tenants"] += [
        {"id": "orca", "name": "Orca", "plan": "growth", "overrides": {"limits": {"widgets": 2500}}},
        {"id": "puma", "name": "Puma", "plan": "scale"},
        {"id": "tokyo", "name": "Tokyo KK", "plan": "starter", "timezone": "Asia/Tokyo"},
    ]
    return cat


@pytest.fixture
def m(meter):
    meter.init(catalog())
    meter.now = NOW
    return meter


def check(m, tenant, metric, amount=None, **kw):
    args = ["quota", "check", "--tenant", tenant, "--metric", metric]
    if amount is not None:
        args += ["--amount", str(amount)]
    return m(*args, json=True, **kw)


def test_allow_up_to_and_including_the_limit_then_deny(m):
    assert m.ingest([ev(1, "kite", "widgets", "2026-02-20T03:00:00Z", 480)]).code == 0
    r = check(m, "kite", "widgets", 20)
    assert r.code == 0, r
    assert set(r.json) == QUOTA_FIELDS
    assert r.json == {"allowed": True, "tenant": "kite", "metric": "widgets", "used": 480, "limit": 500,
                      "remaining": 20, "requested": 20, "period_start": "2026-02-20T00:00:00Z",
                      "period_end": "2026-02-21T00:00:00Z", "resets_at": "2026-02-21T00:00:00Z",
                      "enforcement": "hard", "warning": None}
    r = check(m, "kite", "widgets", 21)
    assert r.code == 1, r
    assert r.json["allowed"] is False and r.json["remaining"] == 20 and r.json["requested"] == 21
    # --amount defaults to 1
    r = check(m, "kite", "widgets")
    assert r.code == 0 and r.json["requested"] == 1, r


def test_denial_message_names_numbers_reset_and_the_next_plan_up(m):
    assert m.ingest([ev(1, "orca", "widgets", "2026-02-20T01:00:00Z", 2450)]).code == 0
    r = m("quota", "check", "--tenant", "orca", "--metric", "widgets", "--amount", "100")
    assert r.code == 1, r
    text = " ".join(r.err.split())
    assert "Quota exceeded. Used 2,450 of 2,500. Batch requires 100." in text, r.err
    assert "Resets at 2026-02-21T00:00:00Z, or upgrade to plan 'scale'." in text, r.err


def test_next_plan_up_skips_later_plans_with_a_lower_limit(m):
    # starter (500/day) -> growth has 400, not higher -> scale (5000)
    m.ingest([ev(1, "kite", "widgets", "2026-02-20T01:00:00Z", 500)])
    r = m("quota", "check", "--tenant", "kite", "--metric", "widgets", "--amount", "1")
    assert r.code == 1 and "upgrade to plan 'scale'" in r.err, r
    # exports: starter 3/day -> growth 10/day
    m.ingest([ev(f"x{i}", "kite", "job", "2026-02-20T01:00:00Z", operation="export") for i in range(3)], "x.ndjson")
    r = m("quota", "check", "--tenant", "kite", "--metric", "exports")
    assert r.code == 1 and "upgrade to plan 'growth'" in r.err, r


def test_top_plan_message_names_only_the_reset(m):
    m.ingest([ev(1, "puma", "widgets", "2026-02-20T01:00:00Z", 4990)])
    r = m("quota", "check", "--tenant", "puma", "--metric", "widgets", "--amount", "11")
    assert r.code == 1, r
    text = " ".join(r.err.split())
    assert "Used 4,990 of 5,000. Batch requires 11." in text
    assert "Resets at 2026-02-21T00:00:00Z" in text and "upgrade" not in text, r.err


def test_unlimited_always_allows(m):
    m.ingest([ev(f"x{i}", "puma", "job", "2026-02-20T01:00:00Z", operation="export") for i in range(5)])
    r = check(m, "puma", "exports", 1000000)
    assert r.code == 0, r
    assert r.json["allowed"] is True and r.json["limit"] is None and r.json["remaining"] is None
    assert r.json["used"] == 5


def test_soft_limit_allows_with_a_warning_and_remaining_goes_negative(m):
    m.ingest([ev(1, "kite", "job", "2026-02-02T00:00:00Z", properties={"pages": 990})])
    r = check(m, "kite", "pages", 20)
    assert r.code == 0, r
    assert r.json["allowed"] is True and r.json["enforcement"] == "soft"
    assert isinstance(r.json["warning"], str) and r.json["warning"]
    assert r.json["remaining"] == 10
    assert (r.json["period_start"], r.json["period_end"]) == ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")
    m.ingest([ev(2, "kite", "job", "2026-02-03T00:00:00Z", properties={"pages": 30})], "more.ndjson")
    r = check(m, "kite", "pages", 1)
    assert r.code == 0 and r.json["remaining"] == -20 and r.json["used"] == 1020, r
    # within the limit: no warning
    r = check(m, "lynx", "exports", 1)
    assert r.code == 0 and r.json["warning"] is None


def test_day_quota_resets_at_utc_midnight(m):
    assert m("ingest", m.write("e.ndjson", [ev(1, "kite", "widgets", "2026-02-20T23:59:59Z", 500)]),
             now="2026-02-20T23:59:59.5Z").code == 0
    r = check(m, "kite", "widgets", 1, now="2026-02-20T23:59:59.5Z")
    assert r.code == 1 and r.json["used"] == 500, r
    r = check(m, "kite", "widgets", 1, now="2026-02-21T00:00:00Z")
    assert r.code == 0 and r.json["used"] == 0, r
    assert r.json["resets_at"] == "2026-02-22T00:00:00Z"


def test_month_period_follows_the_tenant_time_zone(m):
    # Tokyo is UTC+9: its March starts at 2026-02-28T15:00:00Z
    m.now = "2026-02-28T16:00:00Z"
    assert m.ingest([ev(1, "tokyo", "job", "2026-02-28T14:59:59Z", properties={"pages": 700}),
                     ev(2, "tokyo", "job", "2026-02-28T15:00:00Z", properties={"pages": 50})]).code == 0
    r = check(m, "tokyo", "pages", 1, now="2026-02-28T16:00:00Z")
    assert r.code == 0, r
    assert r.json["period_start"] == "2026-02-28T15:00:00Z"
    assert r.json["period_end"] == "2026-03-31T15:00:00Z"
    assert r.json["used"] == 50
    r = check(m, "tokyo", "pages", 1, now="2026-02-28T14:00:00Z")
    assert r.json["used"] == 700 and r.json["period_start"] == "2026-01-31T15:00:00Z", r


def test_reserve_records_usage_and_is_idempotent_by_id(m):
    args = ["quota", "reserve", "--tenant", "kite", "--metric", "exports", "--amount", "2"]
    r = m(*args, "--id", "job-1", json=True)
    assert r.code == 0 and r.json["allowed"] is True, r
    r = m(*args, "--id", "job-1", json=True)
    assert r.code == 0, r
    assert check(m, "kite", "exports", 1).json["used"] == 2
    r = m(*args, "--id", "job-2", json=True)
    assert r.code == 1 and r.json["allowed"] is False, r
    assert check(m, "kite", "exports", 1).json["used"] == 2
    r = m("quota", "reserve", "--tenant", "kite", "--metric", "exports", "--id", "job-3")
    assert r.code == 0, r
    assert check(m, "kite", "exports", 0).json["used"] == 3


def test_parallel_reservations_never_pass_a_hard_limit(m):
    procs = [m.popen("quota", "reserve", "--tenant", "lynx", "--metric", "exports", "--amount", "1",
                     "--id", f"par-{i}", stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for i in range(14)]
    codes = [p.wait(timeout=120) for p in procs]
    assert sorted(codes) == [0] * 10 + [1] * 4, codes
    assert check(m, "lynx", "exports", 0).json["used"] == 10


def test_status_lists_used_limit_percent_period_and_reset(m):
    m.ingest([ev(1, "kite", "widgets", "2026-02-20T01:00:00Z", 125)])
    r = m("quota", "status", "--tenant", "kite", json=True)
    assert r.code == 0, r
    text = json.dumps(r.json)
    assert "kite" in text and "lynx" not in text
    assert "125" in text and "500" in text and "2026-02-21T00:00:00Z" in text
    human = m("quota", "status", "--tenant", "kite")
    assert human.code == 0 and "25%" in human.out.replace(" %", "%"), human
    everyone = m("quota", "status", json=True)
    assert "lynx" in json.dumps(everyone.json)


def test_unknown_tenant_or_metric_is_one_line(m):
    r = check(m, "ghost", "widgets", 1)
    assert r.code != 0 and r.code != 1, r
    lines = [x for x in r.err.splitlines() if x.strip()]
    assert len(lines) == 1 and lines[0].startswith("meter: ") and "ghost" in lines[0], r


def test_entitlement_check(m):
    assert m("entitlement", "check", "--tenant", "kite", "--feature", "export_csv").code == 0
    r = m("entitlement", "check", "--tenant", "kite", "--feature", "sso")
    assert r.code == 1, r
    assert m("entitlement", "check", "--tenant", "kite", "--feature", "teleport").code == 1
    r = m("entitlement", "check", "--tenant", "orca", "--feature", "sso", json=True)
    assert r.code == 0, r


def _alerts(m, tenant=None):
    args = ["alerts", "list"] + (["--tenant", tenant] if tenant else [])
    r = m(*args, json=True)
    assert r.code == 0, r
    doc = r.json
    rows = doc if isinstance(doc, list) else next(v for v in doc.values() if isinstance(v, list))
    return sorted(((a["tenant"], a["meter"], a["threshold"], a["period_start"]) for a in rows),
                  key=lambda a: (a[0], a[1], a[3], a[2]))


def test_alert_scan_records_each_threshold_once_per_period_and_queues_webhooks(m):
    r = m("webhooks", "add", "--url", "http://127.0.0.1:9/alerts", "--events", "usage.threshold_reached")
    assert r.code == 0, r
    m.ingest([ev(1, "kite", "widgets", "2026-02-20T01:00:00Z", 260)], "a.ndjson")
    assert m("alerts", "scan").code == 0
    assert _alerts(m) == [("kite", "widgets", 50, "2026-02-20T00:00:00Z")]
    assert m("alerts", "scan").code == 0
    assert len(_alerts(m)) == 1
    m.ingest([ev(2, "kite", "widgets", "2026-02-20T02:00:00Z", 200)], "b.ndjson")   # 460 = 92 %
    m("alerts", "scan", check=True)
    assert [a[2] for a in _alerts(m, "kite")] == [50, 90]
    # the next day is another period
    m.now = "2026-02-21T05:00:00Z"
    assert m.ingest([ev(3, "kite", "widgets", "2026-02-21T02:00:00Z", 300)], "c.ndjson").code == 0
    m("alerts", "scan", check=True)
    assert _alerts(m, "kite")[-1] == ("kite", "widgets", 50, "2026-02-21T00:00:00Z")
    assert len(_alerts(m, "kite")) == 3
    # default thresholds 80 / 100 / 120: lynx (growth, 400/day) at 410 crosses 80 and 100
    assert m.ingest([ev(4, "lynx", "widgets", "2026-02-21T02:00:00Z", 410)], "d.ndjson").code == 0
    m("alerts", "scan", check=True)
    assert [a[2] for a in _alerts(m, "lynx")] == [80, 100]
    r = m("webhooks", "deliveries", json=True)
    assert r.code == 0, r
    deliveries = r.json["deliveries"]
    assert len(deliveries) == 5, deliveries
    assert "usage.threshold_reached" in json.dumps(deliveries)
