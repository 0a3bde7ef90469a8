"""Regression tests for issue 12's number defects (items 1 and 6): every
quantity ingest accepts prints exactly in every output and every stored
invoice reads back; catalog numbers are read from their source text. Each
test opens with the bug it pins."""
import json
import re

CATALOG = """{
  "currency": "USD",
  "tax": {"name": "VAT", "rate": "0.10"},
  "invoice": {"number_prefix": "INV-", "net_days": 14},
  "meters": [{"key": "gb"}, {"key": "api_calls"}],
  "plans": [{"key": "p", "name": "P", "base_price": "0",
             "charges": [{"meter": "gb", "model": "per_unit", "unit_price": "0.01"},
                         {"meter": "api_calls", "model": "per_unit", "unit_price": "0.001"}]}],
  "tenants": [{"id": "a", "name": "A", "plan": "p"}]
}"""


def line(eid, quantity, metric="gb", ts="2026-02-03T00:00:00Z"):
    """An NDJSON event with the quantity written exactly as given."""
    return f'{{"id":"{eid}","tenant":"a","metric":"{metric}","quantity":{quantity},"timestamp":"{ts}"}}'


def start(meter, *events):
    meter.now = "2026-03-02T00:00:00Z"
    meter.init(meter.write("catalog.json", CATALOG))
    r = meter.ingest(list(events))
    assert r.code == 0, r


def numbers_in(text, key):
    """The literal text of every JSON number under `key` in `text`."""
    return re.findall(rf'"{key}": (-?[0-9][0-9.eE+-]*)', text)


def test_quantity_1000000000_123456_keeps_the_tenant_invoiceable(meter):
    # Bug: a quantity of 1000000000.123456 was stored in the invoice document
    # through a double; `invoice list`, `show` and `finalize` then exited 65
    # "invoice document is unreadable", so the tenant could not be invoiced.
    start(meter, line("e1", "1000000000.123456"))
    r = meter("invoice", "generate", "--period", "2026-02", json=True)
    assert r.code == 0, r
    assert "1000000000.123456" in numbers_in(r.out, "quantity")
    listed = meter("invoice", "list", json=True)
    assert listed.code == 0, listed
    assert "1000000000.123456" in numbers_in(listed.out, "quantity")
    shown = meter("invoice", "show", "inv_a_2026-02", json=True)
    assert shown.code == 0, shown
    assert "1000000000.123456" in numbers_in(shown.out, "quantity")
    usage = [l for l in shown.json["lines"] if l["meter"] == "gb"][0]
    assert usage["amount"] == "10000000.00"  # 1000000000.123456 × 0.01 rounded once
    fin = meter("invoice", "finalize", "inv_a_2026-02", json=True)
    assert fin.code == 0, fin
    assert "1000000000.123456" in numbers_in(fin.out, "quantity")
    assert meter("invoice", "show", fin.json["number"], "--format", "csv").out.count("1000000000.123456") >= 1


def test_report_usage_prints_12345678901_234567_as_ingested(meter):
    # Bug: `report usage --json` printed 12345678901.234567 as ...568 (it went
    # through a double) while the invoice computed from ...567.
    start(meter, line("e1", "12345678901.234567"))
    r = meter("report", "usage", "--period", "2026-02", "--by", "meter", json=True)
    assert r.code == 0, r
    assert numbers_in(r.out, "quantity") == ["12345678901.234567"]
    inv = meter("invoice", "generate", "--period", "2026-02", json=True)
    assert "12345678901.234567" in numbers_in(inv.out, "quantity")
    text = meter("invoice", "show", "inv_a_2026-02")
    assert "12,345,678,901.234567" in text.out


def test_quantity_3328_325063_prints_as_written_and_reads_back(meter):
    # Bug: 3328.325063 printed as 3328.3250629999998 in --json, and such a
    # quantity made every command reading invoices exit 65 for the whole
    # database (invoice list, tenants show, report trends, sweep-overdue).
    start(meter, line("e1", "3328.325063"), line("e2", "3328.325063", "api_calls"))
    gen = meter("invoice", "generate", "--period", "2026-02", "--finalize", json=True)
    assert gen.code == 0, gen
    assert "3328.3250629999998" not in gen.out
    assert set(numbers_in(gen.out, "quantity")) == {"3328.325063"}
    for args in (["invoice", "list"], ["tenants", "show", "a"], ["report", "trends"],
                 ["invoice", "sweep-overdue"], ["report", "usage", "--period", "2026-02"],
                 ["quota", "status"], ["invoice", "show", "INV-2026-000001"]):
        r = meter(*args, json=True, now="2026-04-01T00:00:00Z")
        assert r.code == 0, (args, r)
        assert "3328.3250629999998" not in r.out, args
    trends = meter("report", "trends", json=True, now="2026-03-15T00:00:00Z")
    assert '"gb": 3328.325063' in trends.out
    usage = meter("report", "usage", "--period", "2026-02", "--by", "meter", json=True)
    assert numbers_in(usage.out, "quantity") == ["3328.325063", "3328.325063"]


