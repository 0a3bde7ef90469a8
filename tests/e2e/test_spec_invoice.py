"""Acceptance tests for SPEC section 7 (invoices), written from the SPEC alone:
the worked example (exactly), our own figures for rounding (per line, tax once,
half away from zero, 9-decimal prices), dates, tax overrides, proration,
regeneration, gap-free numbering, the lifecycle with its webhook messages,
list filters, --explain and every output format."""
import json
import re

from acceptance import (D, assert_one_line_error, ev, generate, invoice_list, line_amount,
                        lines_by_meter, shop_catalog, show)

MARCH = "2026-03-02T00:00:00Z"

WORKED = {
    "currency": "USD",
    "tax": {"name": "VAT", "rate": "0.10"},
    "invoice": {"number_prefix": "INV-", "net_days": 14},
    "meters": [{"key": k} for k in ("email_analysis", "video_understanding", "audio_transcription",
                                    "text_to_speech")],
    "plans": [{"key": "ai", "name": "AI", "base_price": "0", "charges": [
        {"meter": "email_analysis", "model": "per_unit", "unit_price": "0.002"},
        {"meter": "video_understanding", "model": "per_unit", "unit_price": "0.05"},
        {"meter": "audio_transcription", "model": "per_unit", "unit_price": "0.001"},
        {"meter": "text_to_speech", "model": "per_unit", "unit_price": "0.003"}]}],
    "tenants": [{"id": "acme", "name": "Acme Inc", "plan": "ai"}],
}


def test_worked_example_holds_exactly(meter):
    meter.init(WORKED)
    meter.now = MARCH
    events = [ev(1, "acme", "email_analysis", "2026-02-04T14:32:15Z", 3000),
              ev(2, "acme", "email_analysis", "2026-02-24T09:00:00Z", 2000),
              ev(3, "acme", "video_understanding", "2026-02-10T00:00:00Z", 200),
              ev(4, "acme", "audio_transcription", "2026-02-11T00:00:00Z", 1000),
              ev(5, "acme", "text_to_speech", "2026-02-28T23:59:59Z", 500),
              ev(6, "acme", "text_to_speech", "2026-03-01T00:00:00Z", 999)]   # March: not billed
    assert meter.ingest(events).code == 0
    inv = generate(meter, "2026-02", "acme")
    assert {k: str(line_amount(inv, k)) for k in lines_by_meter(inv)} == {
        "email_analysis": "10.00", "video_understanding": "10.00",
        "audio_transcription": "1.00", "text_to_speech": "1.50"}
    assert (inv["subtotal"], inv["tax"], inv["total"]) == ("22.50", "2.25", "24.75")
    assert (inv["issue_date"], inv["due_date"]) == ("2026-03-01", "2026-03-15")
    assert inv["currency"] == "USD" and inv["status"] == "draft" and inv["tenant"] == "acme"
    assert (inv["period_start"], inv["period_end"]) == ("2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z")
    for key in ("id", "number", "tenant", "period_start", "period_end", "currency", "status", "issue_date",
                "due_date", "lines", "subtotal", "tax", "tax_rate", "total"):
        assert key in inv, key
    for line in inv["lines"]:
        for key in ("description", "meter", "quantity", "unit_price", "amount", "tiers"):
            assert key in line, (key, line)
    assert D(inv["tax_rate"]) == D("0.10")


ROUNDING = {
    "currency": "USD",
    "tax": {"name": "Sales tax", "rate": "0.0725"},
    "invoice": {"number_prefix": "R-", "net_days": 45},
    "meters": [{"key": "tokens"}, {"key": "pings"}],
    "plans": [
        {"key": "metered", "base_price": "0", "charges": [
            {"meter": "tokens", "model": "per_unit", "unit_price": "0.000012345"},
            {"meter": "pings", "model": "per_unit", "unit_price": "0.005"}]},
        {"key": "dime", "base_price": "0.10"},
    ],
    "tenants": [{"id": "r1", "plan": "metered"},
                {"id": "tie", "plan": "dime", "overrides": {"tax_rate": "0.05"}},
                {"id": "free", "plan": "dime", "overrides": {"tax_rate": "0.00"}}],
}


