// The database layer of billing: reading inputs, generating, previews, late
// usage and the lifecycle, on a real SQLite file.
#include <doctest/doctest.h>

#include <functional>
#include <utility>

#include <fmt/format.h>

#include "billing/credits.h"
#include "billing/generate.h"
#include "billing/lifecycle.h"
#include "store/catalog_store.h"
#include "support/usage_events.h"

namespace meter::billing {
namespace {

using testing::At;

// Every tenant's `month`, generated at `now`.
GenerateOptions AllTenants(const char* month, const char* now, bool finalize, bool dry_run = false) {
  GenerateOptions o;
  o.month = month;
  o.finalize = finalize;
  o.dry_run = dry_run;
  o.now = At(now);
  return o;
}

constexpr const char* kCatalog = R"({
  "currency": "USD", "tax": {"rate": "0.10"}, "invoice": {"net_days": 14},
  "meters": [{"key": "api_calls"}],
  "plans": [
    {"key": "basic", "base_price": "10", "charges": [{"meter": "api_calls", "included": 100, "unit_price": "0.01"}]},
    {"key": "pro", "base_price": "50", "charges": [{"meter": "api_calls", "included": 1000, "unit_price": "0.005"}]}],
  "tenants": [{"id": "acme", "plan": "basic"}, {"id": "idle", "plan": "pro"}]})";

// A database with the catalog applied and acme's usage recorded.
struct Fixture : testing::UsageDb {
  Fixture() : UsageDb(kCatalog, At("2026-01-01T00:00:00Z"), At("2026-03-01T00:00:00Z")) {}
  void Reload() { c = testing::LoadCatalog(db, At("2026-03-01T00:00:00Z")); }
  void Record(const char* id, const char* ts, int64_t units) {
    testing::Record(db, c, testing::UsageAt(id, "acme", "api_calls", ts, units));
  }
  // `tenant` holds a 5 USD prepaid credit grant.
  void Grant(const char* tenant) {
    GrantRequest g;
    g.tenant = tenant;
    g.amount = Dec("5");
    g.id = "cg_1";
    REQUIRE(GrantCredit(db, c, g, At("2026-01-20T00:00:00Z")).ok());
  }
  Result<GenerateResult> Generate(const char* month, bool dry_run = false, bool finalize = false) {
    return GenerateInvoices(db, c,
        {.month = month, .tenant = "", .dry_run = dry_run, .finalize = finalize, .now = At("2026-04-02T00:00:00Z")});
  }
};

TEST_CASE("billing.generate: inputs per plan segment, and under another plan") {
  Fixture f;
  f.Record("a", "2026-02-05T10:00:00Z", 300);
  f.Record("b", "2026-02-20T10:00:00Z", 700);
  REQUIRE(store::CatalogStore(f.db).SetPlan("acme", "pro", At("2026-02-15T00:00:00Z"), At("2026-02-15T00:00:00Z")).ok());
  auto in = ReadInvoiceInputs(f.db, f.c, f.c.tenants[0], "2026-02");
  REQUIRE(in.ok());
  REQUIRE(in->segments.size() == 2);
  CHECK(in->segments[0].plan.key == "basic");
  CHECK(in->segments[0].usage.at("api_calls") == Dec("300"));
  CHECK(in->segments[1].plan.key == "pro");
  CHECK(in->segments[1].usage.at("api_calls") == Dec("700"));
  // recommend: the whole month as if on pro.
  auto as_pro = ReadInvoiceInputs(f.db, f.c, f.c.tenants[0], "2026-02", f.c.FindPlan("pro"));
  REQUIRE(as_pro.ok());
  REQUIRE(as_pro->segments.size() == 1);
  CHECK(as_pro->segments[0].usage.at("api_calls") == Dec("1000"));
  CHECK(BuildInvoice(*as_pro)->subtotal.ToString(2) == "50.00");
}