def test_catalog_prices_written_as_json_numbers_are_read_exactly(meter):
    # Bug: unit prices of 0.2018234, 9.757497431 and 3328.325063 written as
    # JSON numbers made `meter init --catalog` exit 65 ("number
    # 0.20182339999999999 has more digits..."): they were read through a
    # double's long form instead of their source text.
    catalog = json.loads(CATALOG)
    catalog["meters"].append({"key": "x"})
    text = json.dumps(catalog).replace(
        '"unit_price": "0.01"', '"unit_price": 0.2018234').replace(
        '"unit_price": "0.001"', '"unit_price": 9.757497431')
    text = text.replace('"charges": [', '"charges": [{"meter": "x", "model": "per_unit", "unit_price": 3328.325063}, ')
    meter.now = "2026-03-02T00:00:00Z"
    r = meter("init", "--catalog", meter.write("catalog.json", text))
    assert r.code == 0, r
    shown = meter("catalog", "show", json=True)
    assert shown.code == 0, shown
    prices = {c["meter"]: c["unit_price"] for c in shown.json["plans"][0]["charges"]}
    assert prices == {"x": "3328.325063", "gb": "0.2018234", "api_calls": "9.757497431"}
    meter.ingest([line("e1", "10"), line("e2", "1000", "api_calls"), line("e3", "1", "x")])
    inv = meter("invoice", "generate", "--period", "2026-02", json=True).json["invoices"][0]
    amounts = {l["meter"]: (l["unit_price"], l["amount"]) for l in inv["lines"]}
    assert amounts == {"x": ("3328.325063", "3328.33"), "gb": ("0.2018234", "2.02"),
                       "api_calls": ("9.757497431", "9757.50")}


def test_catalog_numbers_beyond_a_decimal_are_refused_with_their_path(meter):
    # The one limit left on catalog numbers is Decimal's: at most 18 decimal
    # places (prices are exact to 9 per SPEC 1), below about 1.7e20.
    text = CATALOG.replace('"unit_price": "0.01"', '"unit_price": 0.1234567890123456789')
    r = meter("init", "--catalog", meter.write("catalog.json", text))
    assert r.code == 65, r
    assert "plans[0].charges[0].unit_price" in r.err
    assert r.err.count("\n") == 1


def test_a_month_past_what_a_bucket_holds_is_refused_not_wrapped(meter):
    # Bug: ten events of 2,000,000,000,000.5 units each (20,000,000,000,005 in
    # the month, past an int64 of millionths) made `aggregate` store the month
    # bucket as 1,553,255,926,295.448384 (wrapped), and `aggregate --verify`,
    # wrapping the same way, reported no drift.
    start(meter, *[line(f"e{i}", "2000000000000.5", ts=f"2026-02-{i + 1:02d}T00:00:00Z") for i in range(10)])
    r = meter("aggregate")
    assert r.code == 65, r
    assert "a total of 20000000000005 units is more than one counter holds" in r.err, r.err
    assert "1553255926295" not in meter("report", "usage", "--tenant", "a", "--period", "2026-02", "--by", "month").out


def test_an_hour_past_what_a_counter_holds_is_refused_not_wrapped(meter):
    # Bug: two events of 5,000,000,000,000 units in one hour summed past an
    # int64 of millionths in the ingest buffer (wrapped negative) and, across
    # two runs, in the stored counter (SQLite turned the sum into a REAL).
    start(meter)
    both = [line("a1", "5000000000000", ts="2026-02-01T00:00:00Z"),
            line("a2", "5000000000000", ts="2026-02-01T00:10:00Z")]
    r = meter.ingest(both)
    assert r.code == 65 and "would total more than one counter holds" in r.err, r
    assert meter("events", "list", json=True).json["events"] == []   # the batch rolled back whole
    assert meter.ingest(both[:1]).code == 0
    r = meter.ingest(both[1:])
    assert r.code != 0, r
    r = meter("report", "usage", "--tenant", "a", "--period", "2026-02", "--by", "hour", json=True)
    assert r.code == 0, r
    assert numbers_in(r.out, "quantity") == ["5000000000000"], r.out
