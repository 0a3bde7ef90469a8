// Tenants: the rules for adding them, moving them between plans and
// suspending them (a tenant must fit the catalog in force, a plan must
// exist). lib/store keeps the rows (store::CatalogStore reads tenants and
// their plan history). Billing periods, trials and applied coupons belong
// here too.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "core/status.h"
#include "core/time.h"
#include "store/catalog_store.h"
#include "store/database.h"

namespace meter::tenants {

// Adds `t` after checking it against the catalog in force (its plan exists,
// its time zone resolves: InvalidArgument with the reason), in one
// transaction. Denied for an id already present; NotFound when no catalog
// was applied.
Status Add(store::Database& db, const catalog::Tenant& t, Timestamp now);

// A move of tenant `t` (plan history `history`) to `plan` from `effective`
// on (SPEC section 10): a plan billing in another currency than the plan in
// force before is refused (InvalidArgument naming the next period start)
// unless `effective` is exactly the start of one of the tenant's billing
// periods (its billing_day at local midnight).
Status CheckCurrencyChange(const catalog::Catalog& c, const catalog::Tenant& t,
                           const std::vector<store::PlanAssignment>& history, const std::string& plan,
                           Timestamp effective);

// Moves tenant `id` to `plan` from `effective` on (replacing a change
// recorded for the same instant), in one transaction. InvalidArgument for a
// plan the catalog does not define; NotFound for an unknown tenant.
Status SetPlan(store::Database& db, const std::string& id, const std::string& plan, Timestamp effective,
               Timestamp now);

// A time given for tenant `id` (`--effective`; ParseTimeIn): a bare date is
// local midnight in the tenant's time zone. NotFound for an unknown tenant;
// InvalidArgument for text that is no time.
Result<Timestamp> TenantTime(store::Database& db, const std::string& id, std::string_view text, Timestamp now);

// "active" or "suspended"; NotFound for an unknown tenant.
Status SetStatus(store::Database& db, const std::string& id, const std::string& status);

}  // namespace meter::tenants
