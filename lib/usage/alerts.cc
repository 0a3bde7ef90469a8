#include "usage/alerts.h"

#include "core/json_util.h"
#include "webhooks/queue.h"
#include "usage/quota.h"
#include "usage/units.h"

namespace meter::usage {

namespace {

// True when `used` reached `threshold` percent of `limit`.
bool Reached(const Decimal& used, const Decimal& limit, int threshold) {
  if (used.IsZero() || used.IsNegative()) return false;
  auto lhs = used.Mul(Decimal::FromInt(100));
  auto rhs = limit.Mul(Decimal::FromInt(threshold));
  return lhs.ok() && rhs.ok() && *lhs >= *rhs;
}

// Records the thresholds one quota row newly reached.
Status AlertRow(store::Database& db, const catalog::Plan& plan, const QuotaRow& row, Timestamp now,
                std::vector<store::AlertRecord>* created) {
  if (!row.limit.limit) return Status::OK();
  store::AlertStore alerts(db);
  for (int threshold : plan.alert_thresholds) {
    if (!Reached(row.used, *row.limit.limit, threshold)) continue;
    store::AlertRecord a;
    a.tenant = row.tenant;
    a.meter = row.meter;
    a.threshold = threshold;
    a.period_start = row.period.start;
    a.period_end = row.period.end;
    METER_ASSIGN_OR_RETURN(a.used_micros, ToMicros(row.used, "used"));
    METER_ASSIGN_OR_RETURN(a.limit_micros, ToMicros(*row.limit.limit, "limit"));
    a.created_at = now;
    METER_ASSIGN_OR_RETURN(auto id, alerts.InsertIfNew(a));
    if (!id) continue;
    a.id = *id;
    METER_ASSIGN_OR_RETURN(a.message_id, webhooks::Enqueue(db, "usage.threshold_reached", a.tenant,
                                                                         AlertMessageData(a), now));
    METER_RETURN_IF_ERROR(alerts.SetMessage(a.id, a.message_id));
    created->push_back(std::move(a));
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<store::AlertRecord>> ScanAlerts(store::Database& db, const catalog::Catalog& c, Timestamp now) {
  std::vector<store::AlertRecord> created;
  METER_RETURN_IF_ERROR(db.Transaction([&]() -> Status {
    created.clear();
    for (const catalog::Tenant& t : c.tenants) {
      const catalog::Plan* plan = c.FindPlan(t.plan);
      if (!plan) continue;
      METER_ASSIGN_OR_RETURN(auto rows, QuotaStatusFor(db, c, t.id, now));
      for (const QuotaRow& row : rows) METER_RETURN_IF_ERROR(AlertRow(db, *plan, row, now, &created));
    }
    return Status::OK();
  }));
  return created;
}

Result<std::vector<store::AlertRecord>> ListAlerts(store::Database& db, const std::string& tenant) {
  return store::AlertStore(db).List(tenant);
}

nlohmann::json AlertMessageData(const store::AlertRecord& a) {
  return {{"tenant", a.tenant},
          {"meter", a.meter},
          {"threshold", a.threshold},
          {"used", JsonNumber(FromMicros(a.used_micros))},
          {"limit", JsonNumber(FromMicros(a.limit_micros))},
          {"period_start", FormatRfc3339(a.period_start)},
          {"period_end", FormatRfc3339(a.period_end)}};
}

nlohmann::json AlertJson(const store::AlertRecord& a) {
  nlohmann::json j = AlertMessageData(a);
  j["id"] = a.id;
  j["created_at"] = FormatRfc3339(a.created_at);
  j["message_id"] = a.message_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.message_id);
  return j;
}

}  // namespace meter::usage
