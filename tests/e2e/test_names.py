"""Names people read (issue 17, item 3; SPEC section 2): a meter's `name`, with
its `unit` where a quantity is printed, in every table and page a person reads;
JSON keeps the key. The sample catalog gives every meter a name and unit and
names the seller, so the demo's invoice is one a business could send."""
import pytest

from conftest import SAMPLE_DIR


def test_sample_catalog_names_every_meter_and_the_seller(sample_catalog):
    for m in sample_catalog["meters"]:
        assert m.get("name") and m["name"] != m["key"], m
        assert m.get("unit"), m
    assert sample_catalog["invoice"]["seller_name"]
    assert sample_catalog["invoice"]["seller_address"]


def test_sample_html_invoice_names_the_seller_and_the_meters(meter, sample_catalog):
    meter.init(sample_catalog)
    r = meter("ingest", SAMPLE_DIR / "usage-2026-02.ndjson", "--rejects", meter.dir / "rejects.txt")
    assert r.code == 65, r  # the sample carries deliberately bad records
    assert meter("invoice", "generate", "--period", "2026-02", "--tenant", "umbrella", now="2026-03-02T00:00:00Z").code == 0
    inv = meter("invoice", "list", "--tenant", "umbrella", json=True).json["invoices"][0]
    html = meter("invoice", "show", inv["id"], "--format", "html").out
    assert sample_catalog["invoice"]["seller_name"] in html
    assert sample_catalog["invoice"]["seller_address"] in html
    assert "Email analysis" in html and "Text to speech" in html


CATALOG = {
    "currency": "USD",
    "meters": [{"key": "api_calls", "name": "API calls", "unit": "calls"},
               {"key": "llm_tok", "name": "LLM tokens", "unit": "tokens", "value": "properties.tokens",
                "event": "llm"},
               {"key": "plain"}],
    "plans": [{"key": "pro", "base_price": "10.00",
               "charges": [{"meter": "api_calls", "model": "per_unit", "included": 0, "unit_price": "0.01"}],
               "limits": [{"meter": "api_calls", "limit": 1000, "period": "month", "enforcement": "hard"},
                          {"meter": "llm_tok", "limit": None},
                          {"meter": "plain", "limit": 50, "period": "day", "enforcement": "soft"}]}],
    "tenants": [{"id": "acme", "name": "Acme", "plan": "pro"}],
}
NOW = "2026-02-20T12:00:00Z"


@pytest.fixture
def m(meter):
    meter.init(CATALOG)
    meter.now = NOW
    events = [{"id": "e1", "tenant": "acme", "metric": "api_calls", "quantity": 900, "timestamp": "2026-02-10T10:00:00Z"},
              {"id": "e2", "tenant": "acme", "metric": "llm", "properties": {"tokens": 1500},
               "timestamp": "2026-02-11T10:00:00Z"},
              {"id": "e3", "tenant": "acme", "metric": "plain", "quantity": 2, "timestamp": "2026-02-20T10:00:00Z"}]
    assert meter.ingest(events).code == 0
    assert meter("aggregate").code == 0
    return meter


def test_quota_status_names_meters_with_units_and_json_csv_keep_keys(m):
    text = m("quota", "status").out
    row = next(line for line in text.splitlines() if "API calls" in line)
    assert "900" in row and "1,000" in row and " calls " in row, text
    tokens = next(line for line in text.splitlines() if "LLM tokens" in line)
    assert "unlimited" in tokens and "tokens" in tokens and "hard" not in tokens, text
    assert "plain" in text  # a meter without a name reads as its key
    assert "api_calls" not in text and "llm_tok" not in text
    assert {r["meter"] for r in m("quota", "status", json=True).json["rows"]} == {"api_calls", "llm_tok", "plain"}
    csv = m("quota", "status", "--format", "csv").out.splitlines()
    # CSV is for programs: plain numbers, the key, no bar column.
    assert csv[0] == "tenant,meter,used,limit,unit,percent,period,enforcement,resets_at"
    assert csv[1].startswith("acme,api_calls,900,1000,calls,90,")


def test_tenants_show_names_meters_with_units(m):
    out = m("tenants", "show", "acme").out
    assert "API calls" in out and "900 / 1,000 calls" in out, out
    tokens = next(line for line in out.splitlines() if "LLM tokens" in line)
    assert "0 / unlimited" in tokens
    assert "api_calls" not in out
    assert {l["meter"] for l in m("tenants", "show", "acme", json=True).json["limits"]} == {"api_calls", "llm_tok",
                                                                                          "plain"}


def test_alerts_list_names_meters(m):
    assert m("alerts", "scan").code == 0
    out = m("alerts", "list").out
    assert "API calls" in out and "calls" in out and "api_calls" not in out, out
    assert m("alerts", "list", json=True).json["alerts"][0]["meter"] == "api_calls"
    assert "api_calls" in m("alerts", "list", "--format", "csv").out


def test_reports_and_forecast_name_meters(m):
    usage = m("report", "usage", "--period", "2026-02").out
    assert "API calls" in usage and "LLM tokens" in usage and "api_calls" not in usage, usage
    assert "api_calls" in m("report", "usage", "--period", "2026-02", "--format", "csv").out
    assert m("report", "usage", "--period", "2026-02", json=True).json["rows"][0]["meter"] in ("api_calls", "llm_tok", "plain")
    trends = m("report", "trends", "--months", "1").out
    assert "API calls 900 calls" in trends and "LLM tokens 1,500 tokens" in trends, trends
    forecast = m("forecast").out
    assert "API calls" in forecast and "calls" in forecast and "api_calls" not in forecast, forecast
    assert "api_calls" in {r["meter"] for r in m("forecast", json=True).json["rows"]}
