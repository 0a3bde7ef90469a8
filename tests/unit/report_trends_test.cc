// report trends (report/trends.h): month by month quantities, what each month
// bills (the finalized invoice where there is one, else the preview) and the
// change from the month before, figures computed by hand.
#include <doctest/doctest.h>

#include "billing/generate.h"
#include "report/trends.h"
#include "support/usage_events.h"
#include "usage/events.h"

namespace meter::report {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "api_calls"}, {"key": "peak", "aggregation": "max"}],
  "plans": [{"key": "pro", "base_price": "20",
             "charges": [{"meter": "api_calls", "included": 100, "unit_price": "0.01"}]}],
  "tenants": [{"id": "acme", "plan": "pro"}, {"id": "beta", "plan": "pro"}]})";

std::string Quantities(const TrendRow& r) {
  std::string out;
  for (const auto& [meter, q] : r.quantity_by_meter) out += (out.empty() ? "" : " ") + meter + "=" + q.ToString();
  return out;
}

TEST_CASE("report.trends: quantities, billed and change month by month; a finalized month keeps its total") {
  testing::UsageDb f(kCatalog);
  f.Use("api_calls", "2026-01-10T10:00:00Z", 300);  // e1
  f.Use("peak", "2026-01-11T10:00:00Z", 4);
  f.Use("api_calls", "2026-02-05T10:00:00Z", 150);
  TrendsQuery q{"acme", 3, At("2026-02-11T00:00:00Z")};
  auto rows = BuildTrends(f.db, f.c, q);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 3);
  CHECK((*rows)[0].month == "2025-12");
  CHECK(Quantities((*rows)[0]) == "api_calls=0 peak=0");
  CHECK((*rows)[0].billed == Dec("20"));  // the base price
  CHECK((*rows)[0].change == Dec("0"));   // November billed 20 too
  CHECK((*rows)[1].month == "2026-01");
  CHECK(Quantities((*rows)[1]) == "api_calls=300 peak=4");
  CHECK((*rows)[1].billed == Dec("22"));  // 20 + (300 - 100) * 0.01
  CHECK((*rows)[1].change == Dec("2"));
  CHECK((*rows)[2].month == "2026-02");
  CHECK((*rows)[2].billed == Dec("20.5"));  // 20 + 50 * 0.01
  CHECK((*rows)[2].change == Dec("-1.5"));
  CHECK((*rows)[2].currency == "USD");

  // January finalized, then its event voided: January still shows what was
  // billed; February carries the credit for it (-2.00).
  REQUIRE(billing::GenerateInvoices(f.db, f.c,
      {.month = "2026-01", .tenant = "acme", .finalize = true, .now = At("2026-02-02T00:00:00Z")}).ok());
  auto voided = usage::VoidEvents(f.db, f.c, {"e1"}, "test", [] { return At("2026-02-03T00:00:00Z"); });
  REQUIRE(voided.ok());
  REQUIRE(voided->voided.size() == 1);
  rows = BuildTrends(f.db, f.c, q);
  REQUIRE(rows.ok());
  CHECK(Quantities((*rows)[1]) == "api_calls=0 peak=4");
  CHECK((*rows)[1].billed == Dec("22"));
  CHECK((*rows)[2].billed == Dec("18.5"));
  CHECK((*rows)[2].change == Dec("-3.5"));
}

TEST_CASE("report.trends: every tenant in catalog order; bad month counts and tenants refused") {
  testing::UsageDb f(kCatalog);
  auto rows = BuildTrends(f.db, f.c, {"", 1, At("2026-02-11T00:00:00Z")});
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].tenant == "acme");
  CHECK((*rows)[1].tenant == "beta");
  CHECK((*rows)[1].month == "2026-02");
  CHECK(BuildTrends(f.db, f.c, {"", 0, 0}).status().code() == Status::Code::kInvalidArgument);
  CHECK(BuildTrends(f.db, f.c, {"", 121, 0}).status().code() == Status::Code::kInvalidArgument);
  CHECK(BuildTrends(f.db, f.c, {"nobody", 3, 0}).status().IsNotFound());
}

}  // namespace
}  // namespace meter::report
