"""End-to-end: pricing depth through the real binary (SPEC section 10, issue
16): filter and group lines in every format, late events adjusting the
slice they fall in, --explain, billing days on the 29th-31st (Lago's open
bugs), proration counting the start day, tenants added with --started-at and
--billing-day, trends and simulate per currency."""
import json

from acceptance import ev, generate, invoice_list

MARCH = "2026-03-02T00:00:00Z"


def catalog(plans, tenants, **extra):
    cat = {"currency": "USD", "tax": {"name": "Tax", "rate": "0"},
           "invoice": {"number_prefix": "PD-", "net_days": 10},
           "meters": [{"key": "tokens", "name": "LLM tokens", "event": "llm", "value": "properties.tokens"},
                      {"key": "calls"}],
           "plans": plans, "tenants": tenants}
    cat.update(extra)
    return cat


AI = {"key": "ai", "name": "AI", "base_price": "0", "charges": [
    {"meter": "tokens", "model": "per_unit", "unit_price": "0.001",
     "filters": [{"name": "Claude", "where": {"properties.model": ["claude-sonnet", "claude-opus"]},
                  "unit_price": "0.01", "group_by": "properties.project"}]}]}


def llm(i, model, tokens, project=None, ts="2026-02-10T00:00:00Z"):
    props = {"model": model, "tokens": tokens}
    if project:
        props["project"] = project
    return ev(f"e{i}", "t", "llm", ts, properties=props)


def test_filter_group_lines_render_in_every_format(meter):
    meter.init(catalog([AI], [{"id": "t", "plan": "ai"}]))
    meter.now = MARCH
    assert meter.ingest([llm(1, "claude-opus", 100, "beta"), llm(2, "claude-sonnet", 200, "alpha"),
                         llm(3, "claude-opus", 50), llm(4, "gpt", 1000)]).code == 0
    inv = generate(meter, "2026-02", "t")
    got = [(line["description"], line["filter"], line["group"], line["amount"])
           for line in inv["lines"] if line["meter"] == "tokens"]
    assert got == [("LLM tokens · Claude · project=alpha", "Claude", "alpha", "2.00"),
                   ("LLM tokens · Claude · project=beta", "Claude", "beta", "1.00"),
                   ("LLM tokens · Claude · project=(none)", "Claude", "(none)", "0.50"),
                   ("LLM tokens", None, None, "1.00")]
    for fmt in ("text", "md", "html", "csv"):
        r = meter("invoice", "show", inv["id"], "--format", fmt)
        assert r.code == 0, r
        assert "Claude · project=alpha" in r.out, (fmt, r.out)
    r = meter("invoice", "show", inv["id"], "--explain")
    assert "where model=claude-sonnet|claude-opus, project=alpha (1 event)" in r.out, r.out
    assert "matching no filter (1 event)" in r.out, r.out


def test_late_event_adjusts_its_own_slice(meter):
    meter.init(catalog([AI], [{"id": "t", "plan": "ai"}]))
    meter.now = MARCH
    meter.ingest([llm(1, "claude-opus", 100, "beta")])
    feb = generate(meter, "2026-02", "t", "--finalize")
    assert feb["subtotal"] == "1.00"
    meter.ingest([llm(2, "claude-opus", 300, "beta", ts="2026-02-20T00:00:00Z")], "late.ndjson")
    meter.now = "2026-04-02T00:00:00Z"
    mar = generate(meter, "2026-03", "t")
    adj = [line for line in mar["lines"] if line["kind"] == "adjustment"]
    assert [(a["filter"], a["group"], a["quantity"], a["amount"]) for a in adj] == [("Claude", "beta", 300, "3.00")]


