"""End-to-end: coupons, prepaid credits, credit notes and `db check` (SPEC
section 11) with the real binary on a temporary database."""
import json
import subprocess
import threading

import pytest

CATALOG = {
    "currency": "USD",
    "tax": {"name": "VAT", "rate": "0.10"},
    "invoice": {"number_prefix": "INV-", "net_days": 14, "credit_note_prefix": "CN-"},
    "credits": {"low_balance": "20"},
    "meters": [{"key": "api_calls"}],
    "plans": [{"key": "pro", "name": "Pro", "base_price": "100.00",
               "charges": [{"meter": "api_calls", "model": "per_unit", "unit_price": "0.10"}]}],
    "tenants": [{"id": "acme", "name": "Acme", "plan": "pro"},
                {"id": "globex", "name": "Globex", "plan": "pro", "timezone": "America/New_York"}],
    "coupons": [{"code": "LAUNCH20", "percent_off": "20", "duration": "repeating", "months": 3},
                {"code": "WELCOME50", "amount_off": "50.00", "currency": "USD", "duration": "once"},
                {"code": "BIG", "amount_off": "150.00", "duration": "once"},
                {"code": "SOLO", "percent_off": "5", "duration": "forever", "max_redemptions": 1},
                {"code": "GONE", "percent_off": "5", "redeem_by": "2026-01-15"},
                {"code": "EURO", "amount_off": "5", "currency": "EUR"}],
    "webhooks": [{"url": "http://127.0.0.1:9/hooks", "secret": "whsec_dGVzdHNlY3JldA=="}],
}


def start(meter, catalog=CATALOG):
    meter.now = "2026-02-10T00:00:00Z"
    meter.init(catalog)


def generate(meter, period, *extra, now="2026-06-01T00:00:00Z"):
    r = meter("invoice", "generate", "--period", period, *extra, json=True, now=now)
    assert r.code == 0, r
    return {inv["tenant"]: inv for inv in r.json["invoices"]}


def messages(meter, kind):
    rows = meter.sql("SELECT data FROM webhook_messages WHERE type=? ORDER BY created_at, id", (kind,))
    return [json.loads(d) for (d,) in rows]


def db_check(meter):
    r = meter("db", "check", json=True)
    assert r.code == 0 and r.json["ok"], r
    return r.json


# ---- coupons ----

def test_coupon_lines_discounted_subtotal_and_tax_in_spec_order(meter):
    start(meter)
    assert meter("tenants", "apply-coupon", "acme", "LAUNCH20").code == 0
    assert meter("tenants", "apply-coupon", "acme", "WELCOME50").code == 0
    inv = generate(meter, "2026-02", "--tenant", "acme")["acme"]
    # 100 subtotal; LAUNCH20 takes 20 of it, WELCOME50 50 of the 80 left; tax 10 % of 30.
    assert [(l["kind"], l["description"], l["amount"]) for l in inv["lines"]] == [
        ("base", "Pro plan, base price", "100.00"), ("usage", "api_calls", "0.00"),
        ("coupon", "Coupon LAUNCH20 (20 %)", "-20.00"),
        ("coupon", "Coupon WELCOME50 (50.00 USD)", "-50.00")]
    assert inv["subtotal"] == "100.00"
    assert inv["discounts"] == [{"code": "LAUNCH20", "amount": "20.00"}, {"code": "WELCOME50", "amount": "50.00"}]
    assert (inv["discounted_subtotal"], inv["tax"], inv["total"]) == ("30.00", "3.00", "33.00")
    assert (inv["credits_applied"], inv["amount_due"], inv["credit_notes"]) == ("0.00", "33.00", [])
    explain = meter("invoice", "show", inv["id"], "--explain")
    assert "discounted subtotal = 100.00 - 20.00 - 50.00 = 30.00" in explain.out, explain
    assert "tax (VAT, 10%) = 30.00 × 0.1 rounded once = 3.00" in explain.out, explain


