// Small pieces the insight reports share: which tenants a report covers and
// which meters a plan is about. (The limit in force for a tenant is
// usage::LimitFor, shared with quota checks.)
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

// The meters `plan` charges for or limits, in catalog order.
std::vector<const catalog::Meter*> PlanMeters(const catalog::Catalog& c, const catalog::Plan& plan);

}  // namespace meter::report
