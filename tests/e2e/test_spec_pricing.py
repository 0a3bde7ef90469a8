"""Acceptance tests for SPEC section 10 (pricing depth), written from the SPEC
alone with our own catalogs and numbers: filters (first match, inheritance,
null un-sets, per-filter aggregation, names), group_by (ordering, (none)),
tenant start, minimum commitment, trials, billing days, annual plans,
negative subtotals, currencies and minor units, and the catalog's refusals.

Section 10 is being built (pricing16) while these are written: the tests that
do not pass yet are marked xfail (strict=False) so the suite stays green."""
import copy
import json

import pytest

from acceptance import D, assert_one_line_error, ev, generate, invoice_list, loads_exact, show

MARCH = "2026-03-02T00:00:00Z"


def base_catalog(plans, tenants, meters=None, **extra):
    cat = {"currency": "USD", "tax": {"name": "Tax", "rate": "0"},
           "invoice": {"number_prefix": "PD-", "net_days": 10},
           "meters": meters or [
               {"key": "tokens", "name": "LLM tokens", "event": "llm", "value": "properties.tokens"},
               {"key": "gb", "name": "Storage", "aggregation": "max"},
               {"key": "seats", "event": "login", "aggregation": "unique_count", "value": "user"},
               {"key": "calls"}],
           "plans": plans, "tenants": tenants}
    cat.update(extra)
    return cat


def usage_lines(inv, meter_key):
    return [line for line in inv["lines"] if line.get("meter") == meter_key]


def llm(i, model, tokens, tenant="t", ts="2026-02-10T00:00:00Z", **kw):
    return ev(f"llm{i}", tenant, "llm", ts, properties={"model": model, "tokens": tokens, **kw})


FILTER_PLAN = {
    "key": "ai", "base_price": "0", "charges": [
        {"meter": "tokens", "model": "package", "package_size": 1000, "package_price": "0.20",
         "filters": [
             {"name": "Big", "where": {"properties.model": "big-1"}, "package_price": "1.00"},
             {"where": {"properties.model": ["s-2", "s-1"]}, "model": "graduated", "package_size": None,
              "tiers": [{"up_to": 1000, "unit_price": "0.001"}, {"up_to": None, "unit_price": "0.0005"}]},
             {"where": {"properties.model": "big-1"}, "package_price": "99.00"},   # never reached: first wins
         ]}]}


def test_filters_first_match_inherit_and_own_lines(meter):
    meter.init(base_catalog([FILTER_PLAN], [{"id": "t", "plan": "ai"}]))
    meter.now = MARCH
    assert meter.ingest([llm(1, "big-1", 2500), llm(2, "s-1", 800), llm(3, "s-2", 700),
                         llm(4, "tiny", 1200), llm(5, "tiny", 10)]).code == 0
    inv = generate(meter, "2026-02", "t")
    lines = {line["filter"]: line for line in usage_lines(inv, "tokens")}
    assert set(lines) == {"Big", "model=s-2|s-1", None}
    big = lines["Big"]      # 3 packages (inherited size 1000) x 1.00
    assert (big["description"], big["quantity"], big["amount"], big["group"]) == ("LLM tokens · Big", 2500, "3.00", None)
    small = lines["model=s-2|s-1"]   # graduated: 1000 x 0.001 + 500 x 0.0005
    assert (small["description"], small["quantity"], small["amount"]) == ("LLM tokens · model=s-2|s-1", 1500, "1.25")
    rest = lines[None]      # remainder: 1210 -> 2 packages x 0.20
    assert (rest["description"], rest["quantity"], rest["amount"]) == ("LLM tokens", 1210, "0.40")
    assert inv["subtotal"] == "4.65"


def test_filter_null_unsets_included_and_each_filter_has_its_own_included(meter):
    plan = {"key": "p", "base_price": "0", "charges": [
        {"meter": "calls", "model": "per_unit", "included": 100, "unit_price": "0.10",
         "filters": [{"name": "EU", "where": {"properties.region": "eu"}},
                     {"name": "US", "where": {"properties.region": "us"}, "included": None}]}]}
    meter.init(base_catalog([plan], [{"id": "t", "plan": "p"}]))
    meter.now = MARCH
    evs = [ev(1, "t", "calls", "2026-02-03T00:00:00Z", 150, properties={"region": "eu"}),
           ev(2, "t", "calls", "2026-02-03T00:00:00Z", 150, properties={"region": "us"}),
           ev(3, "t", "calls", "2026-02-03T00:00:00Z", 150, properties={"region": "ap"})]
    assert meter.ingest(evs).code == 0
    inv = generate(meter, "2026-02", "t")
    amounts = {line["filter"]: line["amount"] for line in usage_lines(inv, "calls")}
    assert amounts == {"EU": "5.00", "US": "15.00", None: "5.00"}


def test_max_and_unique_count_work_per_filter(meter):
    plan = {"key": "p", "base_price": "0", "charges": [
        {"meter": "gb", "model": "per_unit", "unit_price": "1.00",
         "filters": [{"name": "EU", "where": {"properties.region": "eu"}}]},
        {"meter": "seats", "model": "per_unit", "unit_price": "2.00",
         "filters": [{"name": "Admins", "where": {"properties.role": "admin"}}]}]}
    meter.init(base_catalog([plan], [{"id": "t", "plan": "p"}]))
    meter.now = MARCH
    evs = [ev(1, "t", "gb", "2026-02-03T00:00:00Z", 5, properties={"region": "eu"}),
           ev(2, "t", "gb", "2026-02-04T00:00:00Z", 9, properties={"region": "eu"}),
           ev(3, "t", "gb", "2026-02-05T00:00:00Z", 20, properties={"region": "us"}),
           ev(4, "t", "login", "2026-02-05T00:00:00Z", user="ann", properties={"role": "admin"}),
           ev(5, "t", "login", "2026-02-06T00:00:00Z", user="ann", properties={"role": "admin"}),
           ev(6, "t", "login", "2026-02-06T00:00:00Z", user="bob", properties={"role": "admin"}),
           ev(7, "t", "login", "2026-02-06T00:00:00Z", user="cy"),
           ev(8, "t", "login", "2026-02-07T00:00:00Z", user="ann")]      # no role: the remainder
    assert meter.ingest(evs).code == 0
    inv = generate(meter, "2026-02", "t")
    gb = {line["filter"]: (line["quantity"], line["amount"]) for line in usage_lines(inv, "gb")}
    assert gb == {"EU": (9, "9.00"), None: (20, "20.00")}
    seats = {line["filter"]: (line["quantity"], line["amount"]) for line in usage_lines(inv, "seats")}
    assert seats == {"Admins": (2, "4.00"), None: (2, "4.00")}


def test_default_filter_name_sorts_conditions_by_field(meter):
    plan = {"key": "p", "base_price": "0", "charges": [
        {"meter": "calls", "model": "per_unit", "unit_price": "1",
         "filters": [{"where": {"user": "u1", "properties.model": ["m2", "m1"]}}]}]}
    meter.init(base_catalog([plan], [{"id": "t", "plan": "p"}]))
    meter.now = MARCH
    assert meter.ingest([ev(1, "t", "calls", "2026-02-03T00:00:00Z", 3, user="u1",
                            properties={"model": "m1"})]).code == 0
    inv = generate(meter, "2026-02", "t")
    (line,) = usage_lines(inv, "calls")
    assert line["filter"] == "model=m2|m1, user=u1"
    assert line["description"] == "calls · model=m2|m1, user=u1"


