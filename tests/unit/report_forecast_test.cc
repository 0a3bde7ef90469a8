// report forecast (report/forecast.h): usage so far, the linear projection of
// flow meters and the flat one of level meters, the limit crossing (month and
// day limits) and the projected cost, each figure computed by hand.
#include <doctest/doctest.h>

#include "report/forecast.h"
#include "support/usage_events.h"

namespace meter::report {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "api_calls"}, {"key": "peak", "aggregation": "max"}, {"key": "sends"}, {"key": "other"}],
  "plans": [{"key": "pro", "base_price": "20",
             "charges": [{"meter": "api_calls", "included": 100, "unit_price": "0.01"}],
             "limits": [{"meter": "api_calls", "limit": 500, "period": "month"},
                        {"meter": "sends", "limit": 100, "period": "day"}]}],
  "tenants": [{"id": "acme", "plan": "pro"}, {"id": "tokyo", "plan": "pro", "timezone": "Asia/Tokyo"}]})";

const ForecastRow* RowOf(const Forecast& f, const char* tenant, const char* meter) {
  for (const auto& r : f.rows)
    if (r.tenant == tenant && r.meter == meter) return &r;
  return nullptr;
}

TEST_CASE("report.forecast: ten days of February projected to twenty-eight, priced, crossing the limit") {
  testing::UsageDb f(kCatalog);
  f.Use("api_calls", "2026-02-02T10:00:00Z", 200);
  f.Use("api_calls", "2026-02-05T10:00:00Z", 100);
  f.Use("api_calls", "2026-02-11T05:00:00Z", 1000);  // after now: not used so far
  f.Use("peak", "2026-02-03T10:00:00Z", 5);
  f.Use("peak", "2026-02-04T10:00:00Z", 9);
  f.Use("peak", "2026-02-06T10:00:00Z", 7);
  auto fc = BuildForecast(f.db, f.c, "acme", At("2026-02-11T00:00:00.700Z"));
  REQUIRE(fc.ok());
  CHECK(fc->as_of == At("2026-02-11T00:00:00Z"));  // to the whole second
  CHECK(fc->period == Period{At("2026-02-01T00:00:00Z"), At("2026-03-01T00:00:00Z")});
  // api_calls (charged, limited), peak (used), sends (limited); `other` is
  // neither in the plan nor used.
  REQUIRE(fc->rows.size() == 3);
  CHECK(RowOf(*fc, "acme", "other") == nullptr);

  const ForecastRow* calls = RowOf(*fc, "acme", "api_calls");
  REQUIRE(calls);
  CHECK(calls->used == Dec("300"));
  CHECK(calls->days_elapsed == Dec("10"));
  CHECK(calls->days_left == Dec("18"));
  CHECK(calls->daily_average == Dec("30"));
  CHECK(calls->projected == Dec("840"));             // 300 / 10 * 28
  CHECK(calls->projected_cost == Dec("7.4"));        // (840 - 100) * 0.01
  CHECK(calls->limit == Dec("500"));
  CHECK(calls->limit_period == "month");
  // 500 reached after 500 / 30 days = 16 days 16 hours.
  CHECK(calls->projected_cross_at == At("2026-02-17T16:00:00Z"));

  const ForecastRow* peak = RowOf(*fc, "acme", "peak");
  REQUIRE(peak);
  CHECK(peak->used == Dec("9"));
  CHECK(peak->projected == Dec("9"));  // a level is projected flat
  CHECK(peak->projected_cost == Dec("0"));
  CHECK(!peak->limit);
  CHECK(!peak->projected_cross_at);
}

TEST_CASE("report.forecast: a day limit is crossed when today's rate passes it before midnight") {
  testing::UsageDb f(kCatalog);
  f.Use("sends", "2026-02-02T10:00:00Z", 50);
  f.Use("sends", "2026-02-11T01:00:00Z", 30);
  auto fc = BuildForecast(f.db, f.c, "acme", At("2026-02-11T06:00:00Z"));
  REQUIRE(fc.ok());
  const ForecastRow* sends = RowOf(*fc, "acme", "sends");
  REQUIRE(sends);
  CHECK(sends->used == Dec("80"));
  CHECK(sends->limit_period == "day");
  // 30 in the 6 hours of today: 100 after 20 hours.
  CHECK(sends->projected_cross_at == At("2026-02-11T20:00:00Z"));
  // 70 in 6 hours: 100 after 6 * 100 / 70 hours = 8 h 34 min 17.143 s, to the second up.
  f.Use("sends", "2026-02-11T02:00:00Z", 40);
  fc = BuildForecast(f.db, f.c, "acme", At("2026-02-11T06:00:00Z"));
  REQUIRE(fc.ok());
  CHECK(RowOf(*fc, "acme", "sends")->projected_cross_at == At("2026-02-11T08:34:18Z"));
}

TEST_CASE("report.forecast: each tenant's month is its own zone's; unknown tenants are refused") {
  testing::UsageDb f(kCatalog);
  auto fc = BuildForecast(f.db, f.c, "tokyo", At("2026-02-11T00:00:00Z"));
  REQUIRE(fc.ok());
  CHECK(fc->period == Period{At("2026-01-31T15:00:00Z"), At("2026-02-28T15:00:00Z")});
  const ForecastRow* calls = RowOf(*fc, "tokyo", "api_calls");
  REQUIRE(calls);
  CHECK(calls->days_elapsed == Dec("10.375"));  // 10 days 9 hours
  CHECK(calls->used == Dec("0"));
  CHECK(calls->projected_cost == Dec("0"));
  auto all = BuildForecast(f.db, f.c, "", At("2026-02-11T00:00:00Z"));
  REQUIRE(all.ok());
  CHECK(all->period == Period{At("2026-02-01T00:00:00Z"), At("2026-03-01T00:00:00Z")});  // UTC for all
  auto unknown = BuildForecast(f.db, f.c, "nobody", At("2026-02-11T00:00:00Z"));
  CHECK(unknown.status().IsNotFound());
}

}  // namespace
}  // namespace meter::report
