"""End-to-end: invoice generate / list / show / finalize / mark-paid / void /
sweep-overdue (SPEC section 7) with the real binary on a temporary database."""
import json

from conftest import SAMPLE_DIR

CATALOG = {
    "currency": "USD",
    "tax": {"name": "VAT", "rate": "0.10"},
    "invoice": {"number_prefix": "INV-", "net_days": 14},
    "meters": [
        {"key": "ai_requests", "aggregation": "sum"},
        {"key": "llm_tokens", "event": "llm_completion", "aggregation": "sum", "value": "properties.tokens"},
        {"key": "storage_gb", "aggregation": "max"},
        {"key": "seats", "aggregation": "max"},
    ],
    "plans": [
        {"key": "basic", "name": "Basic", "base_price": "28.00",
         "charges": [{"meter": "ai_requests", "model": "per_unit", "included": 100, "unit_price": "0.05"}]},
        {"key": "professional", "name": "Professional", "base_price": "99.00",
         "charges": [{"meter": "ai_requests", "model": "per_unit", "included": 1000, "unit_price": "0.02"}]},
        {"key": "standard", "name": "Standard", "base_price": "99.00",
         "charges": [
             {"meter": "llm_tokens", "model": "package", "included": 1000000, "package_size": 1000,
              "package_price": "0.01"},
             {"meter": "storage_gb", "model": "graduated", "tiers": [
                 {"up_to": 10, "unit_price": "1.00"}, {"up_to": 50, "unit_price": "0.50", "flat_price": "2"},
                 {"up_to": None, "unit_price": "0.25", "flat_price": "3"}]},
             {"meter": "seats", "model": "volume", "tiers": [
                 {"up_to": 10, "unit_price": "1.00"}, {"up_to": 50, "unit_price": "0.50", "flat_price": "2"},
                 {"up_to": None, "unit_price": "0.25", "flat_price": "3"}]}]},
        {"key": "capped", "name": "Capped", "base_price": "10.00", "overage": False,
         "charges": [{"meter": "ai_requests", "model": "per_unit", "included": 50, "unit_price": "1.00"}]},
    ],
    "tenants": [
        {"id": "acme", "name": "Acme Inc", "plan": "professional", "email": "billing@acme.test"},
        {"id": "globex", "name": "Globex", "plan": "standard", "email": "ap@globex.test"},
        {"id": "initech", "name": "Initech", "plan": "basic", "overrides": {"tax_rate": "0.00"}},
    ],
    "webhooks": [{"url": "http://127.0.0.1:9/hooks", "events": ["invoice.*"], "secret": "whsec_dGVzdHNlY3JldA=="}],
}

LINE_FIELDS = {"description", "meter", "quantity", "unit_price", "amount", "tiers"}
INVOICE_FIELDS = {"id", "number", "tenant", "period_start", "period_end", "currency", "status", "issue_date",
                  "due_date", "lines", "subtotal", "tax", "tax_rate", "total"}


def event(eid, tenant, metric, ts, quantity=1, **extra):
    e = {"id": eid, "tenant": tenant, "metric": metric, "timestamp": ts, "quantity": quantity}
    e.update(extra)
    return e


def generate(meter, period, *extra):
    r = meter("invoice", "generate", "--period", period, *extra, json=True)
    assert r.code == 0, r
    return {inv["tenant"]: inv for inv in r.json["invoices"]}


def usage_lines(inv):
    return [l for l in inv["lines"] if l.get("kind") == "usage"]


def adjustment_lines(inv):
    return [l for l in inv["lines"] if l.get("kind") == "adjustment"]


def messages(meter):
    # In the order they were queued: each has one delivery (the catalog's one
    # endpoint takes invoice.*), whose id counts up on both backends.
    return [(t, tenant, json.loads(d)) for t, tenant, d in meter.sql(
        "SELECT m.type, m.tenant_id, m.data FROM webhook_messages m "
        "JOIN webhook_deliveries d ON d.message_id = m.id ORDER BY d.id")]


def start(meter, events=(), catalog=CATALOG):
    meter.init(catalog)
    if events:
        r = meter.ingest(list(events))
        assert r.code == 0, r