def test_group_by_lines_ordered_by_bytes_none_last(meter):
    plan = {"key": "p", "base_price": "0", "charges": [
        {"meter": "calls", "model": "per_unit", "included": 10, "unit_price": "0.20",
         "group_by": "properties.project"}]}
    meter.init(base_catalog([plan], [{"id": "t", "plan": "p"}]))
    meter.now = MARCH
    evs = [ev(1, "t", "calls", "2026-02-03T00:00:00Z", 15, properties={"project": "alpha"}),
           ev(2, "t", "calls", "2026-02-03T00:00:00Z", 8, properties={"project": "beta"}),
           ev(3, "t", "calls", "2026-02-03T00:00:00Z", 12),
           ev(4, "t", "calls", "2026-02-03T00:00:00Z", 11, properties={"project": "Zeta"})]
    assert meter.ingest(evs).code == 0
    inv = generate(meter, "2026-02", "t")
    got = [(line["group"], line["description"], line["amount"]) for line in usage_lines(inv, "calls")]
    assert got == [("Zeta", "calls · project=Zeta", "0.20"), ("alpha", "calls · project=alpha", "1.00"),
                   ("beta", "calls · project=beta", "0.00"), ("(none)", "calls · project=(none)", "0.40")]


def test_group_by_inside_a_filter(meter):
    plan = {"key": "p", "base_price": "0", "charges": [
        {"meter": "tokens", "model": "per_unit", "unit_price": "0.01",
         "filters": [{"name": "Big", "where": {"properties.model": "big-1"}, "group_by": "properties.project"}]}]}
    meter.init(base_catalog([plan], [{"id": "t", "plan": "p"}]))
    meter.now = MARCH
    assert meter.ingest([llm(1, "big-1", 100, project="x"), llm(2, "big-1", 300, project="y"),
                         llm(3, "other", 50, project="x")]).code == 0
    inv = generate(meter, "2026-02", "t")
    got = [(line["filter"], line["group"], line["description"], line["amount"]) for line in usage_lines(inv, "tokens")]
    assert ("Big", "x", "LLM tokens · Big · project=x", "1.00") in got
    assert ("Big", "y", "LLM tokens · Big · project=y", "3.00") in got
    assert (None, None, "LLM tokens", "0.50") in got