TEST_CASE("billing.generate: dry run writes nothing; generating twice changes nothing") {
  Fixture f;
  f.Record("a", "2026-02-05T10:00:00Z", 300);
  auto dry = f.Generate("2026-02", true);
  REQUIRE(dry.ok());
  CHECK(dry->created == 0);
  CHECK(ListInvoices(f.db, {})->empty());
  auto first = f.Generate("2026-02");
  REQUIRE(first.ok());
  CHECK(first->created == 2);
  auto second = f.Generate("2026-02");
  CHECK(second->unchanged == 2);
  CHECK(InvoiceToJson(second->invoices[0]) == InvoiceToJson(dry->invoices[0]));
  CHECK(first->invoices[0].total.ToString(2) == "13.20");  // 10 + 200 x 0.01, plus 10 % tax
}

// generate --finalize over a draft that is already current writes only the
// lifecycle columns and attributes over it (FinalizeBuilt's `current`); the
// rows must end as those of the same invoice finalized with no draft stored:
// number, status, event high-water mark, the credits drawn and the amount
// due (attributes), the lines untouched.
TEST_CASE("billing.generate: finalizing a current draft stores what finalizing without a draft stores") {
  auto finalized = [](bool draft_first) {
    Fixture f;
    f.Record("a", "2026-02-05T10:00:00Z", 300);
    f.Grant("acme");
    if (draft_first) REQUIRE(f.Generate("2026-02").ok());
    auto r = f.Generate("2026-02", false, true);
    REQUIRE(r.ok());
    CHECK(r->finalized == 2);
    CHECK(r->unchanged == (draft_first ? 2 : 0));
    auto rec = store::InvoiceStore(f.db).Find("inv_acme_2026-02");
    REQUIRE(rec.ok());
    return *rec;
  };
  store::InvoiceRecord over_draft = finalized(true), fresh = finalized(false);
  CHECK(over_draft.number == "INV-2026-000001");
  CHECK(over_draft.status == "open");
  CHECK(over_draft.events_seq > 0);
  CHECK(over_draft.attributes.find("\"credits_applied\":\"5.00\"") != std::string::npos);
  CHECK(over_draft.lines.size() == 2);
  CHECK(over_draft == fresh);
}

// generate writes its invoices in transactions of batch_tenants tenants; the
// rows (numbers, event high-water marks, balances) are those of one
// transaction.
TEST_CASE("billing.generate: invoices written in batches of one tenant equal those written in one transaction") {
  auto rows = [](size_t batch) {
    Fixture f;
    f.Record("a", "2026-02-05T10:00:00Z", 300);
    f.Grant("idle");
    GenerateOptions o = AllTenants("2026-02", "2026-03-02T00:00:00Z", true);
    o.batch_tenants = batch;
    auto r = GenerateInvoices(f.db, f.c, o);
    REQUIRE(r.ok());
    CHECK(r->finalized == 2);
    auto stored = store::InvoiceStore(f.db).ForMonth("2026-02", "");
    REQUIRE(stored.ok());
    return *stored;
  };
  auto batched = rows(1), whole = rows(0);
  REQUIRE(batched.size() == 2);
  CHECK(batched[0].number == "INV-2026-000001");
  CHECK(batched[1].number == "INV-2026-000002");
  CHECK(batched[0].events_seq > 0);
  CHECK(batched[1].events_seq == batched[0].events_seq);
  CHECK(batched == whole);
}

// A tenant's ProgressSink::Update runs inside the transaction of its batch:
// a write there is one another command made between two batches.
struct WriteAfterFirst : ProgressSink {
  std::function<void()> write;
  void Begin(std::string_view, uint64_t, std::string_view) override {}
  void Update(uint64_t done) override {
    if (done == 1 && write) std::exchange(write, nullptr)();
  }
  void End() override {}
};

