// report analytics: operation events (those with an `operation`, not
// operation-start events) per hour, operation or user: counts, success rate,
// latency average / p50 / p95 and the sum of their costs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::report {

// The bucket an operation is counted in: its UTC hour, operation or user.
enum class AnalyticsBy { kHour, kOperation, kUser };

// "hour", "operation" or "user"; InvalidArgument otherwise.
Result<AnalyticsBy> ParseAnalyticsBy(std::string_view text);

// What `report analytics` is asked.
struct AnalyticsQuery {
  std::string tenant;  // "" = every tenant
  Period period;       // [from, to)
  AnalyticsBy by = AnalyticsBy::kHour;
};

// The operations of one bucket (SPEC 3's analytics row).
struct AnalyticsRow {
  std::string bucket;  // RFC 3339 hour start, operation or user ("(none)" when absent)
  int64_t total = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;  // status "failed" or "error"
  double success_rate = 0;  // succeeded / total, a fraction
  // Over the events that carry a latency; nullopt when none does.
  std::optional<double> latency_avg_ms;
  std::optional<int64_t> latency_p50_ms;
  std::optional<int64_t> latency_p95_ms;
  Decimal cost;  // the exact sum of the events' cost (absent = 0)
};

// One row per bucket that has operations, in bucket order (time or name).
// An event's cost that is not a decimal is refused with DataError naming it.
Result<std::vector<AnalyticsRow>> BuildAnalyticsReport(store::Database& db, const AnalyticsQuery& q);

// The nearest-rank percentile of `sorted` (ascending, non-empty): the value
// at rank ceil(p/100 * n), 1-based. p in (0, 100].
int64_t NearestRank(const std::vector<int64_t>& sorted, int p);

}  // namespace meter::report
