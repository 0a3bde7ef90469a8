// `meter db check`'s billing half (billing/check.h): consistent invoices give
// no problem; a stored total that its lines do not give is named. (A ledger
// that disagrees with its grant: billing_credits_test, CheckLedgers.)
#include <doctest/doctest.h>

#include "billing/check.h"
#include "billing/generate.h"
#include "store/invoice_store.h"
#include "support/usage_events.h"

namespace meter::billing {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "tax": {"rate": "0.10"},
  "meters": [{"key": "api_calls"}],
  "plans": [{"key": "basic", "base_price": "10", "charges": [{"meter": "api_calls", "unit_price": "0.01"}]}],
  "tenants": [{"id": "acme", "plan": "basic"}, {"id": "beta", "plan": "basic"}]})";

TEST_CASE("billing.check: consistent invoices pass; a total its lines do not give is named") {
  testing::UsageDb f(kCatalog, At("2026-01-01T00:00:00Z"));
  f.Use("api_calls", "2026-02-03T10:00:00Z", 250);
  REQUIRE(GenerateInvoices(f.db, f.c, {.month = "2026-02", .tenant = "", .finalize = true,
                                       .now = At("2026-03-02T00:00:00Z")}).ok());
  auto clean = CheckBilling(f.db);
  REQUIRE(clean.ok());
  CHECK(clean->invoices == 2);
  CHECK(clean->problems.empty());
  // acme: 10 + 2.50 = 12.50, tax 1.25, total 13.75. Store 14.75 instead.
  auto records = store::InvoiceStore(f.db).List({});
  REQUIRE(records.ok());
  store::InvoiceRecord acme;
  for (const auto& r : *records)
    if (r.tenant == "acme") acme = r;
  REQUIRE(acme.total == "13.75");
  acme.total = "14.75";
  REQUIRE(f.db.Transaction([&] { return store::InvoiceStore(f.db).Update(acme); }).ok());
  auto report = CheckBilling(f.db);
  REQUIRE(report.ok());
  REQUIRE(report->problems.size() == 1);
  CHECK(report->problems[0].area == "invoice");
  CHECK(report->problems[0].subject == acme.number);
  CHECK(report->problems[0].message == "total 14.75 but its lines give 13.75");
}

}  // namespace
}  // namespace meter::billing
