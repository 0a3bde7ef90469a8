// report usage: how much of each meter each tenant used, per hour, day or
// month of a period, or per meter, operation or user.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::report {

// How `report usage` groups: time buckets, or meter, operation, user.
enum class UsageBy { kHour, kDay, kMonth, kMeter, kOperation, kUser };

// "hour", "day", "month", "meter", "operation", "user"; InvalidArgument
// otherwise.
Result<UsageBy> ParseUsageBy(std::string_view text);

// The bucket label of events that lack the field grouped by (--by operation
// on an event without an operation, --by user on one without a user).
inline constexpr std::string_view kNoneBucket = "(none)";

// What `report usage` is asked: its flags, and the time "now" is.
struct UsageQuery {
  std::string tenant;  // "" = every tenant
  std::string period;  // "" (current month), "YYYY-MM" or "YYYY-MM-DD"
  UsageBy by = UsageBy::kMeter;
  Timestamp now = 0;
};

// One row of the table and of --json's "rows".
struct UsageRow {
  std::string tenant;
  std::string meter;
  std::string unit;    // the meter's display unit, "" when it has none
  std::string bucket;  // RFC 3339 start of the hour/day/month, or the meter, operation or user
  Decimal quantity;
};

// Rows ordered by tenant, then meter in catalog order, then bucket (time
// order, or name order for operations and users). Rows whose quantity is zero
// are left out, so a tenant without usage has no rows. Months follow each
// tenant's time zone; hours and days are UTC. Time buckets come from the
// hourly counters; operation and user splits from the raw events. NotFound
// for an unknown --tenant; InvalidArgument for a bad period.
Result<std::vector<UsageRow>> BuildUsageReport(store::Database& db, const catalog::Catalog& catalog,
                                               const UsageQuery& q);

}  // namespace meter::report