def test_late_events_of_some_tenants_adjust_their_own_slices_in_one_run(meter):
    # Issue 16 (perf): generate for every tenant re-measured a late sliced
    # charge once per line and per tenant (181 s for 10 K tenants); it now
    # reads the late tenants' events in one statement naming them (an IN list
    # on both backends). Each tenant's adjustments stay its own.
    meter.init(catalog([AI], [{"id": t, "plan": "ai"} for t in ("t", "u", "v")]))
    meter.now = MARCH
    feb = [ev(f"{t}1", t, "llm", "2026-02-10T00:00:00Z", properties={"model": "claude-opus", "tokens": 100,
                                                                     "project": "beta"}) for t in ("t", "u", "v")]
    assert meter.ingest(feb).code == 0
    assert meter("invoice", "generate", "--period", "2026-02", "--finalize").code == 0
    late = [ev("t2", "t", "llm", "2026-02-20T00:00:00Z", properties={"model": "claude-opus", "tokens": 300,
                                                                     "project": "beta"}),
            ev("u2", "u", "llm", "2026-02-21T00:00:00Z", properties={"model": "claude-sonnet", "tokens": 50,
                                                                     "project": "beta"})]
    assert meter.ingest(late, "late.ndjson").code == 0
    meter.now = "2026-04-02T00:00:00Z"
    assert meter("invoice", "generate", "--period", "2026-03").code == 0
    adj = {}
    for inv in invoice_list(meter, "--period", "2026-03"):
        doc = meter("invoice", "show", inv["id"], json=True).json
        adj[inv["tenant"]] = [(a["filter"], a["group"], a["quantity"], a["amount"])
                              for a in doc["lines"] if a["kind"] == "adjustment"]
    assert adj == {"t": [("Claude", "beta", 300, "3.00")], "u": [("Claude", "beta", 50, "0.50")], "v": []}


def test_billing_day_29_to_31_through_february_and_back(meter):
    plans = [{"key": "p", "base_price": "30.00"}]
    tenants = [{"id": f"d{d}", "plan": "p", "billing_day": d} for d in (29, 30, 31)]
    meter.init(catalog(plans, tenants))
    meter.now = "2026-05-05T00:00:00Z"
    for month in ("2026-01", "2026-02", "2026-03"):
        assert meter("invoice", "generate", "--period", month).code == 0
    got = {(inv["tenant"], inv["period"]): (inv["period_start"][:10], inv["period_end"][:10])
           for inv in invoice_list(meter)}
    assert got[("d29", "2026-01")] == ("2026-01-29", "2026-02-28")
    assert got[("d29", "2026-02")] == ("2026-02-28", "2026-03-29")
    assert got[("d29", "2026-03")] == ("2026-03-29", "2026-04-29")
    assert got[("d31", "2026-03")] == ("2026-03-31", "2026-04-30")
    assert got[("d30", "2026-02")] == ("2026-02-28", "2026-03-30")


def test_finalize_ended_keeps_periods_still_running_as_drafts(meter):
    # The monthly cron on March 2 must not finalize the February period of a
    # tenant billed on the 15th (Feb 15 - Mar 15): it stays a draft, refreshed
    # by each run, and is finalized by the first run after it ends.
    tenants = [{"id": "cal", "plan": "p"}, {"id": "mid", "plan": "p", "billing_day": 15}]
    meter.init(catalog([{"key": "p", "base_price": "30.00"}], tenants))
    r = meter("invoice", "generate", "--period", "2026-02", "--finalize-ended", now="2026-03-02T00:00:00Z")
    assert r.code == 0, r
    assert "1 finalized, 1 left as drafts (period not ended)" in r.err, r.err
    status = {inv["tenant"]: inv["status"] for inv in invoice_list(meter, "--period", "2026-02")}
    assert status == {"cal": "open", "mid": "draft"}
    r = meter("invoice", "generate", "--period", "2026-02", "--finalize-ended", now="2026-03-15T00:00:00Z")
    assert r.code == 0, r   # the period ends at Mar 15 00:00: ended
    status = {inv["tenant"]: inv["status"] for inv in invoice_list(meter, "--period", "2026-02")}
    assert status == {"cal": "open", "mid": "open"}
    r = meter("invoice", "generate", "--period", "2026-02", "--finalize", "--finalize-ended")
    assert r.code == 2, r


def test_added_tenant_starts_mid_period_paying_from_its_day_inclusive(meter):
    meter.init(catalog([{"key": "p", "base_price": "31.00"}], []))
    r = meter("tenants", "add", "late", "--plan", "p", "--started-at", "2026-03-17", "--billing-day", "1")
    assert r.code == 0, r
    meter.now = "2026-04-02T00:00:00Z"
    inv = generate(meter, "2026-03", "late")
    (base,) = inv["lines"]
    # March 17 to 31 inclusive: 15 of 31 days
    assert base["amount"] == "15.00" and "15 of 31 days" in base["description"]
    assert meter("tenants", "show", "late", json=True).json["started_at"] == "2026-03-17"