def test_worked_example_on_sample_data(meter, sample_catalog):
    meter.init(sample_catalog)
    r = meter("ingest", SAMPLE_DIR / "usage-2026-02.ndjson", "--rejects", meter.dir / "rejects.txt")
    assert r.code == 65, r  # the sample carries deliberately bad records
    inv = generate(meter, "2026-02", "--tenant", "umbrella")["umbrella"]
    assert INVOICE_FIELDS <= set(inv)
    amounts = {l["meter"]: l["amount"] for l in inv["lines"]}
    assert amounts == {"email_analysis": "10.00", "video_understanding": "10.00",
                       "audio_transcription": "1.00", "text_to_speech": "1.50"}
    quantities = {l["meter"]: l["quantity"] for l in inv["lines"]}
    assert quantities == {"email_analysis": 5000, "video_understanding": 200, "audio_transcription": 1000,
                          "text_to_speech": 500}
    for line in inv["lines"]:
        assert LINE_FIELDS <= set(line)
    assert (inv["subtotal"], inv["tax"], inv["total"]) == ("22.50", "2.25", "24.75")
    assert inv["tax_rate"] == "0.10"
    assert (inv["issue_date"], inv["due_date"]) == ("2026-03-01", "2026-03-15")
    assert inv["period_start"] == "2026-02-01T00:00:00Z" and inv["period_end"] == "2026-03-01T00:00:00Z"
    assert inv["currency"] == "USD" and inv["status"] == "draft" and inv["number"] is None
    # The other figures the sample's README derives by hand.
    all_invoices = generate(meter, "2026-02")
    assert (all_invoices["initech"]["subtotal"], all_invoices["initech"]["total"]) == ("30.44", "33.48")
    assert (all_invoices["cyberdyne"]["subtotal"], all_invoices["cyberdyne"]["total"]) == ("318.80", "350.68")
    assert all_invoices["acme"]["tax"] == "0.00"  # tenant override 0 %
    assert all_invoices["stark"]["tax_rate"] == "0.19"
    assert len(all_invoices) == len(sample_catalog["tenants"]) == 23
    # The AI-model tenants (SPEC section 10): tessier starts on 2026-02-09 with a
    # 14-day trial, so 6 of 28 days of base price and commitment are charged;
    # its usage (per model, Claude Opus per project) stays under the commitment.
    tessier = all_invoices["tessier"]
    lines = [(line["description"], line["filter"], line["group"]) for line in tessier["lines"]]
    assert lines[0][0] == "AI Models plan, base price (6 of 28 days; 14-day trial, paid from 2026-02-23)"
    assert ("LLM tokens · Claude Opus · project=(none)", "Claude Opus", "(none)") in lines
    assert ("LLM tokens · GPT-4o mini", "GPT-4o mini", None) in lines
    assert lines[-1][0] == "Minimum commitment true-up"
    assert (tessier["subtotal"], tessier["currency"]) == ("32.14", "USD")  # 150 x 6 / 28
    # sirius bills in EUR from the 15th (Berlin), nakatomi in JPY from the 10th (Tokyo).
    sirius, nakatomi = all_invoices["sirius"], all_invoices["nakatomi"]
    assert (sirius["currency"], sirius["period_start"], sirius["subtotal"]) == ("EUR", "2026-02-14T23:00:00Z", "140.00")
    assert (nakatomi["currency"], nakatomi["period_start"]) == ("JPY", "2026-02-09T15:00:00Z")
    assert "." not in nakatomi["total"] and nakatomi["lines"][-1]["description"] != "Minimum commitment true-up"


def test_professional_overage(meter):
    start(meter, [event("e1", "acme", "ai_requests", "2026-02-03T10:00:00Z", 1200),
                  event("e2", "acme", "ai_requests", "2026-02-20T10:00:00Z", 50)])
    inv = generate(meter, "2026-02", "--tenant", "acme")["acme"]
    assert [l["amount"] for l in inv["lines"]] == ["99.00", "5.00"]
    usage = usage_lines(inv)[0]
    assert (usage["quantity"], usage["included"], usage["billable"], usage["unit_price"]) == (1250, 1000, 250, "0.02")
    assert (inv["subtotal"], inv["tax"], inv["total"]) == ("104.00", "10.40", "114.40")