def test_rounding_per_line_tax_once_half_away_from_zero(meter):
    meter.init(ROUNDING)
    meter.now = MARCH
    events = [ev(1, "r1", "tokens", "2026-02-02T00:00:00Z", 1234567)]
    events += [ev(10 + i, "r1", "pings", "2026-02-03T00:00:00Z", 1) for i in range(3)]  # 3 x 0.005 = 0.015
    assert meter.ingest(events).code == 0
    inv = generate(meter, "2026-02", "r1")
    assert line_amount(inv, "tokens") == D("15.24")     # 15.240729615
    assert line_amount(inv, "pings") == D("0.02")       # rounded once per line, not per event
    assert (inv["subtotal"], inv["tax"], inv["total"]) == ("15.26", "1.11", "16.37")   # tax 1.10635
    assert inv["due_date"] == "2026-04-15"
    # tenant tax override; 0.10 x 0.05 = 0.005 -> 0.01 (half away from zero)
    tie = generate(meter, "2026-02", "tie")
    assert (tie["subtotal"], tie["tax"], tie["total"]) == ("0.10", "0.01", "0.11")
    assert D(tie["tax_rate"]) == D("0.05")
    free = generate(meter, "2026-02", "free")
    assert (free["tax"], free["total"]) == ("0.00", "0.10")


def test_base_price_prorated_by_day_on_a_plan_change(meter):
    cat = {"currency": "USD", "meters": [{"key": "widgets"}],
           "plans": [{"key": "a", "base_price": "100.00"}, {"key": "b", "base_price": "200.00"}],
           "tenants": [{"id": "sw", "plan": "a"}]}
    meter.init(cat)
    meter.now = "2026-04-20T00:00:00Z"
    assert meter("tenants", "set-plan", "sw", "b", "--effective", "2026-04-11").code == 0
    meter.now = "2026-05-02T00:00:00Z"
    inv = generate(meter, "2026-04", "sw")
    base = sorted(D(line["amount"]) for line in inv["lines"])
    assert base == [D("33.33"), D("133.33")]          # 10/30 x 100, 20/30 x 200
    assert inv["subtotal"] == "166.66"


def _setup_shop(meter):
    cat = shop_catalog()
    meter.init(cat)
    meter.now = MARCH
    assert meter("webhooks", "add", "--url", "http://127.0.0.1:9/inv", "--events", "invoice.*").code == 0
    assert meter.ingest([ev(1, "kite", "widgets", "2026-02-10T00:00:00Z", 300),
                         ev(2, "lynx", "widgets", "2026-02-11T00:00:00Z", 1500)]).code == 0


def _types(meter):
    r = meter("webhooks", "deliveries", json=True)
    assert r.code == 0, r
    return [(d["tenant"], d["type"]) for d in r.json["deliveries"]]


def test_generate_twice_refreshes_drafts_and_never_changes_finalized(meter):
    _setup_shop(meter)
    r = meter("invoice", "generate", "--period", "2026-02")
    assert r.code == 0, r
    first = {i["tenant"]: i for i in invoice_list(meter)}
    assert set(first) == {"kite", "lynx"}
    assert all(i["number"] is None and i["status"] == "draft" for i in first.values())
    assert meter("invoice", "generate", "--period", "2026-02").code == 0
    again = {i["tenant"]: i for i in invoice_list(meter)}
    assert again == first
    # more usage refreshes the draft
    assert meter.ingest([ev(3, "kite", "widgets", "2026-02-12T00:00:00Z", 100)], "more.ndjson").code == 0
    assert meter("invoice", "generate", "--period", "2026-02").code == 0
    kite = show(meter, first["kite"]["id"])
    assert kite["subtotal"] == "24.00" and kite["id"] == first["kite"]["id"]
    # finalized: later usage for the period never changes it
    assert meter("invoice", "finalize", kite["id"]).code == 0
    before = meter("invoice", "show", kite["id"], json=True).out
    assert meter.ingest([ev(4, "kite", "widgets", "2026-02-13T00:00:00Z", 100)], "late.ndjson").code == 0
    assert meter("invoice", "generate", "--period", "2026-02").code == 0
    assert meter("invoice", "show", kite["id"], json=True).out == before
    assert len(invoice_list(meter, "--tenant", "kite")) == 1