def test_trends_and_simulate_rows_carry_currency(meter):
    plans = [{"key": "jp", "currency": "JPY", "base_price": "1000"}, {"key": "us", "base_price": "5.00"}]
    cat = catalog(plans, [{"id": "j", "plan": "jp"}, {"id": "u", "plan": "us"}])
    meter.init(cat)
    meter.now = MARCH
    rows = meter("report", "trends", "--months", "1", json=True).json["rows"]
    assert {r["tenant"]: (r["currency"], r["billed"]) for r in rows} == {"j": ("JPY", "1000"), "u": ("USD", "5.00")}
    r = meter("simulate", "--catalog", meter.write("same.json", cat), "--period", "2026-02", json=True)
    assert r.code == 0, r
    assert r.json["current_total"] is None
    by = {t["currency"]: t["current_total"] for t in r.json["totals_by_currency"]}
    assert by == {"JPY": "1000", "USD": "5.00"}
    assert "JPY" in meter("simulate", "--catalog", meter.write("same2.json", cat), "--period", "2026-02").out


def test_negative_subtotal_becomes_a_credit_grant_once(meter):
    # SPEC 10: lines adding up below zero give subtotal 0 and a prepaid credit
    # grant at finalization, the invoice's number as its reason. The invoice
    # is paid (nothing due) and so cannot be voided: the grant stays.
    plans = [{"key": "yr", "base_price": "365.00", "interval": "year"}, {"key": "free", "base_price": "0"}]
    meter.init(catalog(plans, [{"id": "t", "plan": "yr", "started_at": "2026-01-01"}]))
    meter.now = "2026-02-02T00:00:00Z"
    generate(meter, "2026-01", "t", "--finalize")
    assert meter("tenants", "set-plan", "t", "free", "--effective", "2026-02-01").code == 0
    meter.now = MARCH
    feb = generate(meter, "2026-02", "t", "--finalize")
    assert feb["subtotal"] == "0.00" and feb["status"] == "paid", feb
    assert [line["amount"] for line in feb["lines"]] == ["-334.00"]  # 334 unused days of 365 at 1.00
    grants = meter("credits", "list", "--tenant", "t", json=True).json
    grants = grants["grants"] if isinstance(grants, dict) else grants
    assert [(g["amount"], g["reason"], g["source"]) for g in grants] == [("334.00", feb["number"], "invoice")]
    assert meter("invoice", "void", feb["id"], "--reason", "wrong plan change").code == 1
    # generating again (a retried cron run) grants nothing more
    generate(meter, "2026-02", "t", "--finalize")
    bal = meter("credits", "balance", "--tenant", "t", json=True)
    assert bal.code == 0 and bal.json["balance"] == "334.00", bal


# ---- forecast, simulate and recommend price with filters, groups and commitments (issue 16 item 8) ----

PER_MODEL = {"meter": "tokens", "model": "per_unit", "unit_price": "0.001",
             "filters": [{"name": "Claude", "where": {"properties.model": ["claude-sonnet", "claude-opus"]},
                          "unit_price": "0.01", "included": 100, "group_by": "properties.project"}]}


def test_forecast_projects_and_prices_each_filter_and_group(meter):
    # Each slice is projected and priced on its own, with its own included
    # units: pricing the meter's whole projection at the charge's price (the
    # old forecast) gave 2600 x 0.001 = 2.60.
    plans = [{"key": "ai", "base_price": "0", "charges": [PER_MODEL]},
             {"key": "jp", "currency": "JPY", "base_price": "0",
              "charges": [{"meter": "tokens", "model": "per_unit", "unit_price": "0.3"}]}]
    meter.init(catalog(plans, [{"id": "t", "plan": "ai"}, {"id": "j", "plan": "jp"}]))
    meter.now = "2026-02-15T00:00:00Z"  # 14 of 28 days: projections double
    assert meter.ingest([llm(1, "claude-opus", 100, "beta"), llm(2, "claude-sonnet", 200, "alpha"),
                         llm(3, "gpt", 1000), ev("j1", "j", "llm", "2026-02-10T00:00:00Z",
                                                 properties={"model": "gpt", "tokens": 1001})]).code == 0
    rows = {r["tenant"]: r for r in meter("forecast", json=True).json["rows"] if r["meter"] == "tokens"}
    # alpha (400 - 100) x 0.01 + beta (200 - 100) x 0.01 + the rest 2000 x 0.001
    assert (rows["t"]["projected"], rows["t"]["projected_cost"], rows["t"]["currency"]) == (2600, "6.00", "USD")
    # JPY has no minor unit: 2002 x 0.3 = 600.6 -> 601
    assert (rows["j"]["projected_cost"], rows["j"]["currency"]) == ("601", "JPY")
    assert "601" in meter("forecast", "--tenant", "j").out


