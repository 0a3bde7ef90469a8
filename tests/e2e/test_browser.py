"""meter's HTML in a real browser: headless Chromium (Debian's `chromium`,
installed by scripts/setup.sh), with every host name unresolvable so any
network fetch would show up as a console error. Skips, saying why, when
Chromium is absent.

The dashboard (`meter report dashboard`): the charts are in the rendered DOM,
the page logs nothing to the console (no script errors, no failed loads), and
a 1366x900 screenshot is produced. By hand:
  chromium --headless --no-sandbox --disable-gpu --screenshot=dash.png \
      --window-size=1366,900 file://$PWD/dash.html

The printable invoice (`meter invoice show ID --format html`, issue 16): an
invoice priced per model for a dozen models and a few projects prints on one
page. By hand:
  chromium --headless --no-sandbox --no-pdf-header-footer --print-to-pdf=inv.pdf file://$PWD/inv.html
"""
import os
import re
import shutil
import struct
import subprocess

import pytest

from acceptance import ev
from insight_data import load

# $METER_CHROMIUM names another browser binary (or a missing one, to see the skip).
CHROMIUM = os.environ.get("METER_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason=f"{CHROMIUM} not found: install Debian's chromium (scripts/setup.sh does)")


def chromium(tmp_path, url, *args):
    argv = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
            f"--user-data-dir={tmp_path / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
            "--enable-logging=stderr", "--v=0", *args, url]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120)


def console_lines(stderr):
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture
def page(meter):
    load(meter, "2026-02-20T12:00:00Z")
    assert meter("invoice", "generate", "--period", "2026-01", "--finalize").code == 0
    out = meter.dir / "dash.html"
    r = meter("report", "dashboard", "--out", out)
    assert r.code == 0, r
    return out


def test_console_check_catches_a_script_error(tmp_path):
    # The detector itself: a page that throws must be reported.
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><script>throw new Error('boom')</script></body></html>")
    r = chromium(tmp_path, bad.as_uri(), "--dump-dom")
    assert any("boom" in line for line in console_lines(r.stderr)), r.stderr[-2000:]


def test_rendered_dom_has_the_charts_and_no_console_messages(page, tmp_path):
    r = chromium(tmp_path, page.as_uri(), "--dump-dom")
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    assert dom.count('<svg class="chart usage"') == 6
    assert '<svg class="chart tenants"' in dom and '<svg class="chart invoices"' in dom
    assert dom.count("<rect") > 50
    assert "Quota status now" in dom
    assert console_lines(r.stderr) == []


def test_rendered_charts_read_at_a_glance(page, tmp_path):
    """Issue 17: every bar chart has a value axis (round ticks, the unit or the
    currency), the invoice chart shows only the months with invoices and says
    when that is one, and an unlimited limit reads "unlimited", never "hard"."""
    r = chromium(tmp_path, page.as_uri(), "--dump-dom")
    assert r.returncode == 0, r.stderr[-2000:]
    dom = r.stdout
    charts = re.findall(r'<svg class="chart (?:usage|tenants|invoices)".*?</svg>', dom, re.S)
    assert len(charts) == 8
    for svg in charts:
        ticks = re.findall(r'<text class="tick"[^>]*>([^<]+)</text>', svg)
        assert ticks[0] == "0" and len(ticks) >= 3, ticks
    units = {re.search(r'aria-label="([^"]+)"', svg).group(1): re.findall(r'<text class="unit"[^>]*>([^<]+)<', svg)
             for svg in charts}
    assert units["daily api_calls"] == ["calls"] and units["daily storage_gb"] == ["GB"]
    assert units["daily ai_requests"] == []   # a meter without a unit: ticks only
    assert units["top tenants"] == ["USD"] and units["invoice totals"] == ["USD"]
    invoices = next(c for c in charts if 'class="chart invoices"' in c)
    assert re.findall(r">(\d{4}-\d\d)</text>", invoices) == ["2026-01"]
    assert "one month of invoices so far (2026-01)" in dom
    quota = dom[dom.index("Quota status now"):]
    for row in re.findall(r"<tr>.*?</tr>", quota, re.S):
        if "unlimited" in row:
            assert ">hard<" not in row and ">soft<" not in row, row


