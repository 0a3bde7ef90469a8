"""Acceptance tests for SPEC section 11 (balances and corrections), written from
the SPEC alone with our own codes and figures: coupons (order, carry-over,
refusals), prepaid credits (draw order, ledger, expiry), credit notes
(numbering, tax, limits, lifecycle) and voided events."""
import json

import pytest

from acceptance import D, assert_one_line_error, ev, generate, invoice_list, json_rows, loads_exact, show

CATALOG = {
    "currency": "USD",
    "tax": {"name": "VAT", "rate": "0.10"},
    "invoice": {"number_prefix": "B-", "net_days": 10, "credit_note_prefix": "CRN-"},
    "credits": {"low_balance": "10.00"},
    "meters": [{"key": "calls"}],
    "plans": [{"key": "p", "base_price": "20.00",
               "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "1.00"}]}],
    "coupons": [
        {"code": "SPRING15", "percent_off": "15", "duration": "repeating", "months": 2},
        {"code": "HELLO30", "amount_off": "30.00", "currency": "USD", "duration": "once"},
        {"code": "EUROONLY", "amount_off": "5.00", "currency": "EUR", "duration": "once"},
        {"code": "OLD", "percent_off": "10", "duration": "forever", "redeem_by": "2026-01-31"},
        {"code": "ONE", "percent_off": "5", "duration": "forever", "max_redemptions": 1},
    ],
    "tenants": [{"id": "c1", "plan": "p"}, {"id": "c2", "plan": "p"}, {"id": "c3", "plan": "p"}],
}


@pytest.fixture
def m(meter):
    meter.init(CATALOG)
    meter.now = "2026-02-10T00:00:00Z"
    return meter


def month_invoice(m, period, tenant, *extra, now):
    m.now = now
    return generate(m, period, tenant, *extra)


# ---- coupons -------------------------------------------------------------------------------

def test_coupons_in_order_each_on_what_is_left_with_carry_over(m):
    assert m("tenants", "apply-coupon", "c1", "HELLO30", "--from", "2026-02-01").code == 0
    assert m("tenants", "apply-coupon", "c1", "SPRING15", "--from", "2026-02-01").code == 0
    feb = month_invoice(m, "2026-02", "c1", "--finalize", now="2026-03-02T00:00:00Z")
    assert feb["subtotal"] == "20.00"
    assert feb["discounts"] == [{"code": "HELLO30", "amount": "20.00"}]       # SPRING15 took 0: no entry
    coupon_lines = [line for line in feb["lines"] if line["description"].startswith("Coupon")]
    assert [(line["description"], line["amount"]) for line in coupon_lines] == [
        ("Coupon HELLO30 (30.00 USD)", "-20.00")]
    assert (feb["discounted_subtotal"], feb["tax"], feb["total"], feb["amount_due"]) == (
        "0.00", "0.00", "0.00", "0.00")
    assert feb["status"] == "paid"
    mar = month_invoice(m, "2026-03", "c1", "--finalize", now="2026-04-02T00:00:00Z")
    assert mar["discounts"] == [{"code": "HELLO30", "amount": "10.00"}, {"code": "SPRING15", "amount": "1.50"}]
    assert [line["description"] for line in mar["lines"] if line["description"].startswith("Coupon")] == [
        "Coupon HELLO30 (30.00 USD)", "Coupon SPRING15 (15 %)"]
    assert (mar["subtotal"], mar["discounted_subtotal"], mar["tax"], mar["total"]) == (
        "20.00", "8.50", "0.85", "9.35")
    apr = month_invoice(m, "2026-04", "c1", now="2026-05-02T00:00:00Z")
    assert apr["discounts"] == [] and apr["total"] == "22.00"


def test_amount_off_coupon_follows_each_invoices_currency_across_a_plan_change(meter):
    # Bug: an amount_off coupon was matched against the currency of the plan the tenant
    # is on when invoices are generated, not the invoice's: once a move to a EUR plan
    # took effect, regenerating the earlier USD month dropped its USD coupon.
    cat = json.loads(json.dumps(CATALOG))
    cat["plans"].append({"key": "eu", "currency": "EUR", "base_price": "8.00"})
    meter.init(cat)
    meter.now = "2026-02-10T00:00:00Z"
    assert meter("tenants", "apply-coupon", "c1", "HELLO30", "--from", "2026-02-01").code == 0
    assert meter("tenants", "set-plan", "c1", "eu", "--effective", "2026-03-01").code == 0
    mar = month_invoice(meter, "2026-03", "c1", now="2026-03-05T00:00:00Z")   # EUR: the USD coupon waits
    assert (mar["currency"], mar["discounts"], mar["total"]) == ("EUR", [], "8.80")
    feb = month_invoice(meter, "2026-02", "c1", "--finalize", now="2026-03-05T00:00:00Z")
    assert (feb["currency"], feb["discounts"]) == ("USD", [{"code": "HELLO30", "amount": "20.00"}])
    assert (feb["discounted_subtotal"], feb["total"], feb["status"]) == ("0.00", "0.00", "paid")


def test_coupon_starts_with_the_billing_period_containing_from(meter):
    # Bug: apply-coupon started the coupon with the calendar month of --from, so for a
    # billing-day-15 tenant --from 2026-02-10 (inside its Jan 15 - Feb 15 period) skipped that
    # period and started with the one from Feb 15.
    cat = json.loads(json.dumps(CATALOG))
    cat["tenants"] = [{"id": "d15", "plan": "p", "billing_day": 15}]
    cat["coupons"].append({"code": "ONCEMORE", "percent_off": "50", "duration": "repeating", "months": 1})
    meter.init(cat)
    meter.now = "2026-02-10T00:00:00Z"
    assert meter("tenants", "apply-coupon", "d15", "ONCEMORE", "--from", "2026-02-10").code == 0
    jan = month_invoice(meter, "2026-01", "d15", now="2026-03-20T00:00:00Z")
    assert (jan["period_start"], jan["discounts"]) == ("2026-01-15T00:00:00Z", [{"code": "ONCEMORE", "amount": "10.00"}])
    feb = month_invoice(meter, "2026-02", "d15", now="2026-03-20T00:00:00Z")
    assert feb["discounts"] == []


def test_coupon_refusals_are_exit_1_one_line(m):
    for code, why in (("NOPE", "NOPE"), ("EUROONLY", "EUR"), ("OLD", "OLD")):
        r = m("tenants", "apply-coupon", "c1", code)
        assert_one_line_error(r, 1, why)
    assert m("tenants", "apply-coupon", "c1", "ONE").code == 0
    assert_one_line_error(m("tenants", "apply-coupon", "c2", "ONE"), 1, "ONE")


def test_remove_coupon_stops_it_from_the_next_draft(m):
    assert m("tenants", "apply-coupon", "c2", "SPRING15", "--from", "2026-02-01").code == 0
    feb = month_invoice(m, "2026-02", "c2", "--finalize", now="2026-03-02T00:00:00Z")
    assert feb["discounts"] == [{"code": "SPRING15", "amount": "3.00"}] and feb["total"] == "18.70"
    assert m("tenants", "remove-coupon", "c2", "SPRING15").code == 0
    assert show(m, feb["number"])["total"] == "18.70"
    mar = month_invoice(m, "2026-03", "c2", now="2026-04-02T00:00:00Z")
    assert mar["discounts"] == [] and mar["total"] == "22.00"


# ---- prepaid credits -----------------------------------------------------------------------

def grant(m, tenant, amount, *extra):
    r = m("credits", "grant", "--tenant", tenant, "--amount", amount, *extra, json=True)
    assert r.code == 0, r
    return r.json


def balance(m, tenant):
    r = m("credits", "balance", "--tenant", tenant, json=True)
    assert r.code == 0, r
    doc = loads_exact(r.out)
    return D(doc["balance"] if isinstance(doc, dict) else doc)


def test_credits_draw_order_ledger_and_paid_at_zero(m):
    g1 = grant(m, "c3", "15.00", "--id", "g1")
    assert g1["id"] == "g1"
    assert grant(m, "c3", "15.00", "--id", "g1")["id"] == "g1"     # idempotent
    grant(m, "c3", "10.00", "--id", "g2", "--expires", "2026-03-31")
    grant(m, "c3", "5.00", "--id", "g3", "--expires", "2026-03-31", "--priority", "5")
    assert balance(m, "c3") == D("30.00")
    feb = month_invoice(m, "2026-02", "c3", "--finalize", now="2026-03-02T00:00:00Z")
    assert (feb["total"], feb["credits_applied"], feb["amount_due"], feb["status"]) == ("22.00", "22.00", "0.00", "paid")
    assert balance(m, "c3") == D("8.00")
    r = m("credits", "ledger", "--tenant", "c3", json=True)
    assert r.code == 0, r
    entries = json_rows(r.out)
    assert len(entries) == 6, entries        # three grants, three draws
    # g3 (earliest expiry, higher priority) 5.00, then g2 10.00, then g1 (no expiry) 7.00
    draws = [e for e in entries if "draw" in json.dumps(e, default=str).lower()]
    assert sorted(abs(D(e["amount"])) for e in draws) == [D("5.00"), D("7.00"), D("10.00")]
    r = m("credits", "list", "--tenant", "c3", json=True)
    left = {g["id"]: D(g.get("remaining", g.get("balance", "0"))) for g in json_rows(r.out)}
    assert left == {"g1": D("8.00"), "g2": D(0), "g3": D(0)}
    assert "8.00" in m("tenants", "show", "c3").out


def test_credits_void_and_expire(m):
    m.now = "2026-02-01T00:00:00Z"
    grant(m, "c2", "40.00", "--id", "old", "--expires", "2026-02-05")
    grant(m, "c2", "6.00", "--id", "keep")
    assert m("webhooks", "add", "--url", "http://127.0.0.1:9/x", "--events", "credits.*").code == 0
    m.now = "2026-02-10T00:00:00Z"
    assert balance(m, "c2") == D("6.00")            # expired grants never count
    assert m("credits", "expire").code == 0
    assert m("credits", "expire").code == 0          # once
    assert m("credits", "void", "keep").code == 0
    assert balance(m, "c2") == D("0")
    r = m("webhooks", "deliveries", json=True)
    assert [d["type"] for d in r.json["deliveries"]].count("credits.expired") == 1


# ---- credit notes --------------------------------------------------------------------------

def finalized(m, tenant, quantity=0):
    m.now = "2026-03-02T00:00:00Z"
    if quantity:
        assert m.ingest([ev(f"{tenant}-q", tenant, "calls", "2026-02-10T00:00:00Z", quantity)],
                        f"{tenant}.ndjson").code == 0
    return generate(m, "2026-02", tenant, "--finalize")


def test_credit_note_amount_tax_numbering_and_limit(m):
    inv = finalized(m, "c1")                                    # 20.00 + 2.00 tax = 22.00
    assert inv["total"] == "22.00"
    r = m("invoice", "credit", inv["number"], "--amount", "5.00", "--reason", "goodwill", json=True)
    assert r.code == 0, r
    doc = show(m, inv["number"])
    assert doc["credit_notes"] == [{"number": "CRN-2026-000001", "total": "5.50"}]
    assert doc["amount_due"] == "16.50" and doc["status"] == "open"
    r = m("invoice", "credit", inv["number"], "--line", "1", "--reason", "too much")    # 22.00 more: over total
    assert_one_line_error(r, 1)
    assert m("invoice", "credit", inv["number"], "--amount", "15.00", "--reason", "rest").code == 0
    doc = show(m, inv["number"])
    assert doc["amount_due"] == "0.00" and doc["status"] == "paid"
    assert [c["number"] for c in doc["credit_notes"]] == ["CRN-2026-000001", "CRN-2026-000002"]
    assert_one_line_error(m("invoice", "void", inv["number"], "--reason", "x"), 1)
    r = m("credit-notes", "list", "--tenant", "c1", json=True)
    assert r.code == 0 and "CRN-2026-000002" in r.out, r
    for fmt in ("text", "json", "csv", "md", "html"):
        r = m("credit-notes", "show", "CRN-2026-000001", "--format", fmt)
        assert r.code == 0 and "5.00" in r.out, (fmt, r)
        assert fmt == "csv" or "5.50" in r.out, (fmt, r)    # a CSV may hold the lines only
    for fmt in ("text", "md", "html"):     # (a CSV of lines may leave it out)
        r = m("invoice", "show", inv["number"], "--format", fmt)
        assert "CRN-2026-000001" in r.out, (fmt, r)


def test_credit_note_amount_is_spread_in_proportion_last_line_takes_the_rest(m):
    inv = finalized(m, "c2", quantity=20)        # lines 20.00 and 20.00
    r = m("invoice", "credit", inv["number"], "--amount", "0.03", "--reason", "split", json=True)
    assert r.code == 0, r
    assert "0.01" in r.out and "0.02" in r.out


def test_credit_note_amount_finer_than_the_minor_unit_is_refused(meter):
    # Bug: `invoice credit --amount 0.5` on a JPY invoice stored a note of 0.5 yen, printed
    # as 1 and taken off the amount due as 0.5 (shares cannot add up to A in whole yen);
    # `credits grant` already refused such an amount.
    cat = json.loads(json.dumps(CATALOG))
    cat["plans"] = [{"key": "jp", "currency": "JPY", "base_price": "1000"}]
    cat["tenants"] = [{"id": "j", "plan": "jp"}]
    cat["credits"] = {}
    meter.init(cat)
    meter.now = "2026-03-02T00:00:00Z"
    inv = generate(meter, "2026-02", "j", "--finalize")
    assert (inv["total"], inv["amount_due"]) == ("1100", "1100")
    assert_one_line_error(meter("invoice", "credit", inv["number"], "--amount", "0.5", "--reason", "x"), 2, "JPY")
    assert meter("invoice", "credit", inv["number"], "--amount", "10", "--reason", "x").code == 0
    assert show(meter, inv["number"])["amount_due"] == "1089"          # 10 + 1 tax


def test_credits_stay_in_their_own_currency_across_a_plan_change(meter):
    # Found by review9: after a tenant moved from a JPY plan to a KWD plan, a credit
    # note of 100 JPY on a paid JPY invoice became a grant of 100.000 KWD (the
    # tenant's new currency), and `credits balance` added a 1,000 JPY grant to a
    # 5 KWD one and printed "KWD 1,005.000". Amounts of two currencies never add up.
    cat = {"currency": "JPY", "meters": [{"key": "calls"}],
           "plans": [{"key": "jp", "base_price": "1000"}, {"key": "kw", "currency": "KWD", "base_price": "1.000"}],
           "tenants": [{"id": "t", "plan": "jp"}]}
    meter.init(cat)
    meter.now = "2026-02-10T00:00:00Z"
    assert meter("tenants", "set-plan", "t", "kw", "--effective", "2026-03-01").code == 0
    assert meter("credits", "grant", "--tenant", "t", "--amount", "1000").code == 0      # in JPY
    meter.now = "2026-03-10T00:00:00Z"
    feb = generate(meter, "2026-02", "t", "--finalize")
    assert (feb["currency"], feb["status"], feb["credits_applied"]) == ("JPY", "paid", "1000")
    r = meter("invoice", "credit", feb["number"], "--amount", "100", "--reason", "goodwill", json=True)
    assert r.code == 0, r
    grant = next(g for g in json_rows(meter("credits", "list", "--tenant", "t", json=True).out)
                 if g["id"] == r.json["grant_id"])
    assert (grant["currency"], grant["amount"]) == ("JPY", "100"), grant
    assert meter("credits", "grant", "--tenant", "t", "--amount", "5").code == 0         # in KWD
    bal = meter("credits", "balance", "--tenant", "t", json=True)
    assert bal.code == 0 and (bal.json["currency"], bal.json["balance"]) == ("KWD", "5.000"), bal
    ledger = meter("credits", "ledger", "--tenant", "t", json=True).json["entries"]
    assert [(e["kind"], e["currency"], e["amount"]) for e in ledger] == [
        ("grant", "JPY", "1000"), ("draw", "JPY", "1000"), ("grant", "JPY", "100"), ("grant", "KWD", "5.000")]


def test_a_negative_subtotal_is_granted_in_its_invoices_currency(meter):
    # Found by review9: a JPY invoice finalized after the tenant's move to a KWD plan,
    # its lines below zero (January's 500 calls voided), granted the 500 JPY it
    # carried as 500.000 KWD.
    cat = {"currency": "JPY", "meters": [{"key": "calls"}],
           "plans": [{"key": "jp", "base_price": "0",
                      "charges": [{"meter": "calls", "model": "per_unit", "unit_price": "1"}]},
                     {"key": "kw", "currency": "KWD", "base_price": "1.000"}],
           "tenants": [{"id": "t", "plan": "jp"}]}
    meter.init(cat)
    meter.now = "2026-02-02T00:00:00Z"
    assert meter.ingest([ev(1, "t", "calls", "2026-01-10T00:00:00Z", 500)]).code == 0
    assert generate(meter, "2026-01", "t", "--finalize")["total"] == "500"
    assert meter("tenants", "set-plan", "t", "kw", "--effective", "2026-03-01").code == 0
    assert meter("events", "void", "a1", "--reason", "test traffic").code == 0
    meter.now = "2026-03-02T00:00:00Z"
    feb = generate(meter, "2026-02", "t", "--finalize")
    assert (feb["currency"], feb["subtotal"], feb["carried_credit"]) == ("JPY", "0", "500"), feb
    grants = json_rows(meter("credits", "list", "--tenant", "t", json=True).out)
    assert [(g["currency"], g["amount"]) for g in grants] == [("JPY", "500")], grants
    shown = meter("invoice", "show", feb["id"])
    assert "The lines come to JPY 500 below zero: that is granted as prepaid credit" in shown.out, shown


def test_credit_note_refusals_and_paid_invoices(m):
    m.now = "2026-03-02T00:00:00Z"
    draft = generate(m, "2026-02", "c3")
    assert_one_line_error(m("invoice", "credit", draft["id"], "--amount", "1.00", "--reason", "x"), 1)
    assert m("invoice", "finalize", draft["id"]).code == 0
    number = show(m, draft["id"])["number"]
    assert m("invoice", "mark-paid", number).code == 0
    assert m("invoice", "credit", number, "--amount", "10.00", "--reason", "back").code == 0
    assert balance(m, "c3") == D("11.00")       # 10.00 + 10 % tax becomes a grant
    assert m("invoice", "credit", number, "--amount", "1.00", "--reason", "cash", "--refund").code == 0
    assert balance(m, "c3") == D("11.00")


# ---- voided events -------------------------------------------------------------------------

def test_events_list_show_void(m):
    m.now = "2026-02-20T00:00:00Z"
    evs = [ev(i, "c1", "calls", f"2026-02-{i:02d}T00:00:00Z", i) for i in range(1, 6)]
    assert m.ingest(evs).code == 0
    r = m("events", "list", "--tenant", "c1", "--limit", "2", json=True)
    assert r.code == 0, r
    assert [e["id"] for e in json_rows(r.out)] == ["a5", "a4"]        # newest first
    r = m("events", "list", "--tenant", "c1", "--from", "2026-02-02T00:00:00Z", "--to", "2026-02-04T00:00:00Z",
          "--metric", "calls", json=True)
    assert sorted(e["id"] for e in json_rows(r.out)) == ["a2", "a3"]
    assert m("events", "show", "a3", json=True).code == 0
    assert_one_line_error(m("events", "void", "a3"), 2, "--reason")
    r = m("events", "void", "a3", "a9", "--reason", "test traffic")
    assert r.code == 65 and "a9" in r.err, r
    assert m("events", "void", "a3", "--reason", "test traffic").code == 0        # idempotent
    r = m("report", "usage", "--tenant", "c1", "--period", "2026-02", "--by", "month", json=True)
    assert [row["quantity"] for row in r.json["rows"]] == [12]
    r = m("quota", "status", "--tenant", "c1", json=True)
    assert r.code == 0
    r = m("events", "list", "--voided", json=True)
    assert "test traffic" in r.out and "a3" in r.out
    assert "test traffic" in m("events", "show", "a3").out


def test_voided_event_in_a_finalized_period_is_a_negative_adjustment(m):
    inv = finalized(m, "c1", quantity=7)                        # 20 + 7 = 27.00 + tax
    assert inv["subtotal"] == "27.00"
    assert m("events", "void", "ac1-q", "--reason", "duplicate").code == 0
    assert show(m, inv["number"])["subtotal"] == "27.00"       # finalized never changes
    mar = month_invoice(m, "2026-03", "c1", now="2026-04-02T00:00:00Z")
    assert any(line["amount"] == "-7.00" for line in mar["lines"]), mar["lines"]
    assert mar["subtotal"] == "13.00"
    assert len(invoice_list(m, "--tenant", "c1")) == 2


def test_db_check_passes_on_a_consistent_database(m):
    finalized(m, "c1", quantity=3)
    r = m("db", "check")
    assert r.code == 0, r
