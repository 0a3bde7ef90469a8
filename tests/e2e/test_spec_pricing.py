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