def test_screenshot_at_laptop_size(page, tmp_path):
    shot = tmp_path / "dash.png"
    r = chromium(tmp_path, page.as_uri(), f"--screenshot={shot}", "--window-size=1366,900")
    assert r.returncode == 0, r.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert (width, height) == (1366, 900)
    assert len(data) > 20000   # a blank page compresses to a few KB
    assert console_lines(r.stderr) == []


MODELS = ["claude-opus", "claude-sonnet", "claude-haiku", "gpt-4o", "gpt-4o-mini", "o3", "o4-mini",
          "gemini-pro", "gemini-flash", "llama-70b", "mistral-large", "command-r"]
PROJECTS = ["search", "support-bot", "analytics"]


def per_model_catalog(models):
    filters = [{"name": m, "where": {"properties.model": m}, "unit_price": f"0.0000{i % 9 + 1}",
                "group_by": "properties.project"} for i, m in enumerate(models)]
    return {"currency": "USD", "tax": {"name": "VAT", "rate": "0.2"},
            "invoice": {"number_prefix": "INV-", "net_days": 14},
            "meters": [{"key": "tokens", "name": "LLM tokens", "event": "llm", "value": "properties.tokens",
                        "unit": "tokens"}],
            "plans": [{"key": "ai", "name": "AI Scale", "base_price": "99", "minimum_commitment": "90000",
                       "charges": [{"meter": "tokens", "model": "per_unit", "unit_price": "0.000001",
                                    "filters": filters}]}],
            "tenants": [{"id": "acme", "name": "Acme Corporation", "plan": "ai"}]}


def printed_pages(meter, tmp_path, models, projects):
    """Pages of the finalized February invoice of a tenant using every model in every project."""
    meter.init(per_model_catalog(models))
    meter.now = "2026-03-02T00:00:00Z"
    events = [ev(f"e{n}", "acme", "llm", "2026-02-10T00:00:00Z",
                 properties={"model": m, "project": p, "tokens": 1234567 * n})
              for n, (m, p) in enumerate(((m, p) for m in models for p in projects), 1)]
    events.append(ev("e0", "acme", "llm", "2026-02-11T00:00:00Z", properties={"model": "other", "tokens": 5}))
    assert meter.ingest(events).code == 0
    assert meter("invoice", "generate", "--period", "2026-02", "--finalize").code == 0
    inv = meter("invoice", "list", json=True).json["invoices"][0]
    lines = meter("invoice", "show", inv["id"], json=True).json["lines"]
    assert sum(1 for x in lines if x.get("filter")) == len(models) * len(projects)
    assert len(lines) >= len(models) * len(projects) + 2   # and the base price, the remainder
    html = meter.dir / "inv.html"
    html.write_text(meter("invoice", "show", inv["id"], "--format", "html").out)
    pdf = tmp_path / "inv.pdf"
    r = chromium(tmp_path, html.as_uri(), "--no-pdf-header-footer", f"--print-to-pdf={pdf}")
    assert r.returncode == 0 and pdf.exists(), r.stderr[-2000:]
    data = pdf.read_bytes()
    # The page tree's root carries the page count; each page is a /Type /Page object.
    count = int(re.search(rb"/Type /Pages\b.*?/Count (\d+)", data, re.S).group(1))
    assert count == len(re.findall(rb"/Type /Page\b", data))
    return count


def test_invoice_of_a_dozen_models_and_a_few_projects_prints_on_one_page(meter, tmp_path):
    assert printed_pages(meter, tmp_path, MODELS, PROJECTS) == 1


def test_page_count_sees_an_invoice_longer_than_a_page(meter, tmp_path):
    # The check above can fail: five times the lines take more than one page.
    assert printed_pages(meter, tmp_path, MODELS, PROJECTS + ["p4", "p5", "p6", "p7", "p8", "p9", "p10",
                                                             "p11", "p12", "p13", "p14", "p15"]) > 1
