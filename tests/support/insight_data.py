"""Small fixed datasets for the insight tests (report, forecast, recommend,
simulate, dashboard). Every expected figure in those tests is computed by hand
from these events; change them only together with the expectations."""

CATALOG = {
    "currency": "USD",
    "tax": {"name": "VAT", "rate": "0.10"},
    "invoice": {"number_prefix": "INV-", "net_days": 14},
    "meters": [
        {"key": "api_calls", "unit": "calls"},
        {"key": "ai_requests", "aggregation": "count"},
        {"key": "email_analysis", "event": "ai_requests", "where": {"operation": "email_analysis"},
         "aggregation": "count"},
        {"key": "storage_gb", "aggregation": "max", "unit": "GB"},
        {"key": "active_users", "event": "api_calls", "aggregation": "unique_count", "value": "user"},
        {"key": "llm_tokens", "event": "llm_completion", "value": "properties.tokens"},
        {"key": "operations_started", "event": "operation_start", "aggregation": "count"},
    ],
    "plans": [
        {"key": "basic", "name": "Basic", "base_price": "10.00",
         "charges": [{"meter": "api_calls", "model": "per_unit", "included": 1000, "unit_price": "0.01"}],
         "limits": [{"meter": "api_calls", "limit": 500, "period": "day", "enforcement": "hard"},
                    {"meter": "llm_tokens", "limit": 10000, "period": "month", "enforcement": "soft"}]},
        {"key": "pro", "name": "Pro", "base_price": "50.00",
         "charges": [{"meter": "api_calls", "model": "per_unit", "included": 10000, "unit_price": "0.005"},
                     {"meter": "llm_tokens", "model": "package", "included": 0, "package_size": 1000,
                      "package_price": "0.10"}],
         "limits": [{"meter": "api_calls", "limit": 5000, "period": "day", "enforcement": "hard"},
                    {"meter": "llm_tokens", "limit": None}]},
    ],
    "tenants": [
        {"id": "acme", "name": "Acme", "plan": "pro"},
        {"id": "beta", "name": "Beta", "plan": "basic"},
        {"id": "idle", "name": "Idle", "plan": "basic"},
    ],
}


def ev(i, tenant, metric, ts, quantity=1, **kw):
    """One native NDJSON record with a stable id."""
    e = {"id": f"e{i}", "tenant": tenant, "metric": metric, "quantity": quantity, "timestamp": ts}
    e.update(kw)
    return e


# February 2026 usage: acme uses api_calls on two days and hours, storage,
# tokens and AI operations; beta a little; idle nothing.
USAGE_EVENTS = [
    ev(1, "acme", "api_calls", "2026-02-03T10:15:00Z", 100, user="u1"),
    ev(2, "acme", "api_calls", "2026-02-03T10:45:00Z", 250, user="u2"),
    ev(3, "acme", "api_calls", "2026-02-04T09:00:00Z", 50, user="u1"),
    ev(4, "acme", "storage_gb", "2026-02-03T00:00:00Z", 12.5),
    ev(5, "acme", "storage_gb", "2026-02-10T00:00:00Z", 7),
    ev(6, "acme", "llm_completion", "2026-02-05T12:00:00Z", 1, properties={"tokens": 1500}),
    ev(7, "acme", "ai_requests", "2026-02-03T11:10:00Z", operation="email_analysis", status="success",
       latency_ms=100, cost="0.002", user="u1"),
    ev(8, "acme", "ai_requests", "2026-02-03T11:20:00Z", operation="email_analysis", status="failed",
       latency_ms=300, cost="0", user="u2"),
    ev(9, "acme", "ai_requests", "2026-02-03T11:30:00Z", operation="video", status="success",
       latency_ms=200, cost="0.05", user="u1"),
    ev(10, "beta", "api_calls", "2026-02-10T08:00:00Z", 7, user="b1"),
    # January: outside a February report.
    ev(11, "acme", "api_calls", "2026-01-31T23:59:59Z", 1000, user="u1"),
]


def load(meter, now, events=None, catalog=None):
    """Initialises `meter` with CATALOG (or `catalog`), pins its clock at
    `now` and ingests USAGE_EVENTS (or `events`); returns it."""
    meter.init(catalog or CATALOG)
    meter.now = now
    r = meter.ingest(USAGE_EVENTS if events is None else events)
    assert r.code == 0, r
    return meter