def test_once_amount_carries_to_the_next_invoices_until_used(meter):
    start(meter)
    assert meter("tenants", "apply-coupon", "acme", "BIG", "--from", "2026-02-01").code == 0
    feb = generate(meter, "2026-02", "--tenant", "acme", "--finalize")["acme"]
    assert feb["discounts"] == [{"code": "BIG", "amount": "100.00"}]
    assert (feb["total"], feb["amount_due"], feb["status"]) == ("0.00", "0.00", "paid")  # nothing due: paid
    mar = generate(meter, "2026-03", "--tenant", "acme", "--finalize")["acme"]
    assert mar["discounts"] == [{"code": "BIG", "amount": "50.00"}]
    assert mar["total"] == "55.00"
    apr = generate(meter, "2026-04", "--tenant", "acme")["acme"]
    assert apr["discounts"] == [] and apr["total"] == "110.00"
    db_check(meter)


def test_repeating_coupon_covers_its_months_from_the_from_period(meter):
    start(meter)
    assert meter("tenants", "apply-coupon", "globex", "LAUNCH20", "--from", "2026-03-15").code == 0
    got = {m: generate(meter, m, "--tenant", "globex", "--finalize")["globex"]["discounts"]
           for m in ("2026-02", "2026-03", "2026-04", "2026-05", "2026-06")}
    assert got == {"2026-02": [], "2026-03": [{"code": "LAUNCH20", "amount": "20.00"}],
                   "2026-04": [{"code": "LAUNCH20", "amount": "20.00"}],
                   "2026-05": [{"code": "LAUNCH20", "amount": "20.00"}], "2026-06": []}


def test_zero_off_coupon_adds_no_line_and_once_is_used_up(meter):
    cat = json.loads(json.dumps(CATALOG))
    cat["plans"].append({"key": "free", "name": "Free", "base_price": "0"})
    cat["coupons"].append({"code": "TENOFF", "percent_off": "10", "duration": "once"})
    cat["tenants"].append({"id": "hooli", "name": "Hooli", "plan": "free"})
    start(meter, cat)
    assert meter("tenants", "apply-coupon", "hooli", "TENOFF").code == 0
    feb = generate(meter, "2026-02", "--tenant", "hooli", "--finalize")["hooli"]
    assert feb["discounts"] == [] and [l for l in feb["lines"] if l["kind"] == "coupon"] == []
    assert feb["status"] == "paid"
    assert meter("tenants", "set-plan", "hooli", "pro", "--effective", "2026-03-01").code == 0
    mar = generate(meter, "2026-03", "--tenant", "hooli")["hooli"]
    assert mar["discounts"] == []  # met February's invoice of 0: used up


@pytest.mark.parametrize("tenant,code,why", [
    ("acme", "NOPE", "unknown coupon 'NOPE'"),
    ("acme", "GONE", "expired"),
    ("acme", "EURO", "is in EUR"),
])
def test_refused_coupons_exit_1_with_one_line(meter, tenant, code, why):
    start(meter)
    r = meter("tenants", "apply-coupon", tenant, code)
    assert r.code == 1, r
    assert r.err.count("\n") == 1 and r.err.startswith("meter: ") and why in r.err, r


def test_exhausted_coupon_and_remove(meter):
    start(meter)
    assert meter("tenants", "apply-coupon", "acme", "SOLO").code == 0
    r = meter("tenants", "apply-coupon", "globex", "SOLO")
    assert r.code == 1 and "exhausted" in r.err, r
    assert generate(meter, "2026-02", "--tenant", "acme")["acme"]["discounts"] == [{"code": "SOLO", "amount": "5.00"}]
    assert meter("tenants", "remove-coupon", "acme", "SOLO").code == 0
    assert generate(meter, "2026-02", "--tenant", "acme")["acme"]["discounts"] == []
    r = meter("tenants", "remove-coupon", "acme", "SOLO")
    assert r.code != 0 and r.err.startswith("meter: "), r


# ---- prepaid credits ----

def grant(meter, *args):
    r = meter("credits", "grant", *args, json=True)
    assert r.code == 0, r
    return r.json


