// Entitlements: the boolean features of a tenant's plan (SPEC section 3,
// `meter entitlement check`).
#pragma once

#include <string>

#include "catalog/catalog.h"
#include "core/status.h"
#include "store/catalog_store.h"

namespace meter::usage {

struct Entitlement {
  std::string tenant;
  std::string feature;
  std::string plan;
  bool entitled = false;
  std::string reason;  // one line for a person
};

// Whether `tenant`'s plan in force grants `feature`: only a feature the plan
// sets to true does; an unknown feature and a suspended tenant are not
// entitled. NotFound when the tenant's plan is not in the catalog.
Result<Entitlement> CheckEntitlement(const catalog::Catalog& c, const store::TenantRecord& tenant,
                                     const std::string& feature);

}  // namespace meter::usage