def test_standard_package_graduated_and_volume(meter):
    start(meter, [event("t1", "globex", "llm_completion", "2026-02-03T10:00:00Z", properties={"tokens": 1250500}),
                  event("s1", "globex", "storage_gb", "2026-02-03T10:00:00Z", 50),
                  event("s2", "globex", "storage_gb", "2026-02-04T10:00:00Z", 51),
                  event("u1", "globex", "seats", "2026-02-04T10:00:00Z", 50)])
    inv = generate(meter, "2026-02", "--tenant", "globex")["globex"]
    by_meter = {l["meter"]: l for l in usage_lines(inv)}
    tokens = by_meter["llm_tokens"]
    assert (tokens["quantity"], tokens["billable"], tokens["packages"], tokens["amount"]) == (1250500, 250500, 251, "2.51")
    # graduated 51: 10 x 1.00 + (40 x 0.50 + 2) + (1 x 0.25 + 3) = 35.25
    storage = by_meter["storage_gb"]
    assert storage["amount"] == "35.25"
    assert [t["quantity"] for t in storage["tiers"]] == [10, 40, 1]
    assert [t["amount"] for t in storage["tiers"]] == ["10", "22", "3.25"]
    # volume 50, exactly on the second bound: 50 x 0.50 + 2 = 27.00
    seats = by_meter["seats"]
    assert seats["amount"] == "27.00"
    assert [t["applied"] for t in seats["tiers"]] == [False, True, False]
    assert inv["subtotal"] == "163.76"  # 99 + 2.51 + 35.25 + 27.00


def test_capped_plan_bills_nothing_beyond_included(meter):
    cat = json.loads(json.dumps(CATALOG))
    cat["tenants"].append({"id": "hooli", "name": "Hooli", "plan": "capped"})
    start(meter, [event("e1", "hooli", "ai_requests", "2026-02-03T10:00:00Z", 500)], cat)
    inv = generate(meter, "2026-02", "--tenant", "hooli")["hooli"]
    assert [l["amount"] for l in inv["lines"]] == ["10.00", "0.00"]
    assert usage_lines(inv)[0]["billable"] == 0


def test_generate_twice_gives_identical_json_and_dry_run_writes_nothing(meter):
    start(meter, [event("e1", "acme", "ai_requests", "2026-02-03T10:00:00Z", 1500)])
    dry = meter("invoice", "generate", "--period", "2026-02", "--dry-run", json=True)
    assert dry.code == 0, dry
    assert meter("invoice", "list", json=True).json == {"invoices": []}
    assert messages(meter) == []
    first = meter("invoice", "generate", "--period", "2026-02", json=True)
    second = meter("invoice", "generate", "--period", "2026-02", json=True)
    assert first.code == 0 and second.code == 0
    assert first.out == second.out
    assert first.out == dry.out  # the dry run showed exactly what was written
    assert len(meter("invoice", "list", json=True).json["invoices"]) == 3
    assert [m[0] for m in messages(meter)] == ["invoice.created"] * 3  # created once, refreshed silently


def test_draft_is_refreshed_in_place(meter):
    start(meter, [event("e1", "acme", "ai_requests", "2026-02-03T10:00:00Z", 1100)])
    before = generate(meter, "2026-02", "--tenant", "acme")["acme"]
    assert meter.ingest([event("e2", "acme", "ai_requests", "2026-02-04T10:00:00Z", 100)], "more.ndjson").code == 0
    after = generate(meter, "2026-02", "--tenant", "acme")["acme"]
    assert after["id"] == before["id"]
    assert (before["subtotal"], after["subtotal"]) == ("101.00", "103.00")
    assert len(meter("invoice", "list", "--tenant", "acme", json=True).json["invoices"]) == 1


def test_late_event_becomes_one_adjustment_line(meter):
    start(meter, [event("e1", "acme", "ai_requests", "2026-02-03T10:00:00Z", 1250)])
    feb = generate(meter, "2026-02", "--tenant", "acme", "--finalize")["acme"]
    assert feb["status"] == "open" and feb["number"] == "INV-2026-000001"
    # A February event arrives in March, after February was finalized.
    assert meter.ingest([event("late1", "acme", "ai_requests", "2026-02-27T10:00:00Z", 10)], "late.ndjson").code == 0
    assert meter("invoice", "show", feb["number"], json=True).json["total"] == feb["total"]  # never changed
    march = generate(meter, "2026-03")["acme"]
    adj = adjustment_lines(march)
    assert len(adj) == 1
    assert adj[0]["description"] == "Late usage adjustment for 2026-02: ai_requests +10"
    assert (adj[0]["quantity"], adj[0]["amount"]) == (10, "0.20")
    assert adj[0]["adjusts"]["number"] == "INV-2026-000001"
    # Generating March again keeps exactly one.
    again = generate(meter, "2026-03")["acme"]
    assert len(adjustment_lines(again)) == 1
    assert again == march
    # Once March is finalized with it, April bills no new adjustment.
    assert meter("invoice", "finalize", march["id"]).code == 0
    april = generate(meter, "2026-04")["acme"]
    assert adjustment_lines(april) == []
    # A second late event is billed once more, for the difference only.
    assert meter.ingest([event("late2", "acme", "ai_requests", "2026-02-28T10:00:00Z", 5)], "late2.ndjson").code == 0
    april = generate(meter, "2026-04")["acme"]
    adj = adjustment_lines(april)
    assert [(l["quantity"], l["amount"]) for l in adj] == [(5, "0.10")]