def test_credits_draw_at_finalization_in_spec_order_and_ledger_balances(meter):
    start(meter)
    never = grant(meter, "--tenant", "acme", "--amount", "30", "--id", "never")
    late = grant(meter, "--tenant", "acme", "--amount", "40", "--expires", "2026-12-31", "--id", "late")
    early = grant(meter, "--tenant", "acme", "--amount", "50", "--expires", "2026-06-30", "--id", "early")
    assert (never["id"], late["expires_at"], early["currency"]) == ("never", "2027-01-01T00:00:00Z", "USD")
    again = grant(meter, "--tenant", "acme", "--amount", "30", "--id", "never")  # idempotent by --id
    assert again == never
    assert meter("credits", "balance", "--tenant", "acme", json=True).json["balance"] == "120.00"
    feb = generate(meter, "2026-02", "--tenant", "acme", "--finalize")["acme"]  # 110 due
    assert (feb["credits_applied"], feb["amount_due"], feb["status"]) == ("110.00", "0.00", "paid")
    grants = {g["id"]: g for g in meter("credits", "list", "--tenant", "acme", json=True).json["grants"]}
    assert {k: g["remaining"] for k, g in grants.items()} == {"early": "0.00", "late": "0.00", "never": "10.00"}
    ledger = meter("credits", "ledger", "--tenant", "acme", json=True).json["entries"]
    assert [(e["kind"], e["grant_id"], e["amount"]) for e in ledger] == [
        ("grant", "never", "30.00"), ("grant", "late", "40.00"), ("grant", "early", "50.00"),
        ("draw", "early", "50.00"), ("draw", "late", "40.00"), ("draw", "never", "20.00")]
    assert all(e["invoice"] == feb["id"] for e in ledger if e["kind"] == "draw")
    assert [m["balance"] for m in messages(meter, "credits.balance_low")] == ["10.00"]
    assert [m["number"] for m in messages(meter, "invoice.paid")] == [feb["number"]]
    assert "credit balance: USD 10.00" in meter("tenants", "show", "acme").out
    assert meter("tenants", "show", "acme", json=True).json["credit_balance"] == "10.00"
    text = meter("invoice", "show", feb["number"]).out
    assert "Prepaid credits" in text and "Amount due (USD)" in text, text
    db_check(meter)


def test_credit_expiry_void_and_refusals(meter):
    start(meter)
    grant(meter, "--tenant", "globex", "--amount", "25", "--expires", "2026-02-28", "--id", "feb")
    grant(meter, "--tenant", "globex", "--amount", "5", "--id", "other")
    # Through the end of Feb 28 in New York: still usable at 04:00 UTC on March 1.
    bal = lambda now: meter("credits", "balance", "--tenant", "globex", json=True, now=now).json["balance"]
    assert (bal("2026-03-01T04:00:00Z"), bal("2026-03-01T05:00:00Z")) == ("30.00", "5.00")
    r = meter("credits", "expire", json=True, now="2026-03-02T00:00:00Z")
    assert r.code == 0 and [(g["id"], g["expired_amount"]) for g in r.json["expired"]] == [("feb", "25.00")], r
    assert meter("credits", "expire", json=True, now="2026-03-03T00:00:00Z").json["expired"] == []
    assert [m["amount"] for m in messages(meter, "credits.expired")] == ["25.00"]
    assert meter("credits", "void", "other", "--reason", "goodwill reversed").code == 0
    r = meter("credits", "void", "other")
    assert r.code == 1 and "already void" in r.err, r
    kinds = [e["kind"] for e in meter("credits", "ledger", "--tenant", "globex", json=True).json["entries"]]
    assert kinds == ["grant", "grant", "expiry", "void"]
    for args, code in [(["--tenant", "nobody", "--amount", "5"], 66), (["--tenant", "acme", "--amount", "-5"], 2),
                       (["--tenant", "acme", "--amount", "5", "--expires", "soon"], 2),
                       (["--tenant", "acme", "--amount", "6", "--id", "feb"], 1)]:
        r = meter("credits", "grant", *args)
        assert r.code != 0 and r.err.count("\n") == 1 and r.err.startswith("meter: "), (args, r)
    db_check(meter)