def test_dry_run_stores_nothing_and_finalize_flag_numbers(meter):
    _setup_shop(meter)
    r = meter("invoice", "generate", "--period", "2026-02", "--dry-run")
    assert r.code == 0 and "kite" in r.out, r
    assert invoice_list(meter) == []
    r = meter("invoice", "generate", "--period", "2026-02", "--tenant", "lynx", "--finalize")
    assert r.code == 0, r
    invs = invoice_list(meter)
    assert [(i["tenant"], i["status"], i["number"]) for i in invs] == [("lynx", "open", "WID-2026-000001")]
    # 49.00 + 500 x 0.04 = 69.00; +15 % = 79.35
    assert invs[0]["total"] == "79.35"


def test_numbers_are_sequential_and_gap_free(meter):
    _setup_shop(meter)
    meter("invoice", "generate", "--period", "2026-02", check=True)
    ids = {i["tenant"]: i["id"] for i in invoice_list(meter)}
    assert meter("invoice", "finalize", ids["lynx"]).code == 0
    r = meter("invoice", "finalize", "no-such-invoice")
    assert r.code != 0 and r.err.startswith("meter: "), r
    r = meter("invoice", "finalize", ids["lynx"])            # already finalized: no new number
    assert r.code != 0 or invoice_list(meter, "--tenant", "lynx")[0]["number"] == "WID-2026-000001"
    assert meter("invoice", "void", "WID-2026-000001", "--reason", "test").code == 0
    assert meter("invoice", "finalize", ids["kite"]).code == 0
    numbers = {i["tenant"]: i["number"] for i in invoice_list(meter)}
    assert numbers == {"lynx": "WID-2026-000001", "kite": "WID-2026-000002"}
    meter.now = "2026-04-02T00:00:00Z"
    meter("invoice", "generate", "--period", "2026-03", "--finalize", check=True)
    march = sorted(i["number"] for i in invoice_list(meter, "--period", "2026-03"))
    assert march == ["WID-2026-000003", "WID-2026-000004"]


def test_lifecycle_transitions_and_their_webhook_messages(meter):
    _setup_shop(meter)
    meter("invoice", "generate", "--period", "2026-02", check=True)
    ids = {i["tenant"]: i["id"] for i in invoice_list(meter)}
    assert sorted(_types(meter)) == [("kite", "invoice.created"), ("lynx", "invoice.created")]
    r = meter("invoice", "mark-paid", ids["kite"])           # a draft cannot be paid
    assert r.code != 0, r
    assert_one_line_error(r, r.code)
    meter("invoice", "finalize", ids["kite"], check=True)
    meter("invoice", "finalize", ids["lynx"], check=True)
    kite_no = show(meter, ids["kite"])["number"]
    lynx_no = show(meter, ids["lynx"])["number"]
    assert show(meter, kite_no)["status"] == "open"
    r = meter("invoice", "mark-paid", kite_no, "--paid-at", "2026-03-20T10:00:00Z")
    assert r.code == 0, r
    assert show(meter, kite_no)["status"] == "paid"
    # due 2026-03-31: not overdue on the due date, overdue after it; paid ones never
    assert meter("invoice", "sweep-overdue", now="2026-03-31T12:00:00Z").code == 0
    assert show(meter, lynx_no)["status"] == "open"
    assert meter("invoice", "sweep-overdue", now="2026-04-01T12:00:00Z").code == 0
    assert show(meter, lynx_no)["status"] == "overdue"
    assert show(meter, kite_no)["status"] == "paid"
    r = meter("invoice", "void", lynx_no)
    assert r.code == 2, r
    assert meter("invoice", "void", lynx_no, "--reason", "duplicate order").code == 0
    assert show(meter, lynx_no)["status"] == "void"
    assert sorted(_types(meter)) == sorted([
        ("kite", "invoice.created"), ("lynx", "invoice.created"),
        ("kite", "invoice.finalized"), ("lynx", "invoice.finalized"),
        ("kite", "invoice.paid"), ("lynx", "invoice.overdue"), ("lynx", "invoice.voided")])
    assert [i["tenant"] for i in invoice_list(meter, "--status", "void")] == ["lynx"]
    assert [i["tenant"] for i in invoice_list(meter, "--status", "paid")] == ["kite"]
    assert invoice_list(meter, "--status", "open") == []