def test_simulate_prices_candidate_filters_groups_and_commitment(meter):
    stored = catalog([{"key": "ai", "base_price": "0",
                       "charges": [{"meter": "tokens", "model": "per_unit", "unit_price": "0.001"}]}],
                     [{"id": "t", "plan": "ai"}])
    meter.init(stored)
    meter.now = MARCH
    assert meter.ingest([llm(1, "claude-opus", 100, "beta"), llm(2, "claude-sonnet", 200, "alpha"),
                         llm(3, "gpt", 1000)]).code == 0

    def simulated(plan_fields):
        cand = json.loads(json.dumps(stored))
        cand["plans"][0].update(plan_fields)
        r = meter("simulate", "--catalog", meter.write("cand.json", cand), "--period", "2026-02", json=True)
        assert r.code == 0, r
        return r.json["current_total"], r.json["simulated_total"]

    # alpha (200 - 100) x 0.01 + beta 0 (100 included) + the rest 1000 x 0.001
    assert simulated({"charges": [PER_MODEL]}) == ("1.30", "2.00")
    assert simulated({"charges": [PER_MODEL], "minimum_commitment": "10.00"}) == ("1.30", "10.00")


def test_recommend_prices_filters_and_commitments_within_the_currency(meter):
    # per_model wins on its slices (36.00; 23.00 if its filter were ignored);
    # committed would be cheapest without its commitment (1.60) and jpy is
    # cheapest in figures (3), but a yen amount does not compare with dollars.
    flat = {"meter": "tokens", "model": "per_unit", "unit_price": "0.002"}
    per_model = {"meter": "tokens", "model": "per_unit", "unit_price": "0.0005",
                 "filters": [{"where": {"properties.model": "claude-opus"}, "unit_price": "0.004", "included": 1000,
                              "group_by": "properties.project"}]}
    plans = [{"key": "flat", "base_price": "5.00", "charges": [flat]},
             {"key": "per_model", "base_price": "5.00", "charges": [per_model]},
             {"key": "committed", "base_price": "0", "minimum_commitment": "20.00",
              "charges": [{"meter": "tokens", "model": "per_unit", "unit_price": "0.0001"}]},
             {"key": "jpy", "currency": "JPY", "base_price": "1",
              "charges": [{"meter": "tokens", "model": "per_unit", "unit_price": "0"}]}]
    meter.init(catalog(plans, [{"id": "t", "plan": "flat"}]))
    meter.now = "2026-05-02T00:00:00Z"  # February to April
    assert meter.ingest([llm(1, "claude-opus", 3000, "alpha"), llm(2, "claude-opus", 3000, "beta"),
                         llm(3, "gpt", 10000)]).code == 0
    (row,) = meter("recommend", json=True).json["rows"]
    assert (row["recommended_plan"], row["currency"], row["current_cost"], row["recommended_cost"], row["saving"]) == (
        "per_model", "USD", "47.00", "36.00", "11.00")