TEST_CASE("billing.generate: a batch whose invoices another command wrote meanwhile is refused; a rerun finishes") {
  Fixture f;
  f.Record("a", "2026-02-05T10:00:00Z", 300);
  REQUIRE(f.Generate("2026-02").ok());  // drafts for acme and idle
  WriteAfterFirst sink;
  sink.write = [&] { REQUIRE(DeleteDraft(f.db, "inv_idle_2026-02").ok()); };
  GenerateOptions o = AllTenants("2026-02", "2026-03-02T00:00:00Z", true);
  o.batch_tenants = 1;
  o.progress = &sink;
  auto r = GenerateInvoices(f.db, f.c, o);
  REQUIRE(!r.ok());
  CHECK(r.status().IsBusy());
  CHECK(r.status().message().find("idle") != std::string::npos);
  // acme's batch was committed; idle's refused before it wrote anything.
  CHECK(GetInvoice(f.db, "inv_acme_2026-02")->number == "INV-2026-000001");
  CHECK(GetInvoice(f.db, "inv_idle_2026-02").status().IsNotFound());
  o.progress = nullptr;
  auto again = GenerateInvoices(f.db, f.c, o);
  REQUIRE(again.ok());
  CHECK(again->kept == 1);
  CHECK(again->created == 1);
  auto idle = store::InvoiceStore(f.db).ForMonth("2026-02", "idle");
  REQUIRE(idle.ok());
  REQUIRE(idle->size() == 1);
  CHECK(idle->front().number == "INV-2026-000002");
}

TEST_CASE("billing.generate: previews of a suspended tenant without usage bill nothing") {
  Fixture f;
  REQUIRE(store::CatalogStore(f.db).SetStatus("idle", "suspended").ok());
  auto gen = f.Generate("2026-02");
  REQUIRE(gen.ok());
  REQUIRE(gen->invoices.size() == 1);
  CHECK(gen->invoices[0].tenant == "acme");
  auto preview = PreviewInvoice(f.db, f.c, "idle", "2026-02");
  REQUIRE(preview.ok());
  CHECK(preview->lines.empty());
  CHECK(preview->total.IsZero());
  auto current = PreviewCurrentPeriod(f.db, f.c, "acme", At("2026-03-10T00:00:00Z"));
  REQUIRE(current.ok());
  CHECK(current->period.month == "2026-03");
  CHECK(PreviewCurrentPeriod(f.db, f.c, "nobody", 0).status().IsNotFound());
}

TEST_CASE("billing.generate: late usage is measured against what was billed") {
  Fixture f;
  f.Record("a", "2026-02-05T10:00:00Z", 300);
  REQUIRE(f.Generate("2026-02", false, true).ok());
  f.Record("late", "2026-02-27T10:00:00Z", 50);
  Timestamp march = At("2026-03-01T00:00:00Z");
  auto all = LateUsageAdjustments(f.db, f.c, "acme", "USD", march);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].quantity == Dec("50"));
  CHECK((*all)[0].amount.ToString(2) == "0.50");
  const std::set<std::string> none;
  CHECK(LateUsageAdjustments(f.db, f.c, "acme", "USD", march, &none)->empty());
  auto late = store::InvoiceStore(f.db).WithLateEvents(march + 14 * kMillisPerHour);
  REQUIRE(late.ok());
  CHECK(late->at("acme") == std::set<std::string>{"inv_acme_2026-02"});
  // Not before February: nothing to adjust for invoices of later months.
  CHECK(LateUsageAdjustments(f.db, f.c, "acme", "USD", At("2026-02-01T00:00:00Z"))->empty());
  // Nor on an invoice in another currency (a move to a EUR plan): the USD
  // usage waits for an invoice in USD, never added to euros.
  CHECK(LateUsageAdjustments(f.db, f.c, "acme", "EUR", march)->empty());
}


// Issue 16 (perf): late adjustments of sliced lines re-measured the whole
// charge once per line and per tenant (181 s for 10 K tenants' next-month
// finalize); generate now measures every tenant's sliced lines in one pass.
// Pins that the batch gives, tenant by tenant, what each tenant measured
// alone gives, and what the late events add.
constexpr const char* kSlicedCatalog = R"({
  "currency": "USD", "invoice": {"net_days": 14},
  "meters": [{"key": "tokens", "event": "llm", "value": "properties.tokens"}, {"key": "api_calls"}],
  "plans": [
    {"key": "ai", "base_price": "10", "charges": [
      {"meter": "tokens", "unit_price": "0.01", "group_by": "properties.project", "filters": [
        {"name": "Opus", "where": {"properties.model": "opus"}, "unit_price": "0.1", "group_by": "properties.project"},
        {"name": "Mini", "where": {"properties.model": "mini"}}]},
      {"meter": "api_calls", "unit_price": "0.5"}]},
    {"key": "grouped", "base_price": "0", "charges": [
      {"meter": "tokens", "unit_price": "0.02", "group_by": "properties.model"}]}],
  "tenants": [{"id": "t0", "plan": "ai"}, {"id": "t1", "plan": "grouped"}, {"id": "t2", "plan": "ai"},
              {"id": "t3", "plan": "ai", "timezone": "Asia/Kolkata"}]})";

