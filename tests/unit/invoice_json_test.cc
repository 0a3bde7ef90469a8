// The invoice as SPEC section 7's JSON (billing/invoice.h InvoiceToJson),
// rendered from a draft built from stored usage: money in the currency's
// minor unit, prices with their own places, the tax rate with at least two,
// nulls for what a draft has not got yet, quantities as exact numbers.
#include <doctest/doctest.h>

#include "billing/generate.h"
#include "billing/invoice.h"
#include "core/json_util.h"
#include "support/usage_events.h"

namespace meter::billing {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "currency": "JPY", "tax": {"name": "JCT", "rate": "0.075"},
  "meters": [{"key": "api_calls", "name": "API calls"}],
  "plans": [{"key": "std", "name": "Standard", "base_price": "1000",
             "charges": [{"meter": "api_calls", "unit_price": "0.5"}]}],
  "tenants": [{"id": "acme", "name": "Acme", "plan": "std"}]})";

TEST_CASE("invoice_json: a JPY draft with an exact quantity, a three-place tax rate and nulls") {
  testing::UsageDb f(kCatalog, At("2026-01-01T00:00:00Z"));
  Event e = testing::UsageAt("e1", "acme", "api_calls", "2026-02-03T10:00:00Z");
  e.quantity_micros = 3000001;  // 3.000001 calls
  testing::Record(f.db, f.c, e);
  auto inv = PreviewInvoice(f.db, f.c, "acme", "2026-02");
  REQUIRE_MESSAGE(inv.ok(), inv.status().message());
  nlohmann::json j = InvoiceToJson(*inv);
  CHECK(j["id"] == "inv_acme_2026-02");
  CHECK(j["number"].is_null());
  CHECK(j["status"] == "draft");
  CHECK(j["tenant"] == "acme");
  CHECK(j["tenant_name"] == "Acme");
  CHECK(j["period"] == "2026-02");
  CHECK(j["timezone"] == "UTC");
  CHECK(j["period_start"] == "2026-02-01T00:00:00Z");
  CHECK(j["period_end"] == "2026-03-01T00:00:00Z");
  CHECK(j["currency"] == "JPY");
  CHECK(j["issue_date"] == "2026-03-01");
  // Base 1000, usage 3.000001 × 0.5 = 1.5000005 -> 2 yen; tax 1002 × 0.075
  // = 75.15 -> 75 yen; total 1077 yen.
  CHECK(j["subtotal"] == "1002");
  CHECK(j["tax_name"] == "JCT");
  CHECK(j["tax_rate"] == "0.075");
  CHECK(j["tax"] == "75");
  CHECK(j["total"] == "1077");
  for (const char* key : {"finalized_at", "paid_at", "voided_at", "void_reason"}) {
    CAPTURE(key);
    CHECK(j[key].is_null());
  }
  REQUIRE(j["lines"].size() == 2);
  const nlohmann::json& base = j["lines"][0];
  CHECK(base["kind"] == "base");
  CHECK(base["meter"].is_null());
  CHECK(base["amount"] == "1000");
  const nlohmann::json& usage = j["lines"][1];
  CHECK(usage["meter"] == "api_calls");
  CHECK(usage["plan"] == "std");
  CHECK(DumpJson(usage["quantity"]) == "3.000001");  // a JSON number, exact
  CHECK(usage["unit_price"] == "0.5");                // its own places (JPY has none)
  CHECK(usage["amount"] == "2");
  CHECK(usage["filter"].is_null());
  CHECK(usage["group"].is_null());
}

}  // namespace
}  // namespace meter::billing
