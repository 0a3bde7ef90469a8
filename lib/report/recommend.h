// recommend: plan advice with the saving in money (SPEC 3).
//
// Over the last three full calendar months (in the tenant's time zone) a
// plan *holds* a tenant's usage when none of its limits would have been
// exceeded, each over its own period: a day limit UTC day by UTC day, a
// month limit month by month; exceeding means using more than the limit
// (equality is allowed, as in quota checks). The tenant's limit overrides
// apply to its current plan only: they were agreed for it. Every plan is
// priced by billing's invoice builder as if it had been in force for the
// whole of each month (base price included, before tax), the current plan
// too, so the comparison is like for like. Among the plans that hold the
// usage the cheapest is recommended when it bills strictly less than the
// current plan (ties go to the plan listed first); `upgrade` when it comes
// later in the catalog than the current plan, else `downgrade`. A tenant
// whose current plan is already the cheapest that holds gets no row, and so
// does one that no plan holds. Only plans billing in the current plan's
// currency are candidates (SPEC 10: a move to another currency is a
// decision about the customer, and amounts in two currencies do not compare).
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::report {

// One tenant's advice (a row of `recommend --json`).
struct Recommendation {
  std::string tenant;
  std::string current_plan;
  std::string recommended_plan;
  std::string kind;  // "upgrade" or "downgrade"
  std::string currency;      // the current plan's, which every cost below is in
  Decimal current_cost;      // the three months under the current plan
  Decimal recommended_cost;  // the three months under the recommended plan
  Decimal saving;            // current_cost - recommended_cost (> 0)
  std::string reason;        // one sentence for a person
};

// The advice for every tenant (or `tenant` alone: NotFound when unknown),
// judged over the three full months before the month containing `now`.
Result<std::vector<Recommendation>> BuildRecommendations(store::Database& db, const catalog::Catalog& catalog,
                                                         const std::string& tenant, Timestamp now);

}  // namespace meter::report
