"""limit take / status / reset: token buckets (SPEC section 6) with the real
binary: the capacity-100 worked example, refill in real time, separate
buckets per tenant and key, flags over the plan, and exactness across
concurrent processes."""
import subprocess
import time

import pytest

from conftest import METER_BIN

NOW = "2026-02-04T12:00:00Z"
# 30.1 s after NOW: half the bucket plus a margin for each process's own start-up
# time between NOW and reading its clock (milliseconds under sanitizers).
LATER = "2026-02-04T12:00:30.100Z"

CATALOG = {
    "meters": [{"key": "api_calls"}],
    "plans": [
        {"key": "pro", "name": "Pro", "base_price": "49",
         "rate_limit": {"capacity": 100, "refill": 100, "per": "1m"}},
        {"key": "bare", "name": "No rate limit", "base_price": "0"},
    ],
    "tenants": [
        {"id": "acme", "name": "Acme", "plan": "pro"},
        {"id": "globex", "name": "Globex", "plan": "pro"},
        {"id": "plain", "name": "Plain", "plan": "bare"},
    ],
}

FIELDS = {"allowed", "limit", "remaining", "retry_after", "reset_after"}


@pytest.fixture
def m(meter):
    meter.init(CATALOG)
    return meter


def take(m, tenant="acme", *args, now=NOW):
    return m("limit", "take", "--tenant", tenant, *args, json=True, now=now)


def test_capacity_100_passes_100_and_denies_the_101st(m):
    # Every process starts its clock at NOW, so next to no time passes
    # between takes (only each process's own start-up time).
    for i in range(100):
        r = take(m)
        assert r.code == 0, (i, r)
    assert r.json["remaining"] == 0 and r.json["limit"] == 100 and r.json["retry_after"] == 0
    denied = take(m)
    assert denied.code == 1, denied
    assert set(denied.json) == FIELDS
    assert denied.json["allowed"] is False and denied.json["remaining"] == 0
    assert 0.4 < denied.json["retry_after"] <= 0.6
    assert denied.json["reset_after"] == pytest.approx(60, abs=0.5)
    assert "rate limit exceeded" in denied.err
    # separate tenants and separate keys have their own full buckets
    other = take(m, "globex")
    assert other.code == 0 and other.json["remaining"] == 99
    keyed = take(m, "acme", "--key", "uploads")
    assert keyed.code == 0 and keyed.json["remaining"] == 99
    # 30 s later half the bucket is back (LATER adds a 0.1 s margin)
    r = take(m, "acme", "--cost", 50, now=LATER)
    assert r.code == 0 and r.json["remaining"] == 0
    assert take(m, "acme", now=LATER).code == 1


def test_the_101st_waits_0_6_s(m):
    # An empty bucket of 100 refilled at 100 per minute has the next token in
    # 0.6 s. Two processes only, so start-up jitter stays well inside 0.05 s.
    assert take(m, "acme", "--cost", 100).code == 0
    r = take(m)
    assert r.code == 1 and r.json["retry_after"] == pytest.approx(0.6, abs=0.05)


def test_one_more_passes_after_0_6_s_of_real_time(m):
    # Real time passes between the two processes (more on a loaded machine),
    # so the wait left is 0.6 s less what this test itself saw go by.
    started = time.monotonic()
    assert take(m, "acme", "--cost", 100, now=None).code == 0
    r = take(m, now=None)
    elapsed = time.monotonic() - started
    if elapsed < 0.59:
        assert r.code == 1, r
        assert 0.6 - elapsed - 0.01 <= r.json["retry_after"] <= 0.6
    time.sleep(0.65)
    r = take(m, now=None)
    assert r.code == 0, r
    assert r.json["allowed"] is True and r.json["retry_after"] == 0


def test_status_and_reset(m):
    for _ in range(3):
        take(m)
    take(m, "acme", "--key", "uploads")
    r = m("limit", "status", "--tenant", "acme", json=True, now=NOW)
    assert r.code == 0
    buckets = {b["key"]: b for b in r.json["buckets"]}
    assert set(buckets) == {"default", "uploads"}
    assert buckets["default"]["tokens"] == pytest.approx(97, abs=0.05)
    assert buckets["default"]["capacity"] == 100 and buckets["default"]["per"] == 60
    text = m("limit", "status", now=NOW)
    assert "acme" in text.out and "uploads" in text.out
    r = m("limit", "reset", "--tenant", "acme", "--key", "default", json=True, now=NOW)
    assert r.code == 0 and r.json["reset"] == 1
    assert take(m).json["remaining"] == 99
    r = m("limit", "reset", "--tenant", "acme", json=True, now=NOW)
    assert r.json["reset"] == 2
    assert take(m, "acme", "--key", "uploads").json["remaining"] == 99
    assert m("limit", "reset", "--tenant", "nobody").code == 2


def test_flags_replace_the_plan_and_are_required_without_one(m):
    r = take(m, "plain")
    assert r.code == 2 and "rate limit" in r.err and "--capacity" in r.err
    r = take(m, "plain", "--capacity", 3, "--refill", 1, "--per", "2s")
    assert r.code == 0 and r.json["limit"] == 3 and r.json["remaining"] == 2
    assert r.json["reset_after"] == pytest.approx(2, abs=0.05)
    for _ in range(2):
        assert take(m, "plain", "--capacity", 3, "--refill", 1, "--per", "2s").code == 0
    r = take(m, "plain", "--capacity", 3, "--refill", 1, "--per", "2s")
    assert r.code == 1 and r.json["retry_after"] == pytest.approx(2, abs=0.05)
    # a cost above the capacity can never pass
    r = take(m, "plain", "--capacity", 3, "--cost", 4)
    assert r.code == 1 and r.json["retry_after"] is None
    assert take(m, "nobody").code == 2
    assert take(m, "acme", "--cost", "-1").code == 2


def test_fractional_costs_are_exact(m):
    # 10 takes of 0.1 empty a bucket of 1 exactly: no binary rounding drift.
    for _ in range(10):
        assert take(m, "plain", "--capacity", 1, "--refill", 0, "--cost", "0.1").code == 0
    r = take(m, "plain", "--capacity", 1, "--refill", 0, "--cost", "0.000001")
    assert r.code == 1 and r.json["retry_after"] is None and r.json["reset_after"] is None


def test_concurrent_takes_allow_exactly_the_capacity(m):
    script = ('ok=0; for i in $(seq 50); do "$BIN" --now %s limit take --tenant acme --key burst '
              '--capacity 100 --refill 0 >/dev/null 2>&1 && ok=$((ok+1)); done; echo $ok' % NOW)
    procs = [subprocess.Popen(["bash", "-c", script], stdout=subprocess.PIPE, text=True,
                              env=m.env({"BIN": METER_BIN})) for _ in range(8)]
    allowed = sum(int(p.communicate(timeout=300)[0].strip()) for p in procs)
    assert allowed == 100
