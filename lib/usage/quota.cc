#include "usage/quota.h"

#include <fmt/format.h>

#include "core/format.h"
#include "core/ids.h"
#include "core/json_util.h"
#include "store/catalog_store.h"
#include "usage/quantity.h"
#include "usage/reservation.h"
#include "usage/units.h"

namespace meter::usage {

using catalog::Enforcement;
using catalog::LimitPeriod;

EffectiveLimit LimitFor(const catalog::Plan& plan, const catalog::Tenant& tenant, const std::string& meter) {
  EffectiveLimit e;
  if (const catalog::Limit* l = plan.FindLimit(meter)) {
    e.limit = l->limit;
    e.period = l->period;
    e.enforcement = l->enforcement;
    e.listed = true;
  }
  if (auto it = tenant.overrides.limits.find(meter); it != tenant.overrides.limits.end()) {
    e.limit = it->second;
    e.listed = true;
  }
  if (!plan.overage) e.enforcement = Enforcement::kHard;
  return e;
}

Result<Period> LimitPeriodAt(LimitPeriod period, Timestamp now, std::string_view timezone, int billing_day) {
  if (period == LimitPeriod::kDay) return DayOf(now);
  return BillingPeriodOf(now, timezone, billing_day);
}

Result<const catalog::Meter*> ResolveMeter(const catalog::Catalog& c, std::string_view metric) {
  if (const catalog::Meter* m = c.FindMeter(metric)) return m;
  auto readers = c.MetersForMetric(metric);
  if (readers.size() == 1) return readers[0];
  std::string keys;
  for (const auto& m : c.meters) keys += (keys.empty() ? "" : ", ") + m.key;
  if (readers.size() > 1)
    return Status::NotFound(fmt::format("metric '{}' is read by {} meters; name one of them with --metric ({})",
                                        metric, readers.size(), keys));
  return Status::NotFound(fmt::format("unknown meter '{}' (meters: {})", metric, keys));
}

std::string NextPlanUp(const catalog::Catalog& c, const std::string& plan, const std::string& meter,
                       const Decimal& limit) {
  int from = c.PlanIndex(plan);
  for (size_t i = static_cast<size_t>(from + 1); from >= 0 && i < c.plans.size(); ++i) {
    const catalog::Limit* l = c.plans[i].FindLimit(meter);
    if (!l || !l->limit || *l->limit > limit) return c.plans[i].key;
  }
  return "";
}

std::optional<Decimal> QuotaDecision::remaining() const {
  if (!limit.limit) return std::nullopt;
  return *limit.limit - used;
}

namespace {

const catalog::Tenant* FindTenant(const catalog::Catalog& c, const std::string& id) {
  for (const auto& t : c.tenants)
    if (t.id == id) return &t;
  return nullptr;
}

}  // namespace

Result<QuotaDecision> CheckQuota(store::Database& db, const catalog::Catalog& c, const std::string& tenant,
                                 std::string_view metric, const Decimal& amount, Timestamp now) {
  METER_RETURN_IF_ERROR(ToMicros(amount, "--amount").status());
  const catalog::Tenant* t = FindTenant(c, tenant);
  if (!t) return Status::NotFound(fmt::format("unknown tenant '{}'", tenant));
  METER_ASSIGN_OR_RETURN(const catalog::Meter* meter, ResolveMeter(c, metric));
  const catalog::Plan* plan = c.FindPlan(t->plan);
  if (!plan) return Status::NotFound(fmt::format("tenant '{}' has plan '{}', which the catalog does not define", tenant, t->plan));
  METER_ASSIGN_OR_RETURN(store::TenantRecord record, store::CatalogStore(db).GetTenant(tenant, now));

  QuotaDecision d;
  d.tenant = tenant;
  d.meter = meter->key;
  d.plan = plan->key;
  d.requested = amount;
  d.limit = LimitFor(*plan, *t, meter->key);
  METER_ASSIGN_OR_RETURN(d.period, LimitPeriodAt(d.limit.period, now, t->timezone, t->billing_day));
  METER_ASSIGN_OR_RETURN(d.used, MeterQuantity(db, tenant, *meter, d.period));
  METER_ASSIGN_OR_RETURN(Decimal after, d.used.Add(amount));
  d.over = d.limit.limit && after > *d.limit.limit;
  d.suspended = record.status == "suspended";
  d.allowed = !d.suspended && !(d.over && d.limit.enforcement == Enforcement::kHard);
  if (d.over) d.next_plan = NextPlanUp(c, plan->key, meter->key, *d.limit.limit);
  return d;
}

Result<QuotaDecision> ReserveQuota(store::Database& db, const catalog::Catalog& c, const std::string& tenant,
                                   std::string_view metric, const Decimal& amount, const std::string& id,
                                   Timestamp now) {
  std::string rid = id.empty() ? RandomId("rsv_") : id;
  std::optional<QuotaDecision> out;
  METER_RETURN_IF_ERROR(db.Transaction([&]() -> Status {
    METER_ASSIGN_OR_RETURN(auto previous, FindReservation(db, rid));
    if (previous) {
      out = std::move(*previous);
      out->replayed = true;
      return Status::OK();
    }
    METER_ASSIGN_OR_RETURN(QuotaDecision d, CheckQuota(db, c, tenant, metric, amount, now));
    d.reservation_id = rid;
    if (d.allowed) METER_RETURN_IF_ERROR(RecordReservedUsage(db, c, d, now));
    METER_RETURN_IF_ERROR(StoreReservation(db, d, now));
    out = std::move(d);
    return Status::OK();
  }));
  return std::move(*out);
}

std::string DenialMessage(const QuotaDecision& d) {
  if (d.allowed) return "";
  if (d.suspended)
    return fmt::format("Tenant '{}' is suspended: every quota check is denied until 'meter tenants resume {}'.",
                       d.tenant, d.tenant);
  std::string msg = fmt::format("Quota exceeded. Used {} of {}. Batch requires {}.\nResets at {}", Thousands(d.used),
                                Thousands(*d.limit.limit), Thousands(d.requested), FormatRfc3339(d.period.end));
  if (!d.next_plan.empty()) msg += fmt::format(", or upgrade to plan '{}'", d.next_plan);
  return msg + ".";
}

std::string WarningMessage(const QuotaDecision& d) {
  if (!d.allowed || !d.over) return "";
  std::string msg = fmt::format("Soft limit exceeded. Used {} of {}. Batch requires {}. Resets at {}",
                                Thousands(d.used), Thousands(*d.limit.limit), Thousands(d.requested),
                                FormatRfc3339(d.period.end));
  if (!d.next_plan.empty()) msg += fmt::format(", or upgrade to plan '{}'", d.next_plan);
  return msg + ".";
}

nlohmann::json DecisionJson(const QuotaDecision& d) {
  std::optional<Decimal> remaining = d.remaining();
  std::string warning = WarningMessage(d);
  return {{"allowed", d.allowed},
          {"tenant", d.tenant},
          {"metric", d.meter},
          {"used", JsonNumber(d.used)},
          {"limit", d.limit.limit ? JsonNumber(*d.limit.limit) : nlohmann::json(nullptr)},
          {"remaining", remaining ? JsonNumber(*remaining) : nlohmann::json(nullptr)},
          {"requested", JsonNumber(d.requested)},
          {"period_start", FormatRfc3339(d.period.start)},
          {"period_end", FormatRfc3339(d.period.end)},
          {"resets_at", FormatRfc3339(d.period.end)},
          {"enforcement", catalog::EnforcementName(d.limit.enforcement)},
          {"warning", warning.empty() ? nlohmann::json(nullptr) : nlohmann::json(warning)}};
}

Result<std::vector<QuotaRow>> QuotaStatusFor(store::Database& db, const catalog::Catalog& c,
                                             const std::string& tenant, Timestamp now) {
  const catalog::Tenant* t = FindTenant(c, tenant);
  if (!t) return Status::NotFound(fmt::format("unknown tenant '{}'", tenant));
  const catalog::Plan* plan = c.FindPlan(t->plan);
  if (!plan) return Status::NotFound(fmt::format("tenant '{}' has plan '{}', which the catalog does not define", tenant, t->plan));
  std::vector<std::string> meters;
  for (const auto& l : plan->limits) meters.push_back(l.meter);
  for (const auto& [m, l] : t->overrides.limits)
    if (!plan->FindLimit(m)) meters.push_back(m);
  std::vector<QuotaRow> rows;
  for (const std::string& key : meters) {
    const catalog::Meter* meter = c.FindMeter(key);
    if (!meter) continue;
    QuotaRow r{tenant, key, {}, LimitFor(*plan, *t, key), {}, {}};
    METER_ASSIGN_OR_RETURN(r.period, LimitPeriodAt(r.limit.period, now, t->timezone, t->billing_day));
    METER_ASSIGN_OR_RETURN(r.used, MeterQuantity(db, tenant, *meter, r.period));
    if (r.limit.limit && !r.limit.limit->IsZero()) {
      auto pct = r.used.MulDiv(Decimal::FromInt(100), *r.limit.limit, 1, Rounding::kHalfAwayFromZero);
      if (pct.ok()) r.percent = *pct;
    }
    rows.push_back(std::move(r));
  }
  return rows;
}

}  // namespace meter::usage
