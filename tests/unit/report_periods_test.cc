#include <doctest/doctest.h>

#include "core/time.h"
#include "report/analytics.h"
#include "report/periods.h"

using namespace meter;
using namespace meter::report;

namespace {
Timestamp T(const char* s) { return *ParseRfc3339(s); }
}  // namespace

TEST_CASE("report.period_flag_valid") {
  Timestamp now = T("2026-02-20T12:00:00Z");
  struct { const char* text; const char* tz; const char* start; const char* end; } cases[] = {
      {"", "", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"},
      {"2026-01", "", "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z"},
      {"2026-02", "Europe/Berlin", "2026-01-31T23:00:00Z", "2026-02-28T23:00:00Z"},
      {"2026-02-04", "Europe/Berlin", "2026-02-04T00:00:00Z", "2026-02-05T00:00:00Z"},
  };
  for (const auto& c : cases) {
    auto p = ParseReportPeriod(c.text, c.tz, now);
    REQUIRE_MESSAGE(p.ok(), c.text);
    CHECK(FormatRfc3339(p->start) == c.start);
    CHECK(FormatRfc3339(p->end) == c.end);
  }
}

TEST_CASE("report.period_flag_invalid") {
  for (const char* bad : {"2026-13", "2026-02-30", "soon", "2026", "2026-02-04T10:00:00Z"}) {
    auto p = ParseReportPeriod(bad, "", 0);
    CHECK_MESSAGE(!p.ok(), bad);
    if (!p.ok()) CHECK(p.status().IsInvalidArgument());
  }
}

TEST_CASE("report.last_months_oldest_first") {
  auto with = LastMonths(T("2026-02-20T12:00:00Z"), 3, "", true);
  REQUIRE(with.ok());
  REQUIRE(with->size() == 3);
  CHECK(FormatRfc3339((*with)[0].start) == "2025-12-01T00:00:00Z");
  CHECK(FormatRfc3339((*with)[2].start) == "2026-02-01T00:00:00Z");
  auto full = LastMonths(T("2026-02-20T12:00:00Z"), 3, "", false);
  REQUIRE(full.ok());
  CHECK(FormatRfc3339((*full)[0].start) == "2025-11-01T00:00:00Z");
  CHECK(FormatRfc3339((*full)[2].end) == "2026-02-01T00:00:00Z");
}

TEST_CASE("report.split_period_clips_to_the_period") {
  Period p{T("2026-02-03T22:30:00Z"), T("2026-02-05T01:00:00Z")};
  auto days = SplitPeriod(p, BucketUnit::kDay, "");
  REQUIRE(days.ok());
  REQUIRE(days->size() == 3);
  CHECK(FormatRfc3339((*days)[0].start) == "2026-02-03T22:30:00Z");
  CHECK(FormatRfc3339((*days)[1].start) == "2026-02-04T00:00:00Z");
  CHECK(FormatRfc3339((*days)[2].end) == "2026-02-05T01:00:00Z");
  auto hours = SplitPeriod(p, BucketUnit::kHour, "");
  REQUIRE(hours.ok());
  CHECK(hours->size() == 27);  // the half hour, then 26 whole hours
  auto months = SplitPeriod({T("2026-01-15T00:00:00Z"), T("2026-03-02T00:00:00Z")}, BucketUnit::kMonth, "");
  REQUIRE(months.ok());
  CHECK(months->size() == 3);
}

TEST_CASE("report.nearest_rank_percentiles") {
  std::vector<int64_t> twenty;
  for (int i = 1; i <= 20; ++i) twenty.push_back(i);
  CHECK(NearestRank(twenty, 50) == 10);
  CHECK(NearestRank(twenty, 95) == 19);
  CHECK(NearestRank(twenty, 100) == 20);
  CHECK(NearestRank({7}, 50) == 7);
  CHECK(NearestRank({7}, 95) == 7);
  CHECK(NearestRank({1, 2, 3}, 50) == 2);   // ceil(1.5) = 2
  CHECK(NearestRank({1, 2, 3}, 95) == 3);   // ceil(2.85) = 3
  std::vector<int64_t> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  CHECK(NearestRank(hundred, 95) == 95);    // exactly rank 95, no float drift to 96
}
