// Small pieces the insight reports share: which tenants a report covers and
// which limit is in force for a tenant.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"

namespace meter::report {

// The tenants a report covers: `only` alone (NotFound "unknown tenant 'x'"
// when the catalog has no such tenant), or every tenant of the catalog.
Result<std::vector<const catalog::Tenant*>> SelectTenants(const catalog::Catalog& catalog, const std::string& only);

// The limit on `l.meter` for tenant `t`: its override when it has one (a
// nullopt override means unlimited), else the plan's. nullopt = unlimited.
std::optional<Decimal> EffectiveLimit(const catalog::Tenant& t, const catalog::Limit& l);

// The meters `plan` charges for or limits, in catalog order.
std::vector<const catalog::Meter*> PlanMeters(const catalog::Catalog& c, const catalog::Plan& plan);

}  // namespace meter::report
