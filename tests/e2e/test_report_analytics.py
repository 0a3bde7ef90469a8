"""End-to-end: `meter report analytics` (SPEC 3): operation events only,
failed = status failed or error, nearest-rank percentiles, exact cost sums."""
import pytest

from insight_data import USAGE_EVENTS, ev, load

NOW = "2026-02-20T12:00:00Z"

# beta: twenty email_analysis operations with latencies 10..200 ms in one
# hour (two of them failed, one error), plus an operation_start event that
# must not count and an api_calls event without an operation.
BETA_OPS = [
    ev(100 + i, "beta", "ai_requests", f"2026-02-11T07:{i:02d}:00Z", operation="email_analysis",
       status="failed" if i in (3, 7) else "error" if i == 9 else "success", latency_ms=10 * (i + 1),
       cost="0.001", user="b1" if i < 5 else "b2")
    for i in range(20)
] + [
    ev(200, "beta", "operation_start", "2026-02-11T07:30:00Z", operation="email_analysis", status="started"),
    ev(201, "beta", "api_calls", "2026-02-11T07:31:00Z", 3, user="b1", status="success", latency_ms=5),
]


@pytest.fixture
def m(meter):
    return load(meter, NOW, USAGE_EVENTS + BETA_OPS)


def analytics(m, *args):
    r = m("report", "analytics", *args, json=True)
    assert r.code == 0, r
    return r.json["rows"]


def test_by_hour_for_one_tenant(m):
    assert analytics(m, "--tenant", "acme") == [{
        "bucket": "2026-02-03T11:00:00Z", "total": 3, "succeeded": 2, "failed": 1,
        "success_rate": pytest.approx(2 / 3), "latency_avg_ms": 200, "latency_p50_ms": 200,
        "latency_p95_ms": 300, "cost": "0.052"}]


def test_nearest_rank_percentiles_and_operation_starts_excluded(m):
    [row] = analytics(m, "--tenant", "beta")
    assert row["bucket"] == "2026-02-11T07:00:00Z"
    assert (row["total"], row["succeeded"], row["failed"]) == (20, 17, 3)
    assert row["success_rate"] == 0.85
    assert row["latency_avg_ms"] == 105          # mean of 10..200
    assert row["latency_p50_ms"] == 100          # rank ceil(0.5*20) = 10
    assert row["latency_p95_ms"] == 190          # rank ceil(0.95*20) = 19
    assert row["cost"] == "0.02"


def test_by_operation_over_all_tenants(m):
    rows = analytics(m, "--by", "operation")
    assert [r["bucket"] for r in rows] == ["email_analysis", "video"]
    email, video = rows
    assert (email["total"], email["succeeded"], email["failed"]) == (22, 18, 4)
    assert email["cost"] == "0.022"
    assert (video["total"], video["success_rate"], video["latency_p50_ms"], video["cost"]) == (1, 1.0, 200, "0.05")


def test_by_user(m):
    rows = {r["bucket"]: r for r in analytics(m, "--tenant", "beta", "--by", "user")}
    assert set(rows) == {"b1", "b2"}
    assert rows["b1"]["total"] == 5 and rows["b1"]["failed"] == 1
    # b1 latencies 10..50: p50 rank 3 -> 30, p95 rank 5 -> 50.
    assert (rows["b1"]["latency_p50_ms"], rows["b1"]["latency_p95_ms"]) == (30, 50)


def test_from_to_is_half_open(m):
    assert analytics(m, "--from", "2026-02-11T07:00:00Z", "--to", "2026-02-11T07:10:00Z")[0]["total"] == 10
    assert analytics(m, "--from", "2026-02-12", "--to", "2026-02-13") == []


def test_text_and_bad_flags(m):
    r = m("report", "analytics", "--by", "operation")
    assert r.code == 0, r
    assert "email_analysis" in r.out and "81.8%" in r.out
    assert m("report", "analytics", "--by", "day").code == 2
    assert m("report", "analytics", "--from", "yesterday").code == 2
    assert m("report", "analytics", "--tenant", "nobody").code == 2


def test_spec_example_success_rate_is_a_fraction(meter):
    # SPEC 3: success_rate is a fraction (0.992): 124 of 125 succeeded.
    ops = [ev(1000 + i, "idle", "ai_requests", f"2026-02-12T10:{i // 60:02d}:{i % 60:02d}Z", operation="x",
              status="error" if i == 0 else "success", latency_ms=i + 1) for i in range(125)]
    load(meter, NOW, ops)
    [row] = analytics(meter)
    assert (row["total"], row["failed"], row["success_rate"]) == (125, 1, 0.992)
    assert row["latency_p95_ms"] == 119   # rank ceil(0.95 * 125) = 119 of 1..125
    assert row["latency_p50_ms"] == 63    # rank ceil(62.5) = 63
    assert row["cost"] == "0.00"
