"""Acceptance tests for SPEC section 6 (rate limits), written from the SPEC
alone: token buckets per (tenant, key) from the plan or from flags, cost,
retry_after / reset_after, continuous refill, status and reset, and exact
counts under concurrent processes. Every call pins --now, so refill between
processes is zero unless a test moves the clock."""
import subprocess

import pytest

from acceptance import assert_one_line_error, shop_catalog

T = "2026-02-20T12:00:00Z"
FIELDS = {"allowed", "limit", "remaining", "retry_after", "reset_after"}


@pytest.fixture
def m(meter):
    meter.init(shop_catalog())
    meter.now = T
    return meter


def take(m, tenant="kite", *args, **kw):
    return m("limit", "take", "--tenant", tenant, *args, json=True, **kw)


def test_plan_bucket_capacity_cost_and_retry_after(m):
    # starter: capacity 5, refill 5 per 10 s -> one token every 2 s
    r = take(m, "kite", "--cost", "4")
    assert r.code == 0, r
    assert set(r.json) == FIELDS
    assert r.json["allowed"] is True and r.json["limit"] == 5 and r.json["remaining"] == pytest.approx(1, abs=0.01)
    r = take(m)
    assert r.code == 0 and r.json["remaining"] == pytest.approx(0, abs=0.01), r
    r = take(m)
    assert r.code == 1, r
    assert r.json["allowed"] is False
    assert r.json["retry_after"] == pytest.approx(2, abs=0.05)
    assert r.json["reset_after"] == pytest.approx(10, abs=0.05)
    line = [x for x in r.err.splitlines() if x.strip()]
    assert len(line) == 1 and line[0].startswith("meter: "), r.err


def test_spec_example_capacity_100_per_minute_via_flags(m):
    flags = ["--key", "burst", "--capacity", "100", "--refill", "100", "--per", "1m"]
    r = take(m, "lynx", *flags, "--cost", "99")
    assert r.code == 0, r
    assert take(m, "lynx", *flags).code == 0          # the 100th
    r = take(m, "lynx", *flags)                       # the 101st
    assert r.code == 1, r
    assert r.json["retry_after"] == pytest.approx(0.6, abs=0.02)
    assert isinstance(r.json["retry_after"], (int, float))


def test_refill_is_continuous(m):
    assert take(m, "kite", "--cost", "5").code == 0
    later = "2026-02-20T12:00:04Z"                     # 4 s -> 2 tokens back
    assert take(m, "kite", "--cost", "2", now=later).code == 0
    r = take(m, "kite", now=later)
    assert r.code == 1 and r.json["retry_after"] == pytest.approx(2, abs=0.1), r
    r = take(m, "kite", "--cost", "5", now="2026-02-20T12:01:00Z")   # full again, never above capacity
    assert r.code == 0 and r.json["remaining"] == pytest.approx(0, abs=0.01), r
    assert take(m, "kite", now="2026-02-20T12:01:00Z").code == 1


def test_keys_are_separate_buckets_and_reset_refills(m):
    assert take(m, "kite", "--key", "upload", "--cost", "5").code == 0
    assert take(m, "kite", "--key", "upload").code == 1
    assert take(m, "kite", "--key", "search").code == 0
    assert take(m, "kite").code == 0
    r = m("limit", "status", "--tenant", "kite", json=True)
    assert r.code == 0 and "upload" in r.out and "search" in r.out, r
    assert m("limit", "status").code == 0
    r = m("limit", "reset", "--tenant", "kite", "--key", "upload")
    assert r.code == 0, r
    r = take(m, "kite", "--key", "upload", "--cost", "5")
    assert r.code == 0, r


def test_cost_above_capacity_is_denied(m):
    r = take(m, "kite", "--cost", "6")
    assert r.code == 1 and r.json["allowed"] is False, r


def test_tenant_without_a_rate_limit_needs_flags(m):
    r = m("limit", "take", "--tenant", "lynx")
    assert r.code in (1, 2), r
    assert_one_line_error(r, r.code, "lynx")
    r = take(m, "lynx", "--capacity", "2", "--refill", "1", "--per", "1h")
    assert r.code == 0 and r.json["limit"] == 2, r


def test_parallel_takes_allow_exactly_capacity(m):
    flags = ["--key", "race", "--capacity", "7", "--refill", "1", "--per", "1h"]
    procs = [m.popen("limit", "take", "--tenant", "lynx", *flags,
                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(12)]
    codes = [p.wait(timeout=120) for p in procs]
    assert sorted(codes) == [0] * 7 + [1] * 5, codes
