#include "tenants/tenants.h"

#include <fmt/format.h>

#include "store/catalog_store.h"

namespace meter::tenants {

Status Add(store::Database& db, const catalog::Tenant& t, Timestamp now) {
  return db.Transaction([&]() -> Status {
    store::CatalogStore cs(db);
    METER_ASSIGN_OR_RETURN(catalog::Catalog c, cs.Load(now));
    if (Status st = catalog::ValidateTenant(c, t, ""); !st.ok()) return Status::InvalidArgument(st.message());
    return cs.AddTenant(t, now);
  });
}

Status SetPlan(store::Database& db, const std::string& id, const std::string& plan, Timestamp effective,
               Timestamp now) {
  return db.Transaction([&]() -> Status {
    store::CatalogStore cs(db);
    METER_ASSIGN_OR_RETURN(catalog::Catalog c, cs.Load(now));
    if (!c.FindPlan(plan)) return Status::InvalidArgument(fmt::format("unknown plan '{}'", plan));
    return cs.SetPlan(id, plan, effective, now);
  });
}

Result<Timestamp> TenantTime(store::Database& db, const std::string& id, std::string_view text, Timestamp now) {
  METER_ASSIGN_OR_RETURN(store::TenantRecord r, store::CatalogStore(db).GetTenant(id, now));
  return ParseTimeIn(text, r.tenant.timezone);
}

Status SetStatus(store::Database& db, const std::string& id, const std::string& status) {
  return store::CatalogStore(db).SetStatus(id, status);
}

}  // namespace meter::tenants
