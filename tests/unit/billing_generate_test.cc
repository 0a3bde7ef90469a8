// The database layer of billing: reading inputs, generating, previews, late
// usage and the lifecycle, on a real SQLite file.
#include <doctest/doctest.h>

#include "billing/generate.h"
#include "billing/lifecycle.h"
#include "ingest/recorder.h"
#include "store/catalog_store.h"
#include "support/temp_db.h"

namespace meter::billing {
namespace {

Timestamp At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

constexpr const char* kCatalog = R"({
  "currency": "USD", "tax": {"rate": "0.10"}, "invoice": {"net_days": 14},
  "meters": [{"key": "api_calls"}],
  "plans": [
    {"key": "basic", "base_price": "10", "charges": [{"meter": "api_calls", "included": 100, "unit_price": "0.01"}]},
    {"key": "pro", "base_price": "50", "charges": [{"meter": "api_calls", "included": 1000, "unit_price": "0.005"}]}],
  "tenants": [{"id": "acme", "plan": "basic"}, {"id": "idle", "plan": "pro"}]})";

// A database with the catalog applied and acme's usage recorded.
struct Fixture {
  testing::TempDb t;
  store::Database& db = *t.db;
  catalog::Catalog c;

  Fixture() {
    auto parsed = catalog::ParseCatalog(kCatalog);
    REQUIRE(parsed.ok());
    REQUIRE(store::CatalogStore(db).Apply(*parsed, At("2026-01-01T00:00:00Z"), [] { return Result<std::string>("s"); }).ok());
    Reload();
  }
  void Reload() { c = *store::CatalogStore(db).Load(At("2026-03-01T00:00:00Z")); }
  void Record(const char* id, const char* ts, int64_t units) {
    REQUIRE(db.Transaction([&]() -> Status {
      ingest::EventRecorder rec(db, c);
      Event e;
      e.id = id;
      e.tenant = "acme";
      e.metric = "api_calls";
      e.timestamp = At(ts);
      e.quantity_micros = units * 1000000;
      METER_RETURN_IF_ERROR(rec.Record(e).status());
      return rec.Flush();
    }).ok());
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
  auto all = LateUsageAdjustments(f.db, f.c, "acme", march);
  REQUIRE(all.ok());
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].quantity == Dec("50"));
  CHECK((*all)[0].amount.ToString(2) == "0.50");
  const std::set<std::string> none;
  CHECK(LateUsageAdjustments(f.db, f.c, "acme", march, &none)->empty());
  auto late = store::InvoiceStore(f.db).WithLateEvents(march + 14 * kMillisPerHour);
  REQUIRE(late.ok());
  CHECK(late->at("acme") == std::set<std::string>{"inv_acme_2026-02"});
  // Not before February: nothing to adjust for invoices of later months.
  CHECK(LateUsageAdjustments(f.db, f.c, "acme", At("2026-02-01T00:00:00Z"))->empty());
}

}  // namespace
}  // namespace meter::billing
