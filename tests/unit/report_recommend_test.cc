// report recommend (report/recommend.h): over the three full months before
// now, the cheapest plan that holds the usage, when it bills strictly less
// than the current plan; savings computed by hand.
#include <doctest/doctest.h>

#include "report/recommend.h"
#include "support/usage_events.h"

namespace meter::report {
namespace {

using testing::At;

// free: nothing included, limited to 1000 a month; basic and pro include usage.
constexpr const char* kCatalog = R"({
  "meters": [{"key": "api_calls"}],
  "plans": [
    {"key": "free", "base_price": "0", "charges": [{"meter": "api_calls", "unit_price": "0.01"}],
     "limits": [{"meter": "api_calls", "limit": 1000, "period": "month"}]},
    {"key": "basic", "base_price": "10", "charges": [{"meter": "api_calls", "included": 1000, "unit_price": "0.005"}]},
    {"key": "pro", "base_price": "50", "charges": [{"meter": "api_calls", "included": 10000, "unit_price": "0.005"}]}],
  "tenants": [{"id": "small", "plan": "pro"}, {"id": "grown", "plan": "free"}, {"id": "fits", "plan": "basic"},
              {"id": "huge", "plan": "free", "overrides": {"limits": {"api_calls": 100000}}}]})";

TEST_CASE("report.recommend: the cheapest plan that holds three months of usage") {
  testing::UsageDb f(kCatalog);
  for (const char* month : {"2025-11-15T10:00:00Z", "2025-12-15T10:00:00Z", "2026-01-15T10:00:00Z"}) {
    f.Use("api_calls", month, 500, {.tenant = "small"});
    f.Use("api_calls", month, 1500, {.tenant = "grown"});
    f.Use("api_calls", month, 1000, {.tenant = "fits"});
  }
  f.Use("api_calls", "2026-02-05T10:00:00Z", 1000000, {.tenant = "small"});  // this month: not judged
  auto recs = BuildRecommendations(f.db, f.c, "", At("2026-02-11T00:00:00Z"));
  REQUIRE_MESSAGE(recs.ok(), recs.status().message());
  REQUIRE(recs->size() == 2);  // in the stored catalog's tenant order (by id)
  // small: pro 3 * 50 = 150; free 3 * 500 * 0.01 = 15 (500 <= 1000 holds).
  const Recommendation& small = (*recs)[1];
  CHECK(small.tenant == "small");
  CHECK(small.current_plan == "pro");
  CHECK(small.recommended_plan == "free");
  CHECK(small.kind == "downgrade");
  CHECK(small.current_cost == Dec("150"));
  CHECK(small.recommended_cost == Dec("15"));
  CHECK(small.saving == Dec("135"));
  CHECK(small.currency == "USD");
  CHECK(!small.reason.empty());
  // grown: free bills 3 * 15 = 45 but its limit does not hold 1500; basic
  // 3 * (10 + 500 * 0.005) = 37.5 does.
  const Recommendation& grown = (*recs)[0];
  CHECK(grown.tenant == "grown");
  CHECK(grown.recommended_plan == "basic");
  CHECK(grown.kind == "upgrade");
  CHECK(grown.current_cost == Dec("45"));
  CHECK(grown.recommended_cost == Dec("37.5"));
  CHECK(grown.saving == Dec("7.5"));
  // fits: basic 30 against free 30: not strictly cheaper, and 1000 == the
  // limit holds; no row. huge: no usage, free is already the cheapest.
}

TEST_CASE("report.recommend: one tenant alone; an unknown one is refused") {
  testing::UsageDb f(kCatalog);
  auto none = BuildRecommendations(f.db, f.c, "huge", At("2026-02-11T00:00:00Z"));
  REQUIRE(none.ok());
  CHECK(none->empty());
  CHECK(BuildRecommendations(f.db, f.c, "nobody", At("2026-02-11T00:00:00Z")).status().IsNotFound());
}

}  // namespace
}  // namespace meter::report