def test_plain_lines_carry_null_filter_and_group(meter):
    plan = {"key": "p", "base_price": "1.00", "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "1"}]}
    meter.init(base_catalog([plan], [{"id": "t", "plan": "p"}]))
    meter.now = MARCH
    meter.ingest([ev(1, "t", "calls", "2026-02-03T00:00:00Z", 2)])
    inv = generate(meter, "2026-02", "t")
    pytest.xfail("SPEC 10: invoice lines do not carry filter/group yet (pricing16)") \
        if any("filter" not in line or "group" not in line for line in inv["lines"]) else None
    assert all(line["filter"] is None and line["group"] is None for line in inv["lines"])


def test_started_at_prorates_the_first_period_and_a_bare_date_is_local_midnight(meter):
    plans = [{"key": "p", "base_price": "28.00", "minimum_commitment": "56.00",
              "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "1.00"}]}]
    tenants = [{"id": "t", "plan": "p", "started_at": "2026-02-15"},
               {"id": "tokyo", "plan": "p", "started_at": "2026-02-15", "timezone": "Asia/Tokyo"}]
    meter.init(base_catalog(plans, tenants))
    meter.now = MARCH
    # 2026-02-14T16:00Z is Feb 15, 01:00 in Tokyo: after its start
    assert meter.ingest([ev(1, "tokyo", "calls", "2026-02-14T16:00:00Z", 3)]).code == 0
    inv = generate(meter, "2026-02", "t")
    # base 14/28 x 28 = 14.00; commitment 14/28 x 56 = 28.00 -> true-up 14.00
    assert inv["subtotal"] == "28.00"
    assert any(line["description"] == "Minimum commitment true-up" and line["amount"] == "14.00"
               for line in inv["lines"])
    tk = generate(meter, "2026-02", "tokyo")
    # Tokyo's Feb 15 starts at 2026-02-14T15:00Z; its February ends at 2026-02-28T15:00Z
    assert [line["quantity"] for line in usage_lines(tk, "calls")] == [3]


def test_minimum_commitment_true_up(meter):
    plans = [{"key": "p", "base_price": "10.00", "minimum_commitment": "50.00",
              "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "1.00"}]}]
    meter.init(base_catalog(plans, [{"id": "low", "plan": "p"}, {"id": "high", "plan": "p"}]))
    meter.now = MARCH
    meter.ingest([ev(1, "low", "calls", "2026-02-03T00:00:00Z", 15), ev(2, "high", "calls", "2026-02-03T00:00:00Z", 60)])
    low = generate(meter, "2026-02", "low")
    assert low["lines"][-1]["description"] == "Minimum commitment true-up"
    assert low["lines"][-1]["amount"] == "25.00" and low["subtotal"] == "50.00"
    high = generate(meter, "2026-02", "high")
    assert all("commitment" not in line["description"].lower() for line in high["lines"])
    assert high["subtotal"] == "70.00"


def test_trial_days_skip_the_base_price_and_tenants_show_names_the_end(meter):
    plans = [{"key": "p", "base_price": "56.00", "trial_days": 14,
              "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "1.00"}]}]
    meter.init(base_catalog(plans, [{"id": "t", "plan": "p", "started_at": "2026-02-01"}]))
    meter.now = "2026-02-05T00:00:00Z"
    meter.ingest([ev(1, "t", "calls", "2026-02-03T00:00:00Z", 2)])
    r = meter("tenants", "show", "t", json=True)
    assert r.code == 0, r
    assert r.json["trial_ends_at"] == "2026-02-15T00:00:00Z"
    assert "2026-02-15" in meter("tenants", "show", "t").out
    meter.now = MARCH
    assert meter("tenants", "show", "t", json=True).json["trial_ends_at"] is None
    inv = generate(meter, "2026-02", "t")
    base = [line for line in inv["lines"] if not line.get("meter")]
    assert len(base) == 1 and base[0]["amount"] == "28.00" and "trial" in base[0]["description"].lower()
    assert inv["subtotal"] == "30.00"     # usage is charged as usual


def test_billing_day_periods_clamp_and_dates(meter):
    plans = [{"key": "p", "base_price": "31.00",
              "limits": [{"meter": "calls", "limit": 100, "period": "month", "enforcement": "hard"}]}]
    tenants = [{"id": "d15", "plan": "p", "billing_day": 15}, {"id": "d31", "plan": "p", "billing_day": 31},
               {"id": "d30", "plan": "p", "billing_day": 30}]
    meter.init(base_catalog(plans, tenants))
    meter.now = "2026-04-05T00:00:00Z"
    r = meter("invoice", "generate", "--period", "2026-02")
    assert r.code == 0, r
    got = {i["tenant"]: (i["period_start"], i["period_end"], i["issue_date"], i["due_date"])
           for i in invoice_list(meter, "--period", "2026-02")}
    assert got["d15"] == ("2026-02-15T00:00:00Z", "2026-03-15T00:00:00Z", "2026-03-15", "2026-03-25")
    assert got["d31"] == ("2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z", "2026-03-31", "2026-04-10")
    assert got["d30"] == ("2026-02-28T00:00:00Z", "2026-03-30T00:00:00Z", "2026-03-30", "2026-04-09")
    r = meter("invoice", "generate", "--period", "2026-01", "--tenant", "d31")
    jan = invoice_list(meter, "--period", "2026-01", "--tenant", "d31")[0]
    assert (jan["period_start"], jan["period_end"]) == ("2026-01-31T00:00:00Z", "2026-02-28T00:00:00Z")
    # month quotas follow the same period
    r = meter("quota", "check", "--tenant", "d15", "--metric", "calls", json=True, now="2026-03-10T00:00:00Z")
    assert (r.json["period_start"], r.json["period_end"]) == ("2026-02-15T00:00:00Z", "2026-03-15T00:00:00Z")


def test_billing_day_late_and_voided_events_are_adjusted_on_the_next_invoice(meter):
    # Bug: `invoice generate --period 2026-02` (all tenants) left out the late usage and the
    # voided events of a billing-day-15 tenant's finalized Jan 15 - Feb 15 period: they came one
    # invoice later (with --tenant they were on the next invoice, as SPEC 4 and 11 say). All
    # tenants' candidates were read only from invoices ending by the UTC month start + 14 h.
    plans = [{"key": "p", "base_price": "0", "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "2.00"}]}]
    meter.init(base_catalog(plans, [{"id": "d15", "plan": "p", "billing_day": 15}]))
    meter.now = "2026-02-01T00:00:00Z"
    assert meter.ingest([ev(1, "d15", "calls", "2026-01-20T00:00:00Z", 3)]).code == 0
    meter.now = "2026-02-16T00:00:00Z"
    assert meter("invoice", "generate", "--period", "2026-01", "--finalize").code == 0
    assert meter.ingest([ev(2, "d15", "calls", "2026-02-10T00:00:00Z", 5)], "late.ndjson").code == 0
    assert meter("events", "void", "a1", "--reason", "test").code == 0
    assert meter("invoice", "generate", "--period", "2026-02", now="2026-03-16T00:00:00Z").code == 0
    feb = show(meter, invoice_list(meter, "--period", "2026-02", "--tenant", "d15")[0]["id"])
    adjusted = sum(D(line["amount"]) for line in feb["lines"] if "adjustment" in line["description"].lower())
    assert adjusted == D("4.00"), feb["lines"]     # +5 late x 2.00, -3 voided x 2.00
    assert feb["subtotal"] == "4.00"


def test_annual_plan_charges_base_once_in_advance_usage_monthly(meter):
    plans = [{"key": "yr", "base_price": "1200.00", "interval": "year",
              "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "0.50"}]},
             {"key": "mo", "base_price": "10.00"}]
    meter.init(base_catalog(plans, [{"id": "t", "plan": "yr", "started_at": "2026-01-01"}]))
    meter.now = "2026-04-20T00:00:00Z"
    meter.ingest([ev(1, "t", "calls", "2026-01-10T00:00:00Z", 4), ev(2, "t", "calls", "2026-02-10T00:00:00Z", 6)])
    jan = generate(meter, "2026-01", "t", "--finalize")
    assert jan["subtotal"] == "1202.00"
    feb = generate(meter, "2026-02", "t", "--finalize")
    assert feb["subtotal"] == "3.00"
    # leaving on Apr 1 (day 90 of 365): 275 unused days credited: 1200 x 275 / 365 = 904.109... -> -904.11
    assert meter("tenants", "set-plan", "t", "mo", "--effective", "2026-04-01").code == 0
    meter.now = "2026-05-02T00:00:00Z"
    apr = generate(meter, "2026-04", "t")
    assert any(line["amount"] == "-904.11" for line in apr["lines"]), apr["lines"]
    # the lines add up below zero: subtotal 0, the rest a prepaid credit at finalization
    assert apr["subtotal"] == "0.00"
    meter("invoice", "finalize", apr["id"], check=True)
    bal = meter("credits", "balance", "--tenant", "t", json=True)
    assert bal.code == 0 and "894.11" in bal.out, bal


def test_currency_minor_units(meter):
    plans = [{"key": "jp", "currency": "JPY", "base_price": "1000",
              "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "0.5"}]},
             {"key": "kw", "currency": "KWD", "base_price": "1.000",
              "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "0.0005"}]}]
    meter.init(base_catalog(plans, [{"id": "j", "plan": "jp"}, {"id": "k", "plan": "kw"}]))
    meter.now = MARCH
    meter.ingest([ev(1, "j", "calls", "2026-02-03T00:00:00Z", 3), ev(2, "k", "calls", "2026-02-03T00:00:00Z", 3)])
    j = generate(meter, "2026-02", "j")
    assert (j["currency"], j["subtotal"]) == ("JPY", "1002")           # 1.5 -> 2
    k = generate(meter, "2026-02", "k")
    assert (k["currency"], k["subtotal"]) == ("KWD", "1.002")          # 0.0015 -> 0.002


def test_plan_change_across_currencies_only_at_a_period_start(meter):
    plans = [{"key": "usd", "base_price": "10.00"}, {"key": "eur", "currency": "EUR", "base_price": "9.00"}]
    meter.init(base_catalog(plans, [{"id": "t", "plan": "usd"}]))
    meter.now = "2026-02-10T00:00:00Z"
    r = meter("tenants", "set-plan", "t", "eur", "--effective", "2026-02-15")
    assert_one_line_error(r, 2)
    assert meter("tenants", "set-plan", "t", "eur", "--effective", "2026-03-01").code == 0


# Found by review9: a tenant moved (at a period start, as SPEC 10 allows) from a
# JPY plan to a KWD plan; events late for the finalized JPY period were billed on
# the next (KWD) invoice at their yen amount: 30 JPY of late usage became
# 30.000 KWD. Amounts of two currencies must never be added up.
# Fixed: an adjustment waits for an invoice in its own currency (README), as a
# credit grant does.
def test_late_usage_of_a_period_in_another_currency_is_not_billed_in_the_new_one(meter):
    plans = [{"key": "jp", "currency": "JPY", "base_price": "1000",
              "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "3"}]},
             {"key": "kw", "currency": "KWD", "base_price": "2.000",
              "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "0.010"}]}]
    meter.init(base_catalog(plans, [{"id": "t", "plan": "jp"}]))
    meter.now = MARCH
    assert meter("tenants", "set-plan", "t", "kw", "--effective", "2026-03-01").code == 0
    meter.ingest([ev(1, "t", "calls", "2026-02-03T00:00:00Z", 2)])
    feb = generate(meter, "2026-02", "t", "--finalize")
    assert (feb["currency"], feb["total"]) == ("JPY", "1006")
    assert meter.ingest([ev(2, "t", "calls", "2026-02-20T00:00:00Z", 10)], "late.ndjson").code == 0
    meter.now = "2026-04-02T00:00:00Z"
    mar = generate(meter, "2026-03", "t")
    assert mar["currency"] == "KWD"
    # 10 late calls at 3 JPY are 30 JPY: never 30.000 KWD on this invoice
    assert D(mar["subtotal"]) == D("2.000"), mar["lines"]
    assert meter("invoice", "finalize", mar["id"]).code == 0
    # Back on the yen plan, the next invoice in yen bills them, once.
    assert meter("tenants", "set-plan", "t", "jp", "--effective", "2026-04-01").code == 0
    meter.now = "2026-05-02T00:00:00Z"
    apr = generate(meter, "2026-04", "t", "--finalize")
    assert apr["currency"] == "JPY"
    late = [line for line in apr["lines"] if line["description"].startswith("Late usage adjustment for 2026-02")]
    assert [(line["quantity"], line["amount"]) for line in late] == [(10, "30")], apr["lines"]
    assert apr["subtotal"] == "1030"
    meter.now = "2026-06-02T00:00:00Z"
    may = generate(meter, "2026-05", "t")
    assert not [line for line in may["lines"] if line["description"].startswith("Late usage")], may["lines"]


# Found by review9: leaving an annual JPY plan mid-year for a KWD plan (at a period
# start, as SPEC 10 allows) put the unused days' credit, 30,600 JPY, on the KWD
# invoice as -30,600.000 KWD, which then became a 30,599 KWD prepaid credit grant.
# Fixed: the credit is held in yen and granted in yen at finalization (README).
def test_annual_credit_is_never_added_to_an_invoice_in_another_currency(meter):
    plans = [{"key": "yr", "currency": "JPY", "base_price": "36500", "interval": "year"},
             {"key": "kw", "currency": "KWD", "base_price": "1.000"}]
    meter.init(base_catalog(plans, [{"id": "t", "plan": "yr", "started_at": "2026-01-01"}]))
    meter.now = "2026-03-10T00:00:00Z"
    assert meter("tenants", "set-plan", "t", "kw", "--effective", "2026-03-01").code == 0
    jan = generate(meter, "2026-01", "t", "--finalize")
    assert (jan["currency"], jan["total"]) == ("JPY", "36500")
    meter.now = "2026-04-02T00:00:00Z"
    mar = generate(meter, "2026-03", "t")
    assert mar["currency"] == "KWD"
    assert D(mar["subtotal"]) == D("1.000") and not mar.get("carried_credit"), mar["lines"]
    assert mar["held_credit"]["currency"] == "JPY" and mar["held_credit"]["amount"] == "30600", mar
    assert meter("invoice", "finalize", mar["id"]).code == 0
    for _ in range(2):  # finalizing again changes nothing
        meter("invoice", "finalize", mar["id"])
        grants = meter("credits", "list", "--tenant", "t", json=True).json["grants"]
        assert [(g["amount"], g["currency"]) for g in grants] == [("30600", "JPY")], grants
    assert "unused days credited" in grants[0]["reason"]
    # The renderings people read say where the yen went, not only --json.
    for fmt_ in ("text", "md", "html"):
        shown = meter("invoice", "show", mar["id"], "--format", fmt_)
        assert shown.code == 0 and "JPY 30,600 is granted as prepaid credit in JPY" in shown.out, shown


def test_trends_change_is_null_across_a_change_of_currency(meter):
    # Found by review9: trends' `change` subtracted last month's JPY total from
    # this month's KWD total (13.333 KWD - 2910 JPY = -2896.667).
    plans = [{"key": "jp", "currency": "JPY", "base_price": "1000"},
             {"key": "kw", "currency": "KWD", "base_price": "2.000"}]
    meter.init(base_catalog(plans, [{"id": "t", "plan": "jp"}]))
    meter.now = "2026-03-10T00:00:00Z"
    assert meter("tenants", "set-plan", "t", "kw", "--effective", "2026-03-01").code == 0
    r = meter("report", "trends", "--tenant", "t", "--months", "2", json=True)
    assert r.code == 0, r
    rows = {row["month"]: row for row in loads_exact(r.out)["rows"]}
    assert (rows["2026-02"]["currency"], rows["2026-02"]["billed"], rows["2026-02"]["change"]) == ("JPY", "1000", "0")
    assert (rows["2026-03"]["currency"], rows["2026-03"]["billed"], rows["2026-03"]["change"]) == ("KWD", "2.000", None)
    text = meter("report", "trends", "--tenant", "t", "--months", "2")
    assert text.code == 0 and "-998" not in text.out, text


def test_simulate_totals_per_currency(meter):
    plans = [{"key": "usd", "base_price": "10.00"}, {"key": "eur", "currency": "EUR", "base_price": "9.00"}]
    cat = base_catalog(plans, [{"id": "a", "plan": "usd"}, {"id": "b", "plan": "eur"}])
    meter.init(cat)
    meter.now = MARCH
    new = copy.deepcopy(cat)
    new["plans"][1]["base_price"] = "12.00"
    r = meter("simulate", "--catalog", meter.write("new.json", new), "--period", "2026-02", json=True)
    assert r.code == 0, r
    doc = r.json
    assert doc["current_total"] is None and doc["simulated_total"] is None and doc["difference"] is None
    assert {row["tenant"]: row["currency"] for row in doc["rows"]} == {"a": "USD", "b": "EUR"}
    by = {t["currency"]: t for t in doc["totals_by_currency"]}
    assert (by["EUR"]["current_total"], by["EUR"]["simulated_total"], by["EUR"]["difference"]) == (
        "9.00", "12.00", "3.00")
    assert by["USD"]["difference"] == "0.00"


@pytest.mark.parametrize("mutate,path", [
    (lambda c: c["tenants"][0].update(billing_day=32), "tenants[0]"),
    (lambda c: c["tenants"][0].update(billing_day=0), "tenants[0]"),
    (lambda c: c["plans"][0].update(currency="XYZ"), "plans[0]"),
    (lambda c: c["plans"][0].update(trial_days=-1), "plans[0]"),
    (lambda c: c["plans"][0].update(minimum_commitment="-5.00"), "plans[0]"),
    (lambda c: c["plans"][0]["charges"][0].update(filters=[{"where": {"nonsense.field": "x"}}]), "plans[0].charges[0]"),
])
def test_catalog_refuses_bad_pricing_fields_with_the_path(meter, mutate, path):
    plan = {"key": "p", "base_price": "1.00", "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "1"}]}
    good = base_catalog([plan], [{"id": "t", "plan": "p"}])
    meter.init(good)
    before = meter("catalog", "show", json=True).out
    bad = copy.deepcopy(good)
    mutate(bad)
    r = meter("catalog", "apply", meter.write("bad.json", bad))
    if r.code == 0:
        pytest.xfail("SPEC 10 / issue 16 item 9: catalog accepts it (pricing16)")
    assert_one_line_error(r, 65, path)
    assert meter("catalog", "show", json=True).out == before


def test_overlapping_filters_apply_with_a_warning(meter):
    meter.init(base_catalog([FILTER_PLAN], [{"id": "t", "plan": "ai"}]))
    r = meter("catalog", "apply", meter.write("again.json", base_catalog([FILTER_PLAN], [{"id": "t", "plan": "ai"}])))
    assert r.code == 0, r
    assert "overlap" in r.err.lower() and "big-1" in r.err.lower() or "Big" in r.err, r.err


def test_explain_shows_each_filter_and_group(meter):
    meter.init(base_catalog([FILTER_PLAN], [{"id": "t", "plan": "ai"}]))
    meter.now = MARCH
    meter.ingest([llm(1, "big-1", 2500), llm(2, "big-1", 1), llm(3, "tiny", 5)])
    inv = generate(meter, "2026-02", "t")
    r = meter("invoice", "show", inv["id"], "--explain")
    assert r.code == 0, r
    assert "model=big-1" in r.out or "big-1" in r.out
    assert "2 events" in r.out or "2 event" in r.out, r.out
    json.loads(meter("invoice", "show", inv["id"], json=True).out)
    assert loads_exact(meter("invoice", "show", inv["id"], json=True).out)["subtotal"] == show(meter, inv["id"])["subtotal"]


# ---- edges (review10): catalogs and figures unlike the SPEC's examples -----------------------
# Time zones with a DST change, leap years, billing days 29-31, trials ending
# mid-period, annual plans with a trial, 0- and 3-decimal currencies (JPY, KWD,
# BHD), commitments across a plan change, voided events under tiers, credit
# expiry in the tenant's zone, a credit note spread in whole yen, groups ordered
# by their bytes, volume tiers with decimal bounds. Every figure is worked out
# by hand in a comment.

def edge_catalog(plans, tenants, tax="0", **extra):
    cat = {"currency": "USD", "tax": {"name": "Tax", "rate": tax},
           "invoice": {"number_prefix": "E-", "net_days": 7},
           "meters": [{"key": "calls", "name": "Calls"}, {"key": "gb", "aggregation": "max"}],
           "plans": plans, "tenants": tenants}
    cat.update(extra)
    return cat


def lines_of(inv, kind_word):
    return [line for line in inv["lines"] if kind_word.lower() in line["description"].lower()]


def base_lines(inv):
    return [line for line in inv["lines"] if not line.get("meter") and "base price" in line["description"].lower()]


def test_started_at_in_a_dst_zone_is_local_midnight_and_prorates_whole_days(meter):
    plans = [{"key": "p", "base_price": "31.00", "minimum_commitment": "62.00",
              "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "0.25"}]}]
    tenants = [{"id": "ny", "plan": "p", "timezone": "America/New_York", "started_at": "2026-03-20"}]
    meter.init(edge_catalog(plans, tenants))
    meter.now = "2026-04-02T12:00:00Z"
    # 04:30Z on Mar 20 is 00:30 EDT (DST began Mar 8): after the start; 03:59Z on
    # Apr 1 is 23:59 EDT on Mar 31: still the March period.
    assert meter.ingest([ev(1, "ny", "calls", "2026-03-20T04:30:00Z", 4),
                         ev(2, "ny", "calls", "2026-04-01T03:59:00Z", 8)]).code == 0
    inv = generate(meter, "2026-03", "ny")
    # March in New York: 00:00 EST (05:00Z) to 00:00 EDT (04:00Z), 31 days.
    assert (inv["period_start"], inv["period_end"]) == ("2026-03-01T05:00:00Z", "2026-04-01T04:00:00Z")
    assert (inv["issue_date"], inv["due_date"]) == ("2026-04-01", "2026-04-08")
    # paid Mar 20-31: 12 of 31 days -> base 31.00 x 12/31 = 12.00; usage 12 x 0.25 = 3.00;
    # commitment 62.00 x 12/31 = 24.00 -> true-up 24.00 - 15.00 = 9.00
    assert [line["amount"] for line in base_lines(inv)] == ["12.00"], inv["lines"]
    assert [(line["quantity"], line["amount"]) for line in inv["lines"] if line.get("meter") == "calls"] == [(12, "3.00")]
    assert [line["amount"] for line in lines_of(inv, "Minimum commitment true-up")] == ["9.00"]
    assert inv["subtotal"] == "24.00"


def test_trial_ending_mid_period_in_yen_prorates_base_and_commitment_to_the_paid_days(meter):
    plans = [{"key": "p", "currency": "JPY", "base_price": "1000", "minimum_commitment": "1500", "trial_days": 10,
              "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "3"}]}]
    meter.init(edge_catalog(plans, [{"id": "t", "plan": "p", "started_at": "2026-02-20"}], tax="0.10"))
    meter.now = "2026-02-25T00:00:00Z"
    # trial days Feb 20 - Mar 1 (9 + 1): the first paid day is Mar 2
    r = meter("tenants", "show", "t", json=True)
    assert r.code == 0 and r.json["trial_ends_at"] == "2026-03-02T00:00:00Z", r
    assert meter.ingest([ev(1, "t", "calls", "2026-02-22T00:00:00Z", 5)]).code == 0
    meter.now = "2026-04-02T00:00:00Z"
    assert meter.ingest([ev(2, "t", "calls", "2026-03-01T00:00:00Z", 4),
                         ev(3, "t", "calls", "2026-03-20T00:00:00Z", 3)], "mar.ndjson").code == 0
    feb = generate(meter, "2026-02", "t")
    # all trial: no base price, no commitment; usage 5 x 3 = 15; tax 1.5 -> 2
    assert sum(D(line["amount"]) for line in feb["lines"]) == D(15), feb["lines"]
    assert (feb["currency"], feb["subtotal"], feb["tax"], feb["total"]) == ("JPY", "15", "2", "17")
    mar = generate(meter, "2026-03", "t")
    # paid Mar 2-31: 30 of 31 days: base 1000 x 30/31 = 967.74 -> 968 (one line naming the trial);
    # usage 7 x 3 = 21; commitment 1500 x 30/31 = 1451.6129 -> true-up 1451.6129 - 989 -> 463;
    # subtotal 1452, tax 145.2 -> 145, total 1597
    (base,) = base_lines(mar)
    assert base["amount"] == "968" and "trial" in base["description"].lower(), mar["lines"]
    assert [line["amount"] for line in lines_of(mar, "Minimum commitment true-up")] == ["463"], mar["lines"]
    assert (mar["subtotal"], mar["tax"], mar["total"]) == ("1452", "145", "1597")


def test_annual_plan_with_a_trial_over_a_leap_year_in_a_three_decimal_currency(meter):
    plans = [{"key": "yr", "currency": "KWD", "base_price": "1000.000", "interval": "year", "trial_days": 14,
              "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "0.005"}]},
             {"key": "mo", "currency": "KWD", "base_price": "5.000"}]
    meter.init(edge_catalog(plans, [{"id": "t", "plan": "yr", "started_at": "2027-12-01"}]))
    meter.now = "2027-12-05T00:00:00Z"
    assert meter("tenants", "show", "t", json=True).json["trial_ends_at"] == "2027-12-15T00:00:00Z"
    assert meter.ingest([ev(1, "t", "calls", "2027-12-03T00:00:00Z", 3)]).code == 0
    # the plan year starts on the first paid day, Dec 15, and runs to 2028-12-15: 366 days
    meter.now = "2028-01-02T00:00:00Z"
    dec = generate(meter, "2027-12", "t", "--finalize")
    assert (dec["currency"], dec["subtotal"]) == ("KWD", "1000.015"), dec["lines"]   # whole, in advance; 3 x 0.005
    meter.now = "2028-02-02T00:00:00Z"
    assert generate(meter, "2028-01", "t", "--finalize")["subtotal"] == "0.000"
    meter.now = "2028-03-05T00:00:00Z"
    assert meter("tenants", "set-plan", "t", "mo", "--effective", "2028-03-01").code == 0
    meter.now = "2028-04-02T00:00:00Z"
    mar = generate(meter, "2028-03", "t")
    # used Dec 15 - Feb 29: 17 + 31 + 29 = 77 days; unused 289 of 366:
    # 1000.000 x 289/366 = 789.6174... -> -789.617; with March's 5.000 the lines add up to -784.617
    credit = [line for line in mar["lines"] if D(line["amount"]) < 0]
    assert [line["amount"] for line in credit] == ["-789.617"], mar["lines"]
    assert mar["subtotal"] == "0.000"
    assert meter("invoice", "finalize", mar["id"]).code == 0
    r = meter("credits", "balance", "--tenant", "t", json=True)
    assert r.code == 0 and "784.617" in r.out, r


def test_billing_day_31_in_a_leap_february_in_a_dst_zone_with_a_plan_change(meter):
    plans = [{"key": "a", "base_price": "31.00"}, {"key": "b", "base_price": "62.00"}]
    meter.init(edge_catalog(plans, [{"id": "b31", "plan": "a", "billing_day": 31, "timezone": "Europe/Berlin"}]))
    meter.now = "2028-03-05T00:00:00Z"
    assert meter("tenants", "set-plan", "b31", "b", "--effective", "2028-03-10").code == 0
    meter.now = "2028-04-02T00:00:00Z"
    feb = generate(meter, "2028-02", "b31")
    # Feb 29 00:00 CET (23:00Z on the 28th) to Mar 31 00:00 CEST (22:00Z on the 30th; DST began Mar 26): 31 days
    assert (feb["period_start"], feb["period_end"]) == ("2028-02-28T23:00:00Z", "2028-03-30T22:00:00Z")
    assert (feb["issue_date"], feb["due_date"]) == ("2028-03-31", "2028-04-07")
    # plan a Feb 29 - Mar 9: 10 of 31 days -> 10.00; plan b Mar 10 - Mar 30: 21 of 31 -> 42.00
    assert sorted(line["amount"] for line in base_lines(feb)) == ["10.00", "42.00"], feb["lines"]
    assert feb["subtotal"] == "52.00"
    jan = generate(meter, "2028-01", "b31")
    assert (jan["period_start"], jan["period_end"]) == ("2028-01-30T23:00:00Z", "2028-02-28T23:00:00Z")


def test_commitment_across_a_plan_change_is_summed_exactly_and_rounded_once(meter):
    plans = [{"key": "a", "currency": "BHD", "base_price": "0", "minimum_commitment": "10.000"},
             {"key": "b", "currency": "BHD", "base_price": "0", "minimum_commitment": "20.000"}]
    meter.init(edge_catalog(plans, [{"id": "t", "plan": "a"}]))
    meter.now = "2026-04-01T00:00:00Z"
    assert meter("tenants", "set-plan", "t", "b", "--effective", "2026-04-08").code == 0
    meter.now = "2026-05-02T00:00:00Z"
    inv = generate(meter, "2026-04", "t")
    # 10.000 x 7/30 + 20.000 x 23/30 = 530/30 = 17.6666... -> 17.667 (rounding each part: 2.333 + 15.333 = 17.666)
    assert [line["amount"] for line in lines_of(inv, "Minimum commitment true-up")] == ["17.667"], inv["lines"]
    assert (inv["currency"], inv["subtotal"]) == ("BHD", "17.667")


def test_voided_event_under_tiers_reprices_and_never_reopens_a_true_up(meter):
    plan = {"key": "p", "base_price": "0", "minimum_commitment": "12.00",
            "charges": [{"meter": "calls", "model": "graduated",
                         "tiers": [{"up_to": 100, "unit_price": "0.10"}, {"up_to": None, "unit_price": "0.05"}]}]}
    meter.init(edge_catalog([plan], [{"id": "t", "plan": "p"}]))
    meter.now = "2026-03-01T12:00:00Z"
    assert meter.ingest([ev(1, "t", "calls", "2026-02-05T00:00:00Z", 80),
                         ev(2, "t", "calls", "2026-02-06T00:00:00Z", 50)]).code == 0
    feb = generate(meter, "2026-02", "t", "--finalize")
    # 100 x 0.10 + 30 x 0.05 = 11.50; true-up 0.50
    assert feb["subtotal"] == "12.00" and lines_of(feb, "Minimum commitment")[0]["amount"] == "0.50"
    assert meter("events", "void", "a1", "--reason", "sent twice").code == 0
    meter.now = "2026-04-02T00:00:00Z"
    assert meter.ingest([ev(3, "t", "calls", "2026-03-03T00:00:00Z", 200)], "mar.ndjson").code == 0
    mar = generate(meter, "2026-03", "t")
    # March: 100 x 0.10 + 100 x 0.05 = 15.00 (over the commitment: no true-up);
    # February repriced at 50 units = 5.00, billed 11.50: adjustment -6.50 (not 80 x 0.10);
    # the adjustment neither re-opens February's true-up nor opens one in March
    descriptions = [line["description"] for line in mar["lines"]]
    assert not lines_of(mar, "Minimum commitment"), descriptions
    adj = [line for line in mar["lines"] if "adjustment" in line["description"].lower()]
    assert [(line["quantity"], line["amount"]) for line in adj] == [(-80, "-6.50")], mar["lines"]
    assert mar["lines"].index(adj[0]) > max(i for i, line in enumerate(mar["lines"])
                                            if line.get("meter") == "calls" and line is not adj[0])
    assert mar["subtotal"] == "8.50"


def test_credits_expire_at_the_end_of_the_day_in_the_tenants_zone_at_finalization(meter):
    plans = [{"key": "p", "currency": "JPY", "base_price": "1000"}]
    tenants = [{"id": "a", "plan": "p", "timezone": "Asia/Tokyo"}, {"id": "b", "plan": "p", "timezone": "Asia/Tokyo"}]
    meter.init(edge_catalog(plans, tenants, tax="0.10"))
    meter.now = "2026-02-10T00:00:00Z"
    for t in ("a", "b"):
        r = meter("credits", "grant", "--tenant", t, "--amount", "500", "--expires", "2026-03-01", "--id", f"g{t}")
        assert r.code == 0, r
    meter.now = "2026-03-01T14:00:00Z"    # Tokyo's February ended at 2026-02-28T15:00Z
    inv = {t: generate(meter, "2026-02", t) for t in ("a", "b")}
    # usable through the end of Mar 1 in Tokyo: until 2026-03-01T15:00Z
    assert meter("invoice", "finalize", inv["a"]["id"], now="2026-03-01T14:59:59Z").code == 0
    a = show(meter, invoice_list(meter, "--tenant", "a", "--period", "2026-02")[0]["number"])
    assert (a["total"], a["credits_applied"], a["amount_due"]) == ("1100", "500", "600")
    r = meter("credits", "balance", "--tenant", "b", json=True, now="2026-03-01T14:59:59Z")
    assert r.code == 0 and "500" in r.out, r
    assert meter("invoice", "finalize", inv["b"]["id"], now="2026-03-01T15:00:00Z").code == 0
    b = show(meter, invoice_list(meter, "--tenant", "b", "--period", "2026-02")[0]["number"])
    assert (b["total"], D(b["credits_applied"]), b["amount_due"]) == ("1100", D(0), "1100")
    r = meter("credits", "balance", "--tenant", "b", json=True, now="2026-03-01T15:00:00Z")
    assert r.code == 0 and "500" not in r.out, r


def test_coupons_round_to_three_decimals_and_name_their_terms_in_the_currency(meter):
    plans = [{"key": "kw", "currency": "KWD", "base_price": "10.005"},
             {"key": "jp", "currency": "JPY", "base_price": "1000"}]
    coupons = [{"code": "K125", "percent_off": "12.5", "duration": "forever"},
               {"code": "K2", "amount_off": "2.000", "currency": "KWD", "duration": "once"},
               {"code": "Y500", "amount_off": "500", "currency": "JPY", "duration": "once"}]
    meter.init(edge_catalog(plans, [{"id": "k", "plan": "kw"}, {"id": "j", "plan": "jp"}], tax="0.05", coupons=coupons))
    meter.now = "2026-02-10T00:00:00Z"
    for t, code in (("k", "K125"), ("k", "K2"), ("j", "Y500")):
        r = meter("tenants", "apply-coupon", t, code, "--from", "2026-02-01")
        assert r.code == 0, r
    meter.now = "2026-03-02T00:00:00Z"
    k = generate(meter, "2026-02", "k")
    # 12.5 % of 10.005 = 1.250625 -> 1.251; then 2.000 of the 8.754 left -> 6.754;
    # tax 5 % = 0.3377 -> 0.338; total 7.092
    assert [(line["description"], line["amount"]) for line in lines_of(k, "Coupon")] == [
        ("Coupon K125 (12.5 %)", "-1.251"), ("Coupon K2 (2.000 KWD)", "-2.000")]
    assert k["discounts"] == [{"code": "K125", "amount": "1.251"}, {"code": "K2", "amount": "2.000"}]
    assert (k["subtotal"], k["discounted_subtotal"], k["tax"], k["total"]) == ("10.005", "6.754", "0.338", "7.092")
    j = generate(meter, "2026-02", "j")
    # 1000 - 500 = 500; tax 25; total 525
    assert [(line["description"], line["amount"]) for line in lines_of(j, "Coupon")] == [("Coupon Y500 (500 JPY)", "-500")]
    assert (j["discounted_subtotal"], j["tax"], j["total"]) == ("500", "25", "525")


def test_credit_note_amount_spreads_in_whole_yen_over_the_positive_lines_only(meter):
    plans = [{"key": "p", "currency": "JPY", "base_price": "1000",
              "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "1"},
                          {"meter": "gb", "model": "per_unit", "unit_price": "1"}]}]
    coupons = [{"code": "TEN", "percent_off": "10", "duration": "forever"}]
    meter.init(edge_catalog(plans, [{"id": "t", "plan": "p"}], tax="0.10", coupons=coupons))
    meter.now = "2026-02-10T00:00:00Z"
    assert meter("tenants", "apply-coupon", "t", "TEN", "--from", "2026-02-01").code == 0
    assert meter.ingest([ev(1, "t", "calls", "2026-02-03T00:00:00Z", 333), ev(2, "t", "gb", "2026-02-03T00:00:00Z", 167)]).code == 0
    meter.now = "2026-03-02T00:00:00Z"
    inv = generate(meter, "2026-02", "t", "--finalize")
    # 1000 + 333 + 167 = 1500; coupon -150; tax 135; total 1485
    assert (inv["subtotal"], inv["discounted_subtotal"], inv["tax"], inv["total"]) == ("1500", "1350", "135", "1485")
    r = meter("invoice", "credit", inv["number"], "--amount", "100", "--reason", "goodwill", json=True)
    assert r.code == 0, r
    note = loads_exact(r.out)
    note = note.get("credit_note", note)
    # 100 x 1000/1500 = 66.67 -> 67; 100 x 333/1500 = 22.2 -> 22; the last line takes 100 - 89 = 11
    assert [D(line["amount"]) for line in note["lines"]] == [D(67), D(22), D(11)], note
    assert (note["amount"], note["tax"], note["total"]) == ("100", "10", "110")
    doc = show(meter, inv["number"])
    assert (doc["amount_due"], doc["status"]) == ("1375", "open")


def test_group_by_an_event_field_orders_values_by_their_bytes_none_last(meter):
    plan = {"key": "p", "base_price": "0", "charges": [
        {"meter": "calls", "model": "per_unit", "included": 10, "unit_price": "0.10", "group_by": "user"}]}
    meter.init(edge_catalog([plan], [{"id": "t", "plan": "p"}]))
    meter.now = "2026-03-02T00:00:00Z"
    assert meter.ingest([ev(1, "t", "calls", "2026-02-03T00:00:00Z", 15, user="zoë"),
                         ev(2, "t", "calls", "2026-02-03T00:00:00Z", 25, user="Émile"),
                         ev(3, "t", "calls", "2026-02-03T00:00:00Z", 5, user="adam"),
                         ev(4, "t", "calls", "2026-02-03T00:00:00Z", 30)]).code == 0
    inv = generate(meter, "2026-02", "t")
    got = [(line["group"], line["description"], line["quantity"], line["amount"])
           for line in inv["lines"] if line.get("meter") == "calls"]
    # each group has its own 10 included; "É" (U+00C9) sorts after "z"
    assert got == [("adam", "Calls · user=adam", 5, "0.00"), ("zoë", "Calls · user=zoë", 15, "0.50"),
                   ("Émile", "Calls · user=Émile", 25, "1.50"), ("(none)", "Calls · user=(none)", 30, "2.00")]


def test_volume_tiers_with_decimal_bounds_are_inclusive_and_round_half_away(meter):
    plan = {"key": "p", "base_price": "0", "charges": [
        {"meter": "gb", "model": "volume", "tiers": [
            {"up_to": 10.5, "unit_price": "1.00", "flat_price": "2.00"},
            {"up_to": 99.999, "unit_price": "0.50"},
            {"up_to": None, "unit_price": "0.25"}]}]}
    tenants = [{"id": f"t{i}", "plan": "p"} for i in range(4)]
    meter.init(edge_catalog([plan], tenants))
    meter.now = "2026-03-02T00:00:00Z"
    sizes = ["10.5", "10.53", "99.999", "99.9995"]
    evs = [ev(i, f"t{i}", "gb", "2026-02-03T00:00:00Z", D(q)) for i, q in enumerate(sizes)]
    lines = "".join(
        '{"id":"%s","tenant":"%s","metric":"gb","timestamp":"%s","quantity":%s}\n'
        % (e["id"], e["tenant"], e["timestamp"], e["quantity"]) for e in evs)
    assert meter.ingest(lines).code == 0
    # 10.5 in the first tier (inclusive): 10.5 + 2.00 flat = 12.50; 10.53 x 0.50 = 5.265 -> 5.27;
    # 99.999 x 0.50 = 49.9995 -> 50.00; 99.9995 is past 99.999: x 0.25 = 24.999875 -> 25.00
    want = {"t0": "12.50", "t1": "5.27", "t2": "50.00", "t3": "25.00"}
    for i, q in enumerate(sizes):
        inv = generate(meter, "2026-02", f"t{i}")
        (line,) = [line for line in inv["lines"] if line.get("meter") == "gb"]
        assert (line["quantity"], line["amount"]) == (D(q), want[f"t{i}"]), line


def test_a_change_of_currency_is_allowed_only_at_the_tenants_own_period_start(meter):
    plans = [{"key": "usd", "base_price": "10.00"}, {"key": "bhd", "currency": "BHD", "base_price": "4.000"}]
    meter.init(edge_catalog(plans, [{"id": "t", "plan": "usd", "billing_day": 15, "timezone": "Asia/Tokyo"}]))
    meter.now = "2026-02-20T00:00:00Z"
    # Its periods start on the 15th at Tokyo midnight: the 1st is inside one
    r = meter("tenants", "set-plan", "t", "bhd", "--effective", "2026-03-01")
    assert r.code == 2 and len([x for x in r.err.splitlines() if x.strip()]) == 1, r
    r = meter("tenants", "set-plan", "t", "bhd", "--effective", "2026-03-15")
    assert r.code == 0, r
    meter.now = "2026-04-20T00:00:00Z"
    feb = generate(meter, "2026-02", "t")
    mar = generate(meter, "2026-03", "t")
    assert (feb["currency"], feb["subtotal"]) == ("USD", "10.00")
    assert (mar["currency"], mar["subtotal"], mar["period_start"]) == ("BHD", "4.000", "2026-03-14T15:00:00Z")


def test_a_filter_can_unset_the_charges_group_by_with_null(meter):
    plan = {"key": "p", "base_price": "0", "charges": [
        {"meter": "calls", "model": "per_unit", "included": 5, "unit_price": "0.30", "group_by": "properties.project",
         "filters": [{"name": "Batch", "where": {"operation": "batch"}, "group_by": None, "unit_price": "0.10"}]}]}
    meter.init(edge_catalog([plan], [{"id": "t", "plan": "p"}]))
    meter.now = "2026-03-02T00:00:00Z"
    assert meter.ingest([ev(1, "t", "calls", "2026-02-03T00:00:00Z", 9, operation="batch", properties={"project": "x"}),
                         ev(2, "t", "calls", "2026-02-03T00:00:00Z", 8, operation="batch", properties={"project": "y"}),
                         ev(3, "t", "calls", "2026-02-03T00:00:00Z", 7, properties={"project": "x"}),
                         ev(4, "t", "calls", "2026-02-03T00:00:00Z", 6, properties={"project": "y"})]).code == 0
    inv = generate(meter, "2026-02", "t")
    got = sorted(((line["filter"] or ""), (line["group"] or ""), line["description"], line["quantity"], line["amount"])
                 for line in inv["lines"] if line.get("meter") == "calls")
    # Batch, ungrouped: 17 - 5 included = 12 x 0.10 = 1.20; the remainder per project:
    # x: 7 - 5 = 2 x 0.30 = 0.60; y: 6 - 5 = 1 x 0.30 = 0.30
    assert got == [("", "x", "Calls · project=x", 7, "0.60"), ("", "y", "Calls · project=y", 6, "0.30"),
                   ("Batch", "", "Calls · Batch", 17, "1.20")], inv["lines"]


def test_every_kind_of_line_in_the_spec_order(meter):
    # SPEC 11: base and usage; adjustments (late usage, annual credits); true-up -> subtotal; coupons
    plans = [{"key": "yr", "base_price": "365.00", "interval": "year",
              "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "2.00"}]},
             {"key": "mo", "base_price": "10.00", "minimum_commitment": "400.00",
              "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "1.00"}]}]
    coupons = [{"code": "TENOFF", "percent_off": "10", "duration": "forever"}]
    meter.init(edge_catalog(plans, [{"id": "t", "plan": "yr", "started_at": "2026-01-01"}], coupons=coupons))
    meter.now = "2026-04-01T12:00:00Z"
    assert meter.ingest([ev(1, "t", "calls", "2026-03-05T00:00:00Z", 3)]).code == 0
    assert generate(meter, "2026-03", "t", "--finalize")["subtotal"] == "6.00"
    assert meter("tenants", "set-plan", "t", "mo", "--effective", "2026-04-01").code == 0
    assert meter("tenants", "apply-coupon", "t", "TENOFF", "--from", "2026-04-01").code == 0
    assert meter.ingest([ev(2, "t", "calls", "2026-03-20T00:00:00Z", 5)], "late.ndjson").code == 0
    meter.now = "2026-05-02T00:00:00Z"
    assert meter.ingest([ev(3, "t", "calls", "2026-04-20T00:00:00Z", 20)], "apr.ndjson").code == 0
    apr = generate(meter, "2026-04", "t")
    # mo base 10.00; usage 20 x 1.00; late March usage 5 x 2.00 (yr's price); unused yr days
    # 275/365 x 365.00; true-up 400.00 - 30.00 (the adjustments never count) -> subtotal 135.00;
    # 10 % off -> 121.50
    got = [(line["description"].split(" ")[0], line["amount"]) for line in apr["lines"]]
    assert got == [("mo", "10.00"), ("Calls", "20.00"), ("Late", "10.00"), ("yr", "-275.00"),
                   ("Minimum", "370.00"), ("Coupon", "-13.50")], apr["lines"]
    assert (apr["subtotal"], apr["discounted_subtotal"], apr["total"]) == ("135.00", "121.50", "121.50")


def test_trial_ends_at_is_local_midnight_of_the_first_paid_day_in_utc(meter):
    plans = [{"key": "p", "base_price": "30.00", "trial_days": 7}]
    meter.init(edge_catalog(plans, [{"id": "t", "plan": "p", "started_at": "2026-02-10", "timezone": "Asia/Tokyo"}]))
    r = meter("tenants", "show", "t", json=True, now="2026-02-12T00:00:00Z")
    # trial Feb 10-16 in Tokyo; the first paid day Feb 17 starts at 2026-02-16T15:00Z
    assert r.code == 0 and r.json["trial_ends_at"] == "2026-02-16T15:00:00Z", r


def test_trial_ends_at_names_the_first_paid_day_when_the_plan_changes_during_the_trial(meter):
    # Found by review10: during plan p's 14-day trial (Feb 1-14) a move to q on Feb 10 (q's own
    # 7-day trial: Feb 10-16) left `tenants show` naming Feb 15, p's trial end, a day the
    # tenant never pays; its first paid day is Feb 17. A move to a plan without a trial makes
    # the move's day the first paid one.
    plans = [{"key": "p", "base_price": "28.00", "trial_days": 14},
             {"key": "q", "base_price": "56.00", "trial_days": 7, "minimum_commitment": "84.00"},
             {"key": "r", "base_price": "28.00"}]
    meter.init(edge_catalog(plans, [{"id": "t", "plan": "p", "started_at": "2026-02-01"},
                                    {"id": "u", "plan": "p", "started_at": "2026-02-01"}]))
    meter.now = "2026-02-05T00:00:00Z"
    assert meter("tenants", "set-plan", "t", "q", "--effective", "2026-02-10").code == 0
    assert meter("tenants", "set-plan", "u", "r", "--effective", "2026-02-10").code == 0
    assert meter("tenants", "show", "t", json=True).json["trial_ends_at"] == "2026-02-17T00:00:00Z"
    assert meter("tenants", "show", "u", json=True).json["trial_ends_at"] == "2026-02-10T00:00:00Z"
    meter.now = "2026-03-02T00:00:00Z"
    inv = generate(meter, "2026-02", "t")
    # p: Feb 1-9 all trial, 0.00; q: paid Feb 17-28 = 12/28 x 56.00 = 24.00;
    # commitment 12/28 x 84.00 = 36.00 -> true-up 12.00
    assert [line["amount"] for line in inv["lines"]] == ["0.00", "24.00", "12.00"], inv["lines"]
    assert inv["subtotal"] == "36.00"