def test_coupon_then_credits_amount_due(meter):
    start(meter)
    assert meter("tenants", "apply-coupon", "acme", "LAUNCH20").code == 0
    grant(meter, "--tenant", "acme", "--amount", "50")
    feb = generate(meter, "2026-02", "--tenant", "acme", "--finalize")["acme"]
    assert (feb["discounted_subtotal"], feb["total"], feb["credits_applied"], feb["amount_due"]) == (
        "80.00", "88.00", "50.00", "38.00")
    assert feb["status"] == "open"
    for fmt, needle in [("text", "Amount due (USD)"), ("md", "Discounted subtotal"), ("html", "Prepaid credits"),
                        ("csv", "Coupon LAUNCH20 (20 %)")]:
        out = meter("invoice", "show", feb["number"], "--format", fmt).out
        assert needle in out, (fmt, out)
    # Voiding gives the credits back, and the reissued invoice gets the discount again.
    assert meter("invoice", "void", feb["number"], "--reason", "wrong plan").code == 0
    assert meter("credits", "balance", "--tenant", "acme", json=True).json["balance"] == "50.00"
    again = generate(meter, "2026-02", "--tenant", "acme")["acme"]
    assert again["discounts"] == [{"code": "LAUNCH20", "amount": "20.00"}]
    db_check(meter)


