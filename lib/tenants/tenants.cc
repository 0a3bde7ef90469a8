#include "tenants/tenants.h"

#include <fmt/format.h>

#include "core/local_date.h"
#include "store/catalog_store.h"

namespace meter::tenants {

namespace {

std::string DayText(Timestamp t, std::string_view tz) {
  auto d = LocalDateOf(t, tz);
  return d.ok() ? FormatCivilDate(*d) : FormatRfc3339(t);
}

}  // namespace

Status CheckCurrencyChange(const catalog::Catalog& c, const catalog::Tenant& t,
                           const std::vector<store::PlanAssignment>& history, const std::string& plan,
                           Timestamp effective) {
  const catalog::Plan* to = c.FindPlan(plan);
  const catalog::Plan* from = history.empty() ? nullptr : c.FindPlan(store::PlanAt(history, effective - 1));
  if (!to || !from || c.CurrencyOf(*to) == c.CurrencyOf(*from)) return Status::OK();
  METER_ASSIGN_OR_RETURN(Period p, BillingPeriodOf(effective, t.timezone, t.billing_day));
  if (p.start == effective) return Status::OK();
  return Status::InvalidArgument(fmt::format(
      "tenant '{}' is billed in {} on plan '{}'; a move to plan '{}' ({}) must take effect at the start of a "
      "billing period, e.g. --effective {}", t.id, c.CurrencyOf(*from), from->key, to->key, c.CurrencyOf(*to),
      DayText(p.end, t.timezone)));
}

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
    METER_ASSIGN_OR_RETURN(store::TenantRecord record, cs.GetTenant(id, now));
    METER_ASSIGN_OR_RETURN(auto history, cs.PlanHistory(id));
    METER_RETURN_IF_ERROR(CheckCurrencyChange(c, record.tenant, history, plan, effective));
    return cs.SetPlan(id, plan, effective, now);
  });
}

Result<Timestamp> TenantTime(store::Database& db, const std::string& id, std::string_view text, Timestamp now) {
  METER_ASSIGN_OR_RETURN(store::TenantRecord r, store::CatalogStore(db).GetTenant(id, now));
  auto t = ParseTimeIn(text, r.tenant.timezone);
  // A time that does not parse is a bad flag value (exit 2), as for every
  // other time flag; ParseTimeIn calls it a data error.
  if (!t.ok()) return Status::InvalidArgument(t.status().message());
  return t;
}

Status SetStatus(store::Database& db, const std::string& id, const std::string& status) {
  return store::CatalogStore(db).SetStatus(id, status);
}

}  // namespace meter::tenants