TEST_CASE("billing.generate: late adjustments measured in one batch equal each tenant's measured alone") {
  testing::TempDb t;
  catalog::Catalog c = testing::ApplyCatalog(*t.db, kSlicedCatalog, At("2026-01-01T00:00:00Z"));
  const char* models[] = {"opus", "mini", "llama"};
  const char* projects[] = {"a", "b", ""};
  int n = 0;
  auto use = [&](int tenant, const char* ts, int i) {
    Event e = testing::UsageAt("e" + std::to_string(++n), "t" + std::to_string(tenant), "llm", ts);
    std::string project = projects[i % 3][0] ? std::string(",\"project\":\"") + projects[i % 3] + "\"" : "";
    e.properties = "{\"tokens\":" + std::to_string(10 + i) + ",\"model\":\"" + models[(i + tenant) % 3] + "\"" +
                   project + "}";
    testing::Record(*t.db, c, e);
  };
  for (int tenant = 0; tenant < 4; ++tenant)
    for (int i = 0; i < 6; ++i) use(tenant, i % 2 ? "2026-02-10T10:00:00Z" : "2026-02-20T10:00:00Z", i);
  testing::Record(*t.db, c, testing::UsageAt("c1", "t0", "api_calls", "2026-02-10T10:00:00Z", 4));
  REQUIRE(GenerateInvoices(*t.db, c, AllTenants("2026-02", "2026-03-02T00:00:00Z", true)).ok());
  // Late February events for t0, t1 and t3 (t3's month ends at 18:30 UTC on
  // the 28th: its event at 20:00 is March usage), none for t2.
  use(0, "2026-02-27T10:00:00Z", 0);
  use(0, "2026-02-27T11:00:00Z", 4);
  testing::Record(*t.db, c, testing::UsageAt("c2", "t0", "api_calls", "2026-02-27T10:00:00Z", 2));
  use(1, "2026-02-27T10:00:00Z", 1);
  use(3, "2026-02-28T20:00:00Z", 2);
  use(3, "2026-02-28T10:00:00Z", 3);
  Timestamp march = At("2026-03-01T00:00:00Z");
  std::vector<LateRequest> requests;
  for (const auto& tenant : c.tenants) requests.push_back({tenant.id, "USD", march, nullptr});
  auto batch = LateUsageAdjustments(*t.db, c, requests);
  REQUIRE(batch.ok());
  REQUIRE(batch->size() == 4);
  std::vector<std::string> described(4);
  for (size_t i = 0; i < 4; ++i) {
    auto alone = LateUsageAdjustments(*t.db, c, requests[i].tenant, "USD", march);
    REQUIRE(alone.ok());
    REQUIRE((*batch)[i].ok());
    const auto& lines = *(*batch)[i];
    REQUIRE(lines.size() == alone->size());
    for (size_t k = 0; k < lines.size(); ++k) {
      CHECK(lines[k].description == (*alone)[k].description);
      CHECK(lines[k].quantity == (*alone)[k].quantity);
      CHECK(lines[k].amount == (*alone)[k].amount);
      CHECK(lines[k].adjusts->line == (*alone)[k].adjusts->line);
      if (!lines[k].quantity.IsZero())
        described[i] += (described[i].empty() ? "" : "; ") + lines[k].quantity.ToString() + " " +
                        lines[k].amount.ToString(2);
    }
  }
  // t0: Opus/a +10 tokens (0.1 each), Mini/b +14 (the charge's price and
  // group_by, inherited), api_calls +2; t1: llama +11; t2: nothing; t3:
  // Opus/a +13 (its other event is after its month's end in Kolkata).
  CHECK(described[0] == "10 1.00; 14 0.14; 2 1.00");
  CHECK(described[1] == "11 0.22");
  CHECK(described[2] == "");
  CHECK(described[3] == "13 1.30");
  // Generate uses the batch: March's drafts carry the same lines.
  auto mar = GenerateInvoices(*t.db, c, AllTenants("2026-03", "2026-04-02T00:00:00Z", false, true));
  REQUIRE(mar.ok());
  for (size_t i = 0; i < 4; ++i) {
    size_t adjustments = 0;
    for (const auto& l : mar->invoices[i].lines) adjustments += l.kind == LineKind::kAdjustment;
    CHECK(adjustments == (*batch)[i]->size());
  }
}