def test_late_event_for_a_single_tenant_run_matches_all_tenants_run(meter):
    start(meter, [event("e1", "acme", "ai_requests", "2026-02-03T10:00:00Z", 1250)])
    assert meter("invoice", "generate", "--period", "2026-02", "--finalize").code == 0
    assert meter.ingest([event("late1", "acme", "ai_requests", "2026-02-27T10:00:00Z", 10)], "late.ndjson").code == 0
    one = meter("invoice", "generate", "--period", "2026-03", "--tenant", "acme", "--dry-run", json=True).json
    every = generate(meter, "2026-03", "--dry-run")
    assert one["invoices"][0] == every["acme"]
    assert len(adjustment_lines(every["acme"])) == 1
    assert adjustment_lines(every["globex"]) == []


def test_proration_on_a_plan_change_on_the_15th(meter):
    start(meter, [event("a", "initech", "ai_requests", "2026-02-10T10:00:00Z", 300),
                  event("b", "initech", "ai_requests", "2026-02-20T10:00:00Z", 1100)])
    r = meter("tenants", "set-plan", "initech", "professional", "--effective", "2026-02-15")
    assert r.code == 0, r
    inv = generate(meter, "2026-02", "--tenant", "initech")["initech"]
    base = [l for l in inv["lines"] if l.get("kind") == "base"]
    assert [(l["plan"], l["days"], l["amount"]) for l in base] == [("basic", 14, "14.00"), ("professional", 14, "49.50")]
    usage = {l["plan"]: l for l in usage_lines(inv)}
    # 300 before the change under basic (100 included, 0.05): 10.00.
    assert (usage["basic"]["quantity"], usage["basic"]["amount"]) == (300, "10.00")
    assert usage["basic"]["period_end"] == "2026-02-15T00:00:00Z"
    # 1,100 after it under professional (1,000 included, 0.02): 2.00.
    assert (usage["professional"]["quantity"], usage["professional"]["amount"]) == (1100, "2.00")
    assert inv["subtotal"] == "75.50" and inv["tax"] == "0.00"  # initech's tax override is 0


def test_numbers_are_sequential_without_gaps(meter):
    start(meter)
    generate(meter, "2026-02")
    # Deleting and refreshing drafts takes no numbers.
    assert meter("invoice", "delete", "inv_globex_2026-02").code == 0
    generate(meter, "2026-02")
    generate(meter, "2026-02")
    numbers = []
    for tenant in ["initech", "acme", "globex"]:
        r = meter("invoice", "finalize", f"inv_{tenant}_2026-02", json=True)
        assert r.code == 0, r
        numbers.append(r.json["number"])
    assert numbers == ["INV-2026-000001", "INV-2026-000002", "INV-2026-000003"]
    # A refused finalization takes none either.
    assert meter("invoice", "finalize", "inv_acme_2026-02").code == 1
    generate(meter, "2026-03", "--finalize")
    listed = meter("invoice", "list", "--status", "open", json=True).json["invoices"]
    assert sorted(i["number"] for i in listed) == [f"INV-2026-{n:06d}" for n in range(1, 7)]
    # December's invoices are issued in January: a new year starts at 1.
    dec = generate(meter, "2026-12", "--tenant", "acme", "--finalize")["acme"]
    assert dec["number"] == "INV-2027-000001"


