"""End-to-end: `meter report dashboard --out F.html` writes one self-contained
page (no script, no external resource) whose figures come from the database:
usage charts per meter, top tenants by amount billed (billing's preview),
invoice totals per month and quota status. The page in a real browser:
test_browser.py."""
import re

import pytest

from insight_data import load

NOW = "2026-02-20T12:00:00Z"


@pytest.fixture
def m(meter):
    return load(meter, NOW)


def dashboard(m, *args):
    out = m.dir / "dash.html"
    r = m("report", "dashboard", "--out", out, *args)
    assert r.code == 0, r
    return out.read_text()


def test_self_contained_with_charts(m):
    html = dashboard(m)
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert "<script" not in html and "<link" not in html and "<img" not in html
    assert not re.search(r"(src|href)=|url\(|https?://", html)
    # Six meters were used in February: one chart each, then tenants. No
    # invoice exists yet, so the invoice section says so instead of drawing an
    # empty axis.
    assert html.count('<svg class="chart usage"') == 6
    assert html.count('<svg class="chart tenants"') == 1
    assert html.count('<svg class="chart invoices"') == 0 and "No invoices yet." in html
    assert "Month 2026-02" in html and "generated 2026-02-20T12:00:00Z" in html


def test_top_tenants_billed_by_billing_largest_first(m):
    html = dashboard(m)
    section = html[html.index("Top tenants"):html.index("Invoice totals")]
    assert section.index("Acme") < section.index("Beta")
    assert "USD 55.22" in section and "USD 11.00" in section
    assert "USD 77.22" in html   # everyone's February: 55.22 + 11.00 + 11.00


def test_invoice_totals_and_quota_status(m):
    assert m("invoice", "generate", "--period", "2026-01", "--tenant", "acme", "--finalize").code == 0
    html = dashboard(m)
    assert "2026-01 open: USD 55.00" in html
    quota = html[html.index("Quota status"):]
    # Every limit of every tenant's plan; acme's tokens are unlimited on pro.
    assert quota.count("<tr><td>") == 6
    assert "unlimited" in quota
    # The unlimited limit enforces nothing: its row never says "hard".
    for row in quota.split("<tr>"):
        if "unlimited" in row:
            assert "hard" not in row and "soft" not in row, row
    # One month has invoices: the chart shows it alone and says so.
    assert "one month of invoices so far (2026-01)" in html
    chart = html[html.index('<svg class="chart invoices"'):]
    chart = chart[:chart.index("</svg>")]
    assert ">2026-01<" in chart and ">2025-12<" not in chart and ">2026-02<" not in chart
    assert ">USD</text>" in chart   # the value axis is in money


def test_charts_have_value_axes_with_units(m):
    html = dashboard(m)
    charts = re.findall(r'<svg class="chart usage".*?</svg>', html)
    assert len(charts) == 6
    for svg in charts:
        ticks = re.findall(r'<text class="tick"[^>]*>([^<]+)</text>', svg)
        assert ticks[0] == "0" and 3 <= len(ticks) <= 6, ticks
    calls = next(c for c in charts if 'aria-label="daily api_calls"' in c)
    assert '<text class="unit"' in calls and ">calls</text>" in calls


def test_other_month_and_bad_out(m):
    html = dashboard(m, "--period", "2025-11")
    assert "No usage recorded this month." in html
    assert m("report", "dashboard").code == 2   # --out is required
    assert m("report", "dashboard", "--out", m.dir / "no" / "such" / "dir.html").code == 74
