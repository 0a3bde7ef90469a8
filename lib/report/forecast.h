// forecast: projected end-of-period usage and cost for the current period.
//
// Method (SPEC 3): linear over the elapsed time of the period. The period is
// the billing period containing `now` (its zone and billing_day); days are the
// tenant's local days on its wall clock, so days_elapsed is fractional (Feb 20
// 12:00 local is 19.5 days into February) and days_in_period is the period's
// number of local days (28 for February; 31 for a March with a
// daylight-saving change). For meters that accumulate (sum, count):
//   daily_average = used / days_elapsed
//   projected     = used / days_elapsed * days_in_period
// Meters that measure a level rather than a flow (max, latest, unique_count)
// are projected flat: projected = used, since more days do not add to them.
// `used` is the usage from the period's start up to now (to the end of the
// hour containing now, events at now included: counters are hourly); usage recorded for later times, as in a
// what-if run with --now in the past, is not counted.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::report {

// One tenant and meter: usage so far, the projection, the limit and cost.
struct ForecastRow {
  std::string tenant;
  std::string meter;
  Period period;  // the tenant's current month
  Decimal used;
  Decimal daily_average;  // 6 decimals
  Decimal days_elapsed;   // 6 decimals
  Decimal days_left;      // days_in_period - days_elapsed
  Decimal projected;      // 6 decimals
  // The tenant's limit on the meter (override, else plan); nullopt = none or
  // unlimited.
  std::optional<Decimal> limit;
  std::string limit_period;  // "day" or "month" ("" without a limit)
  // A month limit: when the linear projection passes the limit, if that is
  // before the period ends (it may already be past when usage is over the
  // limit). A day limit: when today's usage, projected linearly over the UTC
  // day, passes it before midnight. nullopt otherwise.
  std::optional<Timestamp> projected_cross_at;
  // What the plan's charge for the meter bills for the projected quantity
  // (billing's PriceCharge: included units, tiers, rounding), before tax and
  // without the base price or a commitment true-up; 0 when the plan has no
  // charge for it. A charge with filters or a group_by (SPEC 10) projects
  // each filter's and group's usage on its own and prices it as its invoice
  // line would, the amounts added up.
  Decimal projected_cost;
  std::string currency;  // the tenant's plan's (SPEC 10), which projected_cost is in
};

// The whole forecast: when it was made, the period, the rows.
struct Forecast {
  Timestamp as_of = 0;
  Period period;  // the UTC month of as_of, or the one tenant's month with --tenant
  std::vector<ForecastRow> rows;
};

// Rows by tenant, then meter in catalog order: every meter the tenant's
// current plan charges or limits, plus any other meter it used this period.
// `now` is taken to the whole second (the clock of --now runs on while the
// process works), so a pinned time gives the same figures on every run.
// NotFound for an unknown tenant.
Result<Forecast> BuildForecast(store::Database& db, const catalog::Catalog& catalog, const std::string& tenant,
                               Timestamp now);

}  // namespace meter::report