def test_list_filters(meter):
    _setup_shop(meter)
    meter("invoice", "generate", "--period", "2026-02", check=True)
    meter.now = "2026-04-02T00:00:00Z"
    meter("invoice", "generate", "--period", "2026-03", "--tenant", "kite", check=True)
    assert len(invoice_list(meter)) == 3
    assert {i["period_start"] for i in invoice_list(meter, "--tenant", "kite")} == {
        "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"}
    assert [i["tenant"] for i in invoice_list(meter, "--period", "2026-03")] == ["kite"]
    assert len(invoice_list(meter, "--status", "draft")) == 3
    human = meter("invoice", "list")
    assert human.code == 0 and "kite" in human.out and "lynx" in human.out


def test_show_formats_out_file_and_explain(meter):
    _setup_shop(meter)
    inv = generate(meter, "2026-02", "kite", "--finalize")
    number = inv["number"]
    assert number == "WID-2026-000001" and inv["total"] == "21.85"
    text = meter("invoice", "show", number)
    assert text.code == 0 and "21.85" in text.out and number in text.out, text
    by_id = meter("invoice", "show", inv["id"], json=True)
    assert by_id.code == 0 and by_id.json["number"] == number
    csv = meter("invoice", "show", number, "--format", "csv")
    assert csv.code == 0 and "," in csv.out.splitlines()[0] and "10.00" in csv.out, csv
    md = meter("invoice", "show", number, "--format", "md")
    assert md.code == 0 and "|" in md.out and "21.85" in md.out, md
    js = meter("invoice", "show", number, "--format", "json")
    assert js.code == 0 and json.loads(js.out)["total"] == "21.85"
    out = meter.dir / "inv.html"
    r = meter("invoice", "show", number, "--format", "html", "--out", out)
    assert r.code == 0, r
    html = out.read_text()
    assert "<html" in html.lower() and "21.85" in html and number in html
    # self-contained: nothing fetched from the network
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I), html[:3000]
    assert "@import" not in html and "url(http" not in html
    explain = meter("invoice", "show", number, "--explain")
    assert explain.code == 0, explain
    assert "300" in explain.out and "100" in explain.out and "200" in explain.out and "0.05" in explain.out
    bad = meter("invoice", "show", number, "--format", "pdf")
    assert_one_line_error(bad, 2)


def test_show_unknown_invoice_is_one_line(meter):
    _setup_shop(meter)
    r = meter("invoice", "show", "WID-2026-999999")
    assert r.code != 0, r
    assert_one_line_error(r, r.code, "WID-2026-999999")


def test_bad_period_is_a_usage_error(meter):
    _setup_shop(meter)
    r = meter("invoice", "generate", "--period", "2026-13")
    assert_one_line_error(r, 2)
