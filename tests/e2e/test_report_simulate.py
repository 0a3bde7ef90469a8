"""End-to-end: `meter simulate --catalog F --period P` re-prices a past month
under a candidate catalog and writes nothing. Figures by hand from
tests/support/insight_data.py for February 2026 (10 % tax): acme on pro
50.00 + 2 token packages 0.20 = 50.20 -> 55.22; beta and idle on basic 10.00
-> 11.00."""
import copy

import pytest

from insight_data import CATALOG, load

NOW = "2026-03-05T12:00:00Z"


@pytest.fixture
def m(meter):
    return load(meter, NOW)


def candidate(**changes):
    c = copy.deepcopy(CATALOG)
    c["plans"][1]["base_price"] = "60.00"
    for k, v in changes.items():
        c[k] = v
    return c


def simulate(m, cat, *args):
    r = m("simulate", "--catalog", m.write("candidate.json", cat), "--period", "2026-02", *args, json=True)
    assert r.code == 0, r
    return r.json


def test_price_change_per_tenant_and_totals(m):
    before = m.contents()
    s = simulate(m, candidate())
    assert set(s) == {"period", "rows", "current_total", "simulated_total", "difference", "totals_by_currency"}
    assert s["period"] == "2026-02"
    rows = {r["tenant"]: r for r in s["rows"]}
    assert rows["acme"] == {"tenant": "acme", "currency": "USD", "current_total": "55.22", "simulated_total": "66.22",
                            "difference": "11.00", "percent": 19.92}
    assert rows["beta"] == {"tenant": "beta", "currency": "USD", "current_total": "11.00", "simulated_total": "11.00",
                            "difference": "0.00", "percent": 0}
    assert rows["idle"]["simulated_total"] == "11.00"
    assert (s["current_total"], s["simulated_total"], s["difference"]) == ("77.22", "88.22", "11.00")
    assert m.contents() == before   # nothing written
    assert m("invoice", "list", json=True).out.count("inv_") == 0


def test_tax_comes_from_the_candidate(m):
    s = simulate(m, candidate(tax={"name": "VAT", "rate": "0.20"}))
    rows = {r["tenant"]: r for r in s["rows"]}
    assert rows["beta"]["simulated_total"] == "12.00"
    assert rows["acme"]["simulated_total"] == "72.24"   # 60.20 + 12.04


def test_finalized_invoice_is_the_current_total(m):
    assert m("invoice", "generate", "--period", "2026-02", "--tenant", "beta", "--finalize").code == 0
    # Late February usage: the finalized invoice stays 11.00; the same events
    # under the candidate (basic unchanged) bill 10.00 + 2,007 - 1,000 at 0.01.
    assert m.ingest([{"id": "late", "tenant": "beta", "metric": "api_calls", "quantity": 2000,
                      "timestamp": "2026-02-11T00:00:00Z"}], "late.ndjson").code == 0
    rows = {r["tenant"]: r for r in simulate(m, candidate())["rows"]}
    assert rows["beta"]["current_total"] == "11.00"
    assert rows["beta"]["simulated_total"] == "22.08"   # 20.07 + 2.007 tax, rounded once


def test_meter_defined_differently_is_evaluated_from_raw_events(m):
    c = candidate()
    c["meters"].append({"key": "u2_calls", "event": "api_calls", "where": {"user": "u2"}})
    c["plans"][1]["charges"].append({"meter": "u2_calls", "model": "per_unit", "included": 0, "unit_price": "0.01"})
    rows = {r["tenant"]: r for r in simulate(m, c)["rows"]}
    # u2 used 250 api_calls in February: +2.50 -> 62.70 + 6.27 tax.
    assert rows["acme"]["simulated_total"] == "68.97"


def test_empty_period_and_missing_plan(m):
    s = simulate(m, candidate(), )
    assert s["rows"]
    r = m("simulate", "--catalog", m.write("c.json", candidate()), "--period", "2025-06", json=True)
    assert r.code == 0, r
    assert {x["current_total"] for x in r.json["rows"]} == {"55.00", "11.00"}
    no_pro = copy.deepcopy(CATALOG)
    no_pro["plans"] = no_pro["plans"][:1]
    no_pro["tenants"] = [t for t in no_pro["tenants"] if t["plan"] == "basic"]
    r = m("simulate", "--catalog", m.write("nopro.json", no_pro), "--period", "2026-02")
    assert r.code == 65, r
    assert "pro" in r.err and "acme" in r.err


def test_text_and_bad_flags(m):
    r = m("simulate", "--catalog", m.write("c.json", candidate()), "--period", "2026-02")
    assert r.code == 0, r
    assert "+19.92%" in r.out and "total" in r.out
    assert m("simulate", "--catalog", "missing.json", "--period", "2026-02").code == 66
    assert m("simulate", "--catalog", m.write("c.json", candidate()), "--period", "Feb").code == 2
