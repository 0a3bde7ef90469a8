#include "store/counter_store.h"

#include "store/statement.h"

namespace meter::store {
namespace {

using catalog::Aggregation;

// One SQL shape per aggregation, over the hourly rows of a period. The
// per-tenant variant groups by tenant.
std::string CounterSql(Aggregation a, bool per_tenant) {
  std::string where = per_tenant ? "meter=? AND hour>=? AND hour<?" : "tenant_id=? AND meter=? AND hour>=? AND hour<?";
  std::string group = per_tenant ? " GROUP BY tenant_id" : "";
  std::string cols = per_tenant ? "tenant_id, " : "";
  switch (a) {
    case Aggregation::kSum:
    case Aggregation::kCount:
      return "SELECT " + cols + "SUM(value) FROM usage_counters WHERE " + where + group;
    case Aggregation::kMax:
      return "SELECT " + cols + "MAX(value) FROM usage_counters WHERE " + where + group;
    case Aggregation::kLatest:
      // The value of the row with the latest event time (ties: the larger
      // value, as the counters merge them), per tenant when grouped.
      if (!per_tenant)
        return "SELECT value FROM usage_counters WHERE " + where + " ORDER BY latest_ts DESC, value DESC LIMIT 1";
      return "SELECT tenant_id, value FROM (SELECT tenant_id, value, ROW_NUMBER() OVER (PARTITION BY tenant_id "
             "ORDER BY latest_ts DESC, value DESC) AS rn FROM usage_counters WHERE " + where + ") AS latest "
             "WHERE rn = 1";
    case Aggregation::kUniqueCount:
      return "SELECT " + cols + "COUNT(DISTINCT value) * 1000000 FROM usage_uniques WHERE " + where + group;
  }
  return "";
}

}  // namespace

Result<Decimal> CounterStore::MeterValue(const std::string& tenant, const catalog::Meter& meter, const Period& p) {
  return Guarded(db_, [&]() -> Result<Decimal> {
    Statement& q = Cached(db_, CounterSql(meter.aggregation, false));
    q.bind(1, tenant);
    q.bind(2, meter.key);
    q.bind(3, static_cast<int64_t>(p.start));
    q.bind(4, static_cast<int64_t>(p.end));
    if (!q.executeStep() || q.getColumn(0).isNull()) return Decimal();
    return Decimal::FromScaled(q.getColumn(0).getInt64(), kQuantityPlaces);
  });
}

Result<std::map<std::string, Decimal>> CounterStore::MeterValues(const catalog::Meter& meter, const Period& p) {
  return Guarded(db_, [&]() -> Result<std::map<std::string, Decimal>> {
    std::map<std::string, Decimal> out;
    Statement& q = Cached(db_, CounterSql(meter.aggregation, true));
    q.bind(1, meter.key);
    q.bind(2, static_cast<int64_t>(p.start));
    q.bind(3, static_cast<int64_t>(p.end));
    while (q.executeStep()) {
      if (q.getColumn(1).isNull()) continue;
      out[q.getColumn(0).getString()] = Decimal::FromScaled(q.getColumn(1).getInt64(), kQuantityPlaces);
    }
    return out;
  });
}

}  // namespace meter::store
