"""End-to-end: `meter report trends`: per tenant and month, quantities per
meter, the billed amount (finalized invoice, else billing's preview) and the
change from the month before. Figures by hand from tests/support/insight_data.py:
pro = 50.00 base, basic = 10.00 base, 10 % tax, and every month bills the base
price (a tenant's first plan applies from the beginning of time)."""
import pytest

from insight_data import load

NOW = "2026-02-20T12:00:00Z"


@pytest.fixture
def m(meter):
    return load(meter, NOW)


def trends(m, *args):
    r = m("report", "trends", *args, json=True)
    assert r.code == 0, r
    return r.json["rows"]


def test_months_end_with_the_current_one_and_billed_comes_from_billing(m):
    rows = trends(m, "--tenant", "acme", "--months", "3")
    assert [r["month"] for r in rows] == ["2025-12", "2026-01", "2026-02"]
    assert [r["billed"] for r in rows] == ["55.00", "55.00", "55.22"]
    # February: 2 packages of 1,000 tokens at 0.10 on top of the base: 50.20 + 10 % tax.
    assert [r["change"] for r in rows] == ["0.00", "0.00", "0.22"]
    feb = rows[-1]
    assert set(feb) == {"tenant", "month", "quantity_by_meter", "currency", "billed", "change"}  # SPEC 10: currency
    assert feb["quantity_by_meter"] == {"api_calls": 400, "ai_requests": 3, "email_analysis": 2, "storage_gb": 12.5,
                                        "active_users": 2, "llm_tokens": 1500, "operations_started": 0}
    assert rows[1]["quantity_by_meter"]["api_calls"] == 1000


def test_every_tenant_by_default_six_months(m):
    rows = trends(m)
    assert len(rows) == 3 * 6
    idle = [r for r in rows if r["tenant"] == "idle"]
    assert [r["billed"] for r in idle] == ["11.00"] * 6
    assert all(v == 0 for r in idle for v in r["quantity_by_meter"].values())


def test_plan_change_mid_month_is_prorated(m):
    r = m("tenants", "set-plan", "beta", "pro", "--effective", "2026-02-15")
    assert r.code == 0, r
    rows = trends(m, "--tenant", "beta", "--months", "2")
    # 14 days of basic (5.00) + 14 days of pro (25.00) = 30.00 + 10 % tax.
    assert [(r["month"], r["billed"], r["change"]) for r in rows] == [("2026-01", "11.00", "0.00"),
                                                                       ("2026-02", "33.00", "22.00")]


def test_finalized_invoice_total_is_what_was_billed(m):
    r = m("invoice", "generate", "--period", "2026-01", "--tenant", "beta", "--finalize")
    assert r.code == 0, r
    # Late January usage: the finalized invoice stays as issued.
    assert m.ingest([{"id": "late1", "tenant": "beta", "metric": "api_calls", "quantity": 3000,
                      "timestamp": "2026-01-20T00:00:00Z"}], "late.ndjson").code == 0
    rows = trends(m, "--tenant", "beta", "--months", "2")
    assert rows[0]["month"] == "2026-01" and rows[0]["billed"] == "11.00"
    assert rows[0]["quantity_by_meter"]["api_calls"] == 3000


def test_text_and_csv_and_bad_flags(m):
    r = m("report", "trends", "--months", "2")
    assert r.code == 0, r
    assert "55.22" in r.out and "+0.22" in r.out and "\u2588" not in r.out  # no chart when not a TTY
    c = m("report", "trends", "--months", "1", "--tenant", "acme", "--format", "csv")
    assert c.code == 0, c
    assert c.out.splitlines()[0] == "tenant,month,currency,billed,change,usage"
    assert m("report", "trends", "--months", "0").code == 2
    assert m("report", "trends", "--tenant", "nobody").code == 2