def test_lifecycle_and_illegal_transitions(meter):
    start(meter, [event("e1", "acme", "ai_requests", "2026-02-03T10:00:00Z", 1250)])
    generate(meter, "2026-02")
    r = meter("invoice", "mark-paid", "inv_acme_2026-02")
    assert r.code == 1 and "draft" in r.err
    r = meter("invoice", "void", "inv_acme_2026-02", "--reason", "x")
    assert r.code == 1 and "draft" in r.err
    num = meter("invoice", "finalize", "inv_acme_2026-02", json=True).json["number"]
    r = meter("invoice", "finalize", num)
    assert r.code == 1 and "already finalized" in r.err
    r = meter("invoice", "mark-paid", num, "--paid-at", "2026-03-10T09:00:00Z", json=True)
    assert r.code == 0 and r.json["status"] == "paid" and r.json["paid_at"] == "2026-03-10T09:00:00Z"
    r = meter("invoice", "mark-paid", num)
    assert r.code == 1 and "already paid" in r.err
    r = meter("invoice", "void", num, "--reason", "duplicate")
    assert r.code == 1 and "paid" in r.err
    # void, then paying the void invoice is refused.
    globex = meter("invoice", "finalize", "inv_globex_2026-02", json=True).json["number"]
    r = meter("invoice", "void", globex, "--reason", "sent to the wrong address", json=True)
    assert r.code == 0 and r.json["status"] == "void" and r.json["void_reason"] == "sent to the wrong address"
    r = meter("invoice", "mark-paid", globex)
    assert r.code == 1 and "void" in r.err
    assert meter("invoice", "void", globex).code == 2  # --reason is required
    # A voided month gets a fresh draft on the next generate.
    redo = generate(meter, "2026-02", "--tenant", "globex")["globex"]
    assert redo["id"] == "inv_globex_2026-02_2" and redo["status"] == "draft"
    # Unknown ids exit 2.
    assert meter("invoice", "show", "INV-2099-000001").code == 2
    assert meter("invoice", "finalize", "nope").code == 2


def test_sweep_overdue_then_paid(meter):
    start(meter)
    generate(meter, "2026-02", "--finalize")
    # Due 2026-03-15: still open that day, overdue the day after.
    r = meter("invoice", "sweep-overdue", json=True, now="2026-03-15T23:00:00Z")
    assert r.code == 0 and r.json == {"invoices": []}
    r = meter("invoice", "sweep-overdue", json=True, now="2026-03-16T00:00:00Z")
    assert sorted(i["tenant"] for i in r.json["invoices"]) == ["acme", "globex", "initech"]
    assert all(i["status"] == "overdue" for i in r.json["invoices"])
    assert meter("invoice", "sweep-overdue", json=True, now="2026-03-17T00:00:00Z").json == {"invoices": []}
    listed = meter("invoice", "list", "--status", "overdue", json=True).json["invoices"]
    assert len(listed) == 3
    assert meter("invoice", "mark-paid", listed[0]["number"]).code == 0
    assert meter("invoice", "void", listed[1]["number"], "--reason", "written off").code == 0


def test_each_transition_queues_its_webhook_message(meter):
    start(meter, [event("e1", "acme", "ai_requests", "2026-02-03T10:00:00Z", 1250)])
    generate(meter, "2026-02", "--tenant", "acme")
    num = meter("invoice", "finalize", "inv_acme_2026-02", json=True).json["number"]
    meter("invoice", "sweep-overdue", now="2026-04-01T00:00:00Z", check=True)
    meter("invoice", "mark-paid", num, check=True)
    finalized = generate(meter, "2026-03", "--tenant", "acme", "--finalize")["acme"]
    assert finalized == meter("invoice", "show", "inv_acme_2026-03", json=True).json
    meter("invoice", "void", "inv_acme_2026-03", "--reason", "test", check=True)
    msgs = messages(meter)
    assert [m[0] for m in msgs] == ["invoice.created", "invoice.finalized", "invoice.overdue", "invoice.paid",
                                    "invoice.created", "invoice.finalized", "invoice.voided"]
    assert all(m[1] == "acme" for m in msgs)
    assert msgs[1][2]["number"] == num and msgs[1][2]["status"] == "open"
    assert msgs[3][2]["status"] == "paid" and msgs[3][2]["total"] == "114.40"
    assert msgs[6][2]["status"] == "void"
    # The stored document, the command's output and the message agree.
    march = meter("invoice", "show", "inv_acme_2026-03", json=True).json
    assert msgs[5][2] == dict(march, status="open", voided_at=None, void_reason=None)
    assert msgs[4][2]["status"] == "draft" and msgs[4][2]["number"] is None
    # one pending delivery per message for the matching endpoint
    assert meter.sql("SELECT COUNT(*) FROM webhook_deliveries") == [(7,)]


