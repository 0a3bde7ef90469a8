#include "usage/entitlement.h"

#include <fmt/format.h>

namespace meter::usage {

Result<Entitlement> CheckEntitlement(const catalog::Catalog& c, const store::TenantRecord& tenant,
                                     const std::string& feature) {
  const catalog::Plan* plan = c.FindPlan(tenant.tenant.plan);
  if (!plan)
    return Status::NotFound(fmt::format("tenant '{}' has plan '{}', which the catalog does not define",
                                        tenant.tenant.id, tenant.tenant.plan));
  Entitlement e{tenant.tenant.id, feature, plan->key, false, ""};
  auto it = plan->features.find(feature);
  if (tenant.status == "suspended") {
    e.reason = fmt::format("tenant '{}' is suspended", tenant.tenant.id);
  } else if (it == plan->features.end()) {
    e.reason = fmt::format("plan '{}' does not define feature '{}'", plan->key, feature);
  } else if (!it->second) {
    e.reason = fmt::format("plan '{}' does not include '{}'", plan->key, feature);
  } else {
    e.entitled = true;
    e.reason = fmt::format("plan '{}' includes '{}'", plan->key, feature);
  }
  return e;
}

}  // namespace meter::usage
