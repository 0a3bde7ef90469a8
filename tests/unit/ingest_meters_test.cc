// MeterEvaluator (ingest/meters.h): which meters an event feeds, with what
// value, and the values it refuses; MeterValue and Combine: a meter's total
// is exact however large, and what a stored counter holds (int64 millionths)
// is checked, never wrapped.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "ingest/meters.h"
#include "support/ingest_catalog.h"

namespace meter::ingest {
namespace {

using testing::MakeEvent;
using testing::TestCatalog;

std::string Contributions(const Event& e) {
  static MeterEvaluator eval(TestCatalog());
  std::vector<Contribution> out;
  Status st = eval.Evaluate(e, &out);
  if (!st.ok()) return "error: " + st.message();
  std::string s;
  for (const Contribution& c : out)
    s += c.meter->key + "=" + (c.unique.empty() ? std::to_string(c.micros) : c.unique) + " ";
  return s;
}

TEST_CASE("ingest.meters_contributions") {
  Event api = MakeEvent("1", "acme", "api_calls", 0, 2500000);
  api.user = "u1";
  CHECK(Contributions(api) == "api_calls=2500000 users=u1 ");
  api.latency_ms = 500;
  CHECK(Contributions(api) == "api_calls=2500000 users=u1 slow=1000000 ");
  api.user = "";  // no value: no contribution to the unique_count meter
  CHECK(Contributions(api) == "api_calls=2500000 slow=1000000 ");

  Event ai = MakeEvent("2", "acme", "ai", 0, 3000000);
  CHECK(Contributions(ai) == "requests=1000000 ");  // count ignores the quantity
  ai.operation = "email";
  CHECK(Contributions(ai) == "requests=1000000 emails=1000000 ");

  Event llm = MakeEvent("3", "acme", "llm", 0);
  CHECK(Contributions(llm) == "");  // no properties: no value for any llm meter
  llm.properties = R"({"tokens":150,"model":"gpt-4","usage":{"total":"7.5"}})";
  CHECK(Contributions(llm) == "gpt4_tokens=150000000 tokens=150000000 deep=7500000 ");
  llm.properties = R"({"tokens":"12","model":"claude"})";
  CHECK(Contributions(llm) == "tokens=12000000 ");
  llm.properties = R"({"tokens":null})";
  CHECK(Contributions(llm) == "");

  CHECK(Contributions(MakeEvent("4", "acme", "unknown", 0)) == "");
}

TEST_CASE("ingest.meters_refuse_unusable_values") {
  Event llm = MakeEvent("3", "acme", "llm", 0);
  llm.properties = R"({"tokens":"abc"})";
  CHECK(Contributions(llm) == "error: properties.tokens 'abc' is not a number (read by meter 'tokens')");
  llm.properties = R"({"tokens":-4})";
  CHECK(Contributions(llm) == "error: properties.tokens must be non-negative (read by meter 'tokens')");
  llm.properties = R"({"tokens":[1]})";
  CHECK(Contributions(llm) == "error: properties.tokens must be a number (read by meter 'tokens')");
  llm.properties = R"({"tokens":true})";
  CHECK(Contributions(llm) == "error: properties.tokens must be a number (read by meter 'tokens')");
  llm.properties = R"({"tokens":1.0000001})";
  CHECK(Contributions(llm) ==
        "error: properties.tokens '1.0000001' has more than 6 decimal places (read by meter 'tokens')");
}

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

// tkt: ten events of 2,000,000,000,000.5 units each summed to a month bucket
// that wrapped to 1,553,255,926,295.448384 in `aggregate`, and `aggregate
// --verify` wrapped the same way and reported no drift.
TEST_CASE("ingest.meter_value_total_past_int64_is_exact_and_refused_as_a_counter") {
  MeterValue v(catalog::Aggregation::kSum);
  for (int i = 0; i < 10; ++i) v.AddPartial(2000000000000500000, 1, 0);
  CHECK(v.value().ToString() == "20000000000005");
  CHECK(v.events() == 10);
  auto micros = v.micros();
  REQUIRE(!micros.ok());
  CHECK(micros.status().message().find("20000000000005 units") != std::string::npos);

  MeterValue fits(catalog::Aggregation::kSum);
  fits.AddPartial(kMax - 1, 1, 0);
  fits.AddPartial(1, 1, 0);
  CHECK(*fits.micros() == kMax);
  MeterValue merged(catalog::Aggregation::kSum);
  merged.Merge(v);
  merged.Merge(fits);
  CHECK(merged.value().ToString() == "29223372036859.775807");
}

TEST_CASE("ingest.combine_refuses_a_sum_its_type_cannot_hold_and_keeps_the_old_value") {
  int64_t value = kMax - 5;
  Timestamp latest = 0;
  CHECK(Combine<int64_t>(catalog::Aggregation::kSum, 5, 0, false, &value, &latest));
  CHECK(value == kMax);
  CHECK(!Combine<int64_t>(catalog::Aggregation::kSum, 1, 0, false, &value, &latest));
  CHECK(value == kMax);
  CHECK(!Combine<int64_t>(catalog::Aggregation::kCount, kMax, 0, false, &value, &latest));
  // max and latest never add
  CHECK(Combine<int64_t>(catalog::Aggregation::kMax, kMax, 0, false, &value, &latest));
  CHECK(Combine<int64_t>(catalog::Aggregation::kLatest, 7, 10, false, &value, &latest));
  CHECK(value == 7);
  __int128 wide = kMax;
  CHECK(Combine<__int128>(catalog::Aggregation::kSum, kMax, 0, false, &wide, &latest));
  CHECK(wide == static_cast<__int128>(kMax) * 2);
}

}  // namespace
}  // namespace meter::ingest