// Issue 16: a late event in a slice the finalized invoice has no line for (a
// group or filter that took no events then) was never billed. It is billed
// as an adjustment of that slice (AdjustmentRef::line -1), once: the next
// adjustment starts from what the first billed.
TEST_CASE("billing.generate: late events in a slice the invoice did not bill are adjusted once") {
  testing::TempDb t;
  catalog::Catalog c = testing::ApplyCatalog(*t.db, kSlicedCatalog, At("2026-01-01T00:00:00Z"));
  auto use = [&](const char* id, const char* ts, const char* model, int tokens) {
    Event e = testing::UsageAt(id, "t1", "llm", ts);
    e.properties = fmt::format(R"({{"tokens":{},"model":"{}"}})", tokens, model);
    testing::Record(*t.db, c, e);
  };
  use("f1", "2026-02-10T10:00:00Z", "opus", 100);
  REQUIRE(GenerateInvoices(*t.db, c, AllTenants("2026-02", "2026-03-02T00:00:00Z", true)).ok());
  use("late1", "2026-02-20T10:00:00Z", "mini", 50);
  use("late2", "2026-02-21T10:00:00Z", "opus", 5);
  Timestamp march = At("2026-03-01T00:00:00Z");
  auto alone = LateUsageAdjustments(*t.db, c, "t1", "USD", march);
  REQUIRE(alone.ok());
  REQUIRE(alone->size() == 2);
  CHECK((*alone)[0].group == "opus");  // the line February has, first
  CHECK((*alone)[0].adjusts->line >= 0);
  const InvoiceLine& mini = (*alone)[1];
  CHECK(mini.group == "mini");
  CHECK(mini.adjusts->line == -1);
  CHECK(mini.quantity == Dec("50"));
  CHECK(mini.amount.ToString(2) == "1.00");
  CHECK(mini.description == "Late usage adjustment for 2026-02: tokens · model=mini +50");
  auto batch = LateUsageAdjustments(*t.db, c, {LateRequest{"t0", "USD", march, nullptr}, LateRequest{"t1", "USD", march, nullptr}});
  REQUIRE(batch.ok());
  REQUIRE((*batch)[1].ok());
  REQUIRE((*batch)[1]->size() == 2);
  CHECK((*(*batch)[1])[1].description == mini.description);
  CHECK((*(*batch)[1])[1].amount == mini.amount);
  // March bills it and is finalized; a later event of the same slice is
  // adjusted from 50, not from 0.
  REQUIRE(GenerateInvoices(*t.db, c, AllTenants("2026-03", "2026-04-02T00:00:00Z", true)).ok());
  use("late3", "2026-02-22T10:00:00Z", "mini", 25);
  auto april = LateUsageAdjustments(*t.db, c, "t1", "USD", At("2026-04-01T00:00:00Z"));
  REQUIRE(april.ok());
  REQUIRE(april->size() == 1);
  CHECK((*april)[0].group == "mini");
  CHECK((*april)[0].adjusts->quantity_before == Dec("50"));
  CHECK((*april)[0].quantity == Dec("25"));
  CHECK((*april)[0].amount.ToString(2) == "0.50");
}

}  // namespace
}  // namespace meter::billing