def test_show_formats_and_explain(meter):
    start(meter, [event("s1", "globex", "storage_gb", "2026-02-03T10:00:00Z", 51)])
    generate(meter, "2026-02", "--tenant", "globex", "--finalize")
    num = "INV-2026-000001"
    text = meter("invoice", "show", num)
    assert text.code == 0
    for want in ["INV-2026-000001", "Globex", "ap@globex.test", "2026-02-01 to 2026-02-28", "2026-03-15",
                 "Subtotal", "134.25", "VAT 10%", "13.43", "147.68"]:
        assert want in text.out, want
    assert meter("invoice", "show", num, "--format", "json").out == meter("invoice", "show", num, json=True).out
    assert meter("invoice", "show", "inv_globex_2026-02", json=True).json["number"] == num
    csv = meter("invoice", "show", num, "--format", "csv").out.splitlines()
    assert csv[0].startswith("line,kind,description,meter")
    assert len(csv) == 1 + 4
    md = meter("invoice", "show", num, "--format", "md").out
    assert "| Description | Quantity | Unit price | Amount |" in md and "147.68" in md
    out = meter.dir / "invoice.html"
    r = meter("invoice", "show", num, "--format", "html", "--out", out)
    assert r.code == 0 and r.out == ""
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    for banned in ["http://", "https://", "<script", "<link", "src="]:
        assert banned not in html, banned
    for want in ["Globex", "2026-03-15", "147.68", "Due date"]:
        assert want in html, want
    explain = meter("invoice", "show", num, "--explain").out
    assert "tier 1 (first 10, 1.00 each): 10 × 1.00 = 10" in explain
    assert "tier 3 (over 50, 0.25 each + flat 3.00): 1 × 0.25 + flat 3.00 = 3.25" in explain
    assert "maximum of quantity of 'storage_gb' events" in explain
    assert "total = 134.25 + 13.43 = USD 147.68" in explain
    assert meter("invoice", "show", num, "--format", "pdf").code == 2


def test_list_filters_and_csv(meter):
    start(meter)
    generate(meter, "2026-02")
    generate(meter, "2026-03", "--tenant", "acme", "--finalize")
    assert len(meter("invoice", "list", json=True).json["invoices"]) == 4
    assert [i["tenant"] for i in meter("invoice", "list", "--tenant", "acme", json=True).json["invoices"]] == ["acme"] * 2
    assert [i["period_start"] for i in meter("invoice", "list", "--period", "2026-03", json=True).json["invoices"]] == [
        "2026-03-01T00:00:00Z"]
    assert len(meter("invoice", "list", "--status", "draft", json=True).json["invoices"]) == 3
    csv = meter("invoice", "list", "--format", "csv").out.splitlines()
    assert csv[0].split(",")[:3] == ["number", "id", "tenant"] and len(csv) == 5
    table = meter("invoice", "list").out
    assert "INV-2026-000001" in table and "inv_globex_2026-02" in table
    assert meter("invoice", "list", "--status", "bogus").code == 2
    assert meter("invoice", "list", "--period", "2026-13").code == 2


def test_suspended_tenants_are_invoiced_for_their_usage_only(meter):
    start(meter, [event("e1", "acme", "ai_requests", "2026-02-03T10:00:00Z", 1250)])
    assert meter("tenants", "suspend", "acme").code == 0
    assert meter("tenants", "suspend", "globex").code == 0
    invoices = generate(meter, "2026-02")
    assert invoices["acme"]["total"] == "114.40"  # usage is never left unbilled
    assert "globex" not in invoices               # no usage, suspended: no base price either
    assert sorted(invoices) == ["acme", "initech"]


def test_amount_too_large_is_refused(meter):
    cat = json.loads(json.dumps(CATALOG))
    cat["plans"][0]["charges"][0]["unit_price"] = "1000000000"
    start(meter, [event("e1", "initech", "ai_requests", "2026-02-03T10:00:00Z", 1000000000000)], cat)
    r = meter("invoice", "generate", "--period", "2026-02")
    assert r.code == 65, r
    assert "amount out of range" in r.err and "initech" in r.err
    assert meter("invoice", "list", json=True).json == {"invoices": []}  # nothing half-written


