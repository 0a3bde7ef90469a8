// report simulate (report/simulate.h): a month re-priced under a candidate
// catalog, a changed or new meter read from the raw events, percentages to
// two places, totals per currency; nothing written. Figures by hand.
#include <doctest/doctest.h>

#include "report/simulate.h"
#include "support/usage_events.h"

namespace meter::report {
namespace {

constexpr const char* kStored = R"({
  "meters": [{"key": "api_calls"}],
  "plans": [{"key": "pro", "base_price": "20", "charges": [{"meter": "api_calls", "included": 100, "unit_price": "0.01"}]}],
  "tenants": [{"id": "acme", "plan": "pro"}, {"id": "beta", "plan": "pro"}]})";

constexpr const char* kCandidate = R"({
  "meters": [{"key": "api_calls"}, {"key": "tokens", "event": "api_calls", "value": "properties.tokens"}],
  "plans": [{"key": "pro", "base_price": "20", "charges": [{"meter": "api_calls", "included": 100, "unit_price": "0.02"},
                                                          {"meter": "tokens", "unit_price": "0.001"}]}]})";

catalog::Catalog Parse(const char* json) {
  auto c = catalog::ParseCatalog(json);
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  return *c;
}

TEST_CASE("report.simulate: a month under a candidate catalog, with a meter read from raw events") {
  testing::UsageDb f(kStored);
  f.Use("api_calls", "2026-01-10T10:00:00Z", 300, {.properties = R"({"tokens": 1000})"});
  f.Use("api_calls", "2026-01-12T10:00:00Z", 1, {.properties = R"({"tokens": "many"})"});  // tokens unreadable
  f.Use("api_calls", "2026-02-01T00:00:00Z", 500, {.properties = R"({"tokens": 9})"});      // February
  auto s = Simulate(f.db, f.c, Parse(kCandidate), "2026-01");
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  CHECK(s->period == "2026-01");
  CHECK(s->raw_meters == std::vector<std::string>{"tokens"});
  CHECK(s->events_skipped == 1);
  REQUIRE(s->rows.size() == 2);
  const SimulationRow& acme = s->rows[0];
  CHECK(acme.tenant == "acme");
  CHECK(acme.current_total == Dec("22.01"));    // 20 + 201 * 0.01
  CHECK(acme.simulated_total == Dec("25.02"));  // 20 + 201 * 0.02 + 1000 * 0.001
  CHECK(acme.difference == Dec("3.01"));
  CHECK(acme.percent == Dec("13.68"));  // 3.01 / 22.01 = 0.136756...
  const SimulationRow& beta = s->rows[1];
  CHECK(beta.current_total == Dec("20"));
  CHECK(beta.difference == Dec("0"));
  CHECK(beta.percent == Dec("0"));
  REQUIRE(s->totals.size() == 1);
  CHECK(s->totals[0].currency == "USD");
  CHECK(s->totals[0].current_total == Dec("42.01"));
  CHECK(s->totals[0].simulated_total == Dec("45.02"));
  CHECK(s->totals[0].difference == Dec("3.01"));
}

TEST_CASE("report.simulate: a candidate without a tenant's plan, or in another currency, is refused") {
  testing::UsageDb f(kStored);
  auto missing = Simulate(f.db, f.c, Parse(R"({"meters": [{"key": "api_calls"}],
                                               "plans": [{"key": "other", "base_price": "1"}]})"), "2026-01");
  REQUIRE(!missing.ok());
  CHECK(missing.status().code() == Status::Code::kDataError);
  CHECK(missing.status().message().find("pro") != std::string::npos);
  auto euro = Simulate(f.db, f.c, Parse(R"({"currency": "EUR", "meters": [{"key": "api_calls"}],
                                            "plans": [{"key": "pro", "base_price": "20"}]})"), "2026-01");
  CHECK(euro.status().code() == Status::Code::kInvalidArgument);
  CHECK(Simulate(f.db, f.c, f.c, "2026-1").status().code() == Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace meter::report