def test_dashboard_totals_per_currency_never_summed(meter):
    # SPEC 10: the dashboard's cross-tenant money is per currency: before, its
    # "billed" figure added yen to dollars (USD 1,005.00) and one chart ranked
    # them on one axis.
    plans = [{"key": "jp", "currency": "JPY", "base_price": "1000"}, {"key": "us", "base_price": "5.00"}]
    meter.init(catalog(plans, [{"id": "j", "plan": "jp"}, {"id": "u", "plan": "us"}]))
    meter.now = MARCH
    generate(meter, "2026-02", "j", "--finalize")
    generate(meter, "2026-02", "u", "--finalize")
    out = meter.dir / "dash.html"
    assert meter("report", "dashboard", "--period", "2026-02", "--out", out).code == 0
    html = out.read_text()
    assert "<b>USD 5.00<br>JPY 1,000</b>" in html  # billed this month, all tenants
    assert "1,005" not in html
    for title in ("Top tenants by amount billed this month", "Invoice totals per month"):
        assert f"<h2>{title} (USD)</h2>" in html and f"<h2>{title} (JPY)</h2>" in html


def test_credits_of_a_tenant_on_a_plan_in_another_currency_are_in_that_currency(meter):
    # Bug: a credit grant took the catalog's currency (USD) while the tenant's
    # plan billed in JPY; finalization drew 55.5 "USD" into a JPY invoice,
    # which stored credits_applied 56 and `db check` found the ledger off.
    plans = [{"key": "jp", "currency": "JPY", "base_price": "1000"}]
    meter.init(catalog(plans, [{"id": "t", "plan": "jp"}]))
    meter.now = "2026-02-02T00:00:00Z"
    r = meter("credits", "grant", "--tenant", "t", "--amount", "15.50")
    assert r.code != 0, r                                            # JPY has no minor unit
    r = meter("credits", "grant", "--tenant", "t", "--amount", "300", json=True)
    assert r.code == 0 and r.json["currency"] == "JPY", r
    meter.now = MARCH
    inv = generate(meter, "2026-02", "t", "--finalize")
    assert (inv["currency"], inv["total"], inv["credits_applied"], inv["amount_due"]) == ("JPY", "1000", "300", "700")
    check = meter("db", "check")
    assert check.code == 0, check


def test_late_events_in_slices_the_invoice_did_not_bill_are_billed_once(meter):
    # Issue 16: a late event in a filter or group that had no line on the
    # finalized invoice was never billed (only existing lines were re-measured).
    meter.init(catalog([AI], [{"id": "t", "plan": "ai"}]))
    meter.now = MARCH
    meter.ingest([llm(1, "gpt", 1000)])
    feb = generate(meter, "2026-02", "t", "--finalize")
    assert [(l["filter"], l["group"]) for l in feb["lines"] if l["meter"] == "tokens"] == [(None, None)]
    late = [llm(2, "claude-opus", 300, "beta", ts="2026-02-20T00:00:00Z"),
            llm(3, "claude-sonnet", 100, ts="2026-02-21T00:00:00Z"),
            llm(4, "gpt", 500, ts="2026-02-22T00:00:00Z")]
    assert meter.ingest(late, "late.ndjson").code == 0
    meter.now = "2026-04-02T00:00:00Z"
    expected = [("Claude", "beta", 300, "3.00"), ("Claude", "(none)", 100, "1.00"), (None, None, 500, "0.50")]
    for _ in range(2):  # a refreshed draft bills the same, not twice
        mar = generate(meter, "2026-03", "t")
        adj = [line for line in mar["lines"] if line["kind"] == "adjustment"]
        got = [(a["filter"], a["group"], a["quantity"], a["amount"]) for a in adj]
        assert sorted(got, key=str) == sorted(expected, key=str), got
    assert "Claude · project=beta" in next(a for a in adj if a["group"] == "beta")["description"]
    assert mar["subtotal"] == "4.50"
    r = meter("invoice", "show", mar["id"], "--explain")
    assert r.code == 0 and "did not bill" in r.out, r.out
    generate(meter, "2026-03", "t", "--finalize")
    # Billed once: the next month has nothing more to adjust ...
    meter.now = "2026-05-02T00:00:00Z"
    apr = generate(meter, "2026-04", "t")
    assert [l for l in apr["lines"] if l["kind"] == "adjustment"] == []
    # ... until an event of the new slice is voided: its charge comes back.
    assert meter("events", "void", "ae2", "--reason", "test").code == 0
    apr = generate(meter, "2026-04", "t")
    adj = [(a["filter"], a["group"], a["quantity"], a["amount"]) for a in apr["lines"] if a["kind"] == "adjustment"]
    assert adj == [("Claude", "beta", -300, "-3.00")], adj