def test_bad_arguments(meter):
    start(meter)
    assert meter("invoice", "generate", "--period", "2026-2").code == 2
    assert meter("invoice", "generate").code == 2
    assert meter("invoice", "generate", "--period", "2026-02", "--tenant", "nobody").code == 2
    assert meter("invoice", "generate", "--period", "2026-02", "--dry-run", "--finalize").code == 2


def pricing_catalog():
    """Tenants g<q> on a graduated plan and v<q> on a volume plan with the same
    tiers, and r on a plan whose lines test rounding."""
    tiers = [{"up_to": 100, "unit_price": "0.10"}, {"up_to": 500, "unit_price": "0.08", "flat_price": "5"},
             {"up_to": None, "unit_price": "0.05", "flat_price": "10"}]
    return {
        "currency": "USD", "tax": {"rate": "0"}, "invoice": {"net_days": 30},
        "meters": [{"key": k} for k in ["units", "half", "under", "micro", "third"]],
        "plans": [
            {"key": "grad", "charges": [{"meter": "units", "model": "graduated", "tiers": tiers}]},
            {"key": "vol", "charges": [{"meter": "units", "model": "volume", "tiers": tiers}]},
            {"key": "round", "charges": [
                {"meter": "half", "unit_price": "0.005"}, {"meter": "under", "unit_price": "0.0049999"},
                {"meter": "micro", "unit_price": "0.000001"}, {"meter": "third", "unit_price": "0.333333333"}]},
        ],
        "tenants": [{"id": f"{p[0]}{q}", "plan": p} for p in ["grad", "vol"] for q in TIER_CASES]
                   + [{"id": "r", "plan": "round"}],
    }


# quantity -> (graduated, volume), computed by hand:
# graduated 101 = 100 x 0.10 + (1 x 0.08 + 5); volume 101 = 101 x 0.08 + 5; and so on.
TIER_CASES = {1: ("0.10", "0.10"), 100: ("10.00", "10.00"), 101: ("15.08", "13.08"), 500: ("47.00", "45.00"),
              501: ("57.05", "35.05"), 1000: ("82.00", "60.00")}


def test_graduated_and_volume_on_the_same_tiers(meter):
    events = [event(f"{p}{q}", f"{p}{q}", "units", "2026-02-10T10:00:00Z", q) for p in "gv" for q in TIER_CASES]
    start(meter, events, pricing_catalog())
    invoices = generate(meter, "2026-02")
    for q, (graduated, volume) in TIER_CASES.items():
        assert invoices[f"g{q}"]["total"] == graduated, q
        assert invoices[f"v{q}"]["total"] == volume, q
    # Exactly on a bound, the units stay in the lower tier.
    assert [t["quantity"] for t in invoices["g100"]["lines"][0]["tiers"]] == [100, 0, 0]
    assert [t["applied"] for t in invoices["v500"]["lines"][0]["tiers"]] == [False, True, False]


def test_each_line_is_rounded_once_half_away_from_zero(meter):
    start(meter, [event("h", "r", "half", "2026-02-10T10:00:00Z", 1),
                  event("u", "r", "under", "2026-02-10T10:00:00Z", 1),
                  event("m", "r", "micro", "2026-02-10T10:00:00Z", 1000000),
                  event("t", "r", "third", "2026-02-10T10:00:00Z", 3)], pricing_catalog())
    inv = generate(meter, "2026-02", "--tenant", "r")["r"]
    assert {l["meter"]: l["amount"] for l in inv["lines"]} == {"half": "0.01", "under": "0.00", "micro": "1.00",
                                                               "third": "1.00"}
    assert (inv["subtotal"], inv["tax"], inv["total"], inv["tax_rate"]) == ("2.01", "0.00", "2.01", "0.00")


def test_tenant_time_zone_sets_the_month(meter):
    cat = json.loads(json.dumps(CATALOG))
    cat["tenants"][0]["timezone"] = "Europe/Berlin"
    # 23:30 UTC on 31 January is already February in Berlin.
    start(meter, [event("e1", "acme", "ai_requests", "2026-01-31T23:30:00Z", 1250)], cat)
    inv = generate(meter, "2026-02", "--tenant", "acme")["acme"]
    assert (inv["period_start"], inv["period_end"]) == ("2026-01-31T23:00:00Z", "2026-02-28T23:00:00Z")
    assert usage_lines(inv)[0]["quantity"] == 1250
    assert (inv["issue_date"], inv["due_date"]) == ("2026-03-01", "2026-03-15")
