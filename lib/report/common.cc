#include "report/common.h"

#include <fmt/format.h>

namespace meter::report {

Result<std::vector<const catalog::Tenant*>> SelectTenants(const catalog::Catalog& catalog, const std::string& only) {
  std::vector<const catalog::Tenant*> out;
  for (const auto& t : catalog.tenants)
    if (only.empty() || t.id == only) out.push_back(&t);
  if (!only.empty() && out.empty()) return Status::NotFound(fmt::format("unknown tenant '{}'", only));
  return out;
}

std::vector<const catalog::Meter*> PlanMeters(const catalog::Catalog& c, const catalog::Plan& plan) {
  std::vector<const catalog::Meter*> out;
  for (const auto& m : c.meters)
    if (plan.FindCharge(m.key) || plan.FindLimit(m.key)) out.push_back(&m);
  return out;
}

}  // namespace meter::report