def test_two_concurrent_finalizations_never_draw_the_same_credit_twice(meter):
    start(meter)
    grant(meter, "--tenant", "acme", "--amount", "150")
    for m in ("2026-02", "2026-03", "2026-04"):
        generate(meter, m, "--tenant", "acme")  # drafts: 110 each
    drafts = [i["id"] for i in meter("invoice", "list", json=True).json["invoices"]]
    procs = [meter.popen("--json", "invoice", "finalize", d, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for d in drafts]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    applied = sorted(json.loads(o)["credits_applied"] for o, _ in outs)
    assert applied == ["0.00", "110.00", "40.00"], applied  # 150 drawn once: 110, the 40 left, nothing
    assert meter("credits", "balance", "--tenant", "acme", json=True).json["balance"] == "0.00"
    db_check(meter)


# ---- credit notes ----

def test_credit_notes_numbering_spread_tax_and_amount_due(meter):
    start(meter)
    assert meter.ingest([{"id": "e1", "tenant": "acme", "metric": "api_calls",
                          "timestamp": "2026-02-03T10:00:00Z", "quantity": 500}]).code == 0
    feb = generate(meter, "2026-02", "--tenant", "acme", "--finalize")["acme"]  # 100 + 50 = 150, +15 tax
    assert feb["total"] == "165.00"
    r = meter("invoice", "credit", feb["number"], "--amount", "30", "--reason", "outage", json=True)
    assert r.code == 0, r
    note = r.json
    assert note["number"] == "CN-2026-000001"
    assert [(l["line"], l["amount"]) for l in note["lines"]] == [(1, "20.00"), (2, "10.00")]
    assert (note["amount"], note["tax"], note["total"]) == ("30.00", "3.00", "33.00")
    inv = meter("invoice", "show", feb["number"], json=True).json
    assert (inv["amount_due"], inv["status"]) == ("132.00", "open")
    assert inv["credit_notes"] == [{"number": "CN-2026-000001", "total": "33.00"}]
    assert inv["total"] == "165.00"  # the invoice itself never changes
    r = meter("invoice", "credit", feb["number"], "--line", "2", "--reason", "api outage")
    assert r.code == 0 and "CN-2026-000002" in r.out, r
    # 33 + 55 = 88 credited of 165: 71 more (78.10 with tax) would pass the total.
    r = meter("invoice", "credit", feb["number"], "--amount", "71", "--reason", "too much")
    assert r.code == 1 and r.err.count("\n") == 1 and "above its total" in r.err, r
    r = meter("invoice", "credit", feb["number"], "--amount", "40", "--reason", "the rest", json=True)
    assert r.code == 0, r
    assert meter("invoice", "show", feb["number"], json=True).json["amount_due"] == "33.00"
    r = meter("invoice", "void", feb["number"], "--reason", "x")
    assert r.code == 1 and "credit notes" in r.err, r
    assert len(messages(meter, "credit_note.created")) == 3
    listed = meter("credit-notes", "list", "--tenant", "acme", json=True).json["credit_notes"]
    assert [n["number"] for n in listed] == ["CN-2026-000001", "CN-2026-000002", "CN-2026-000003"]
    for fmt, needle in [("text", "CREDIT NOTE CN-2026-000001"), ("json", '"total": "33.00"'),
                        ("csv", "CN-2026-000001,INV-2026-000001,1,"), ("md", "# Credit note CN-2026-000001"),
                        ("html", "<!DOCTYPE html>")]:
        out = meter("credit-notes", "show", "CN-2026-000001", "--format", fmt)
        assert out.code == 0 and needle in out.out, (fmt, out)
    shown = meter("invoice", "show", feb["number"]).out
    assert "Credit note CN-2026-000001" in shown and "Amount due (USD)" in shown, shown
    db_check(meter)


def test_credit_note_on_paid_invoice_becomes_a_grant_unless_refunded(meter):
    start(meter)
    feb = generate(meter, "2026-02", "--finalize")
    assert meter("invoice", "mark-paid", feb["acme"]["number"]).code == 0
    assert meter("invoice", "mark-paid", feb["globex"]["number"]).code == 0
    r = meter("invoice", "credit", feb["acme"]["number"], "--line", "1", "--reason", "refund as credit", json=True)
    assert r.code == 0 and r.json["grant_id"] and not r.json["refunded"], r
    assert meter("credits", "balance", "--tenant", "acme", json=True).json["balance"] == "110.00"
    r = meter("invoice", "credit", feb["globex"]["number"], "--amount", "10", "--reason", "cash back", "--refund",
              json=True)
    assert r.code == 0 and r.json["refunded"] and r.json["grant_id"] is None, r
    assert meter("credits", "balance", "--tenant", "globex", json=True).json["balance"] == "0.00"
    db_check(meter)


def test_credit_note_refused_on_draft_and_bad_flags(meter):
    start(meter)
    draft = generate(meter, "2026-02", "--tenant", "acme")["acme"]
    r = meter("invoice", "credit", draft["id"], "--amount", "5", "--reason", "x")
    assert r.code == 1 and "draft" in r.err, r
    assert meter("invoice", "credit", draft["id"], "--amount", "5").code == 2  # --reason required
    assert meter("invoice", "credit", draft["id"], "--amount", "5", "--line", "1", "--reason", "x").code == 2


def test_custom_credit_note_prefix(meter):
    cat = json.loads(json.dumps(CATALOG))
    cat["invoice"]["credit_note_prefix"] = "CRN/"
    start(meter, cat)
    feb = generate(meter, "2026-02", "--tenant", "acme", "--finalize")["acme"]
    r = meter("invoice", "credit", feb["number"], "--amount", "1", "--reason", "x", json=True)
    assert r.json["number"] == "CRN/2026-000001", r


# ---- db check ----

def test_db_check_finds_a_tampered_ledger_and_invoice(meter):
    start(meter)
    grant(meter, "--tenant", "acme", "--amount", "10", "--id", "g")
    generate(meter, "2026-02", "--tenant", "acme", "--finalize")
    assert db_check(meter)["invoices_checked"] == 1
    meter.sql("UPDATE credit_grants SET remaining='7' WHERE id='g'")
    meter.sql("UPDATE invoices SET tax='11.00' WHERE tax='10.00'")
    r = meter("db", "check", json=True)
    assert r.code == 1, r
    messages_ = [p["message"] for p in r.json["problems"]]
    assert any("remaining 7" in m for m in messages_), messages_
    assert any(m.startswith("tax 11.00") for m in messages_), messages_
    assert r.err.startswith("meter: db check found") and r.err.count("\n") == 1, r
