#include "report/usage_report.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <utility>

#include "report/common.h"
#include "report/periods.h"
#include "report/rollup.h"
#include "usage/quantity.h"
#include "store/report_store.h"

namespace meter::report {
namespace {

BucketUnit UnitOf(UsageBy by) {
  return by == UsageBy::kHour ? BucketUnit::kHour : by == UsageBy::kDay ? BucketUnit::kDay : BucketUnit::kMonth;
}

// Time buckets for one tenant: one counter read per meter for the whole
// period first, so meters the tenant never used cost one read, then one for
// all the buckets of a meter it used.
Status AddTimeRows(store::Database& db, const catalog::Catalog& c, const catalog::Tenant& t, const Period& period,
                   UsageBy by, std::vector<UsageRow>* rows) {
  METER_ASSIGN_OR_RETURN(auto buckets, SplitPeriod(period, UnitOf(by), t.timezone));
  for (const auto& m : c.meters) {
    METER_ASSIGN_OR_RETURN(Decimal total, usage::MeterQuantity(db, t.id, m, period));
    if (total.IsZero()) continue;
    if (by == UsageBy::kMeter) {
      rows->push_back({t.id, m.key, m.unit, m.key, total});
      continue;
    }
    METER_ASSIGN_OR_RETURN(auto values, usage::MeterValuesIn(db, t.id, m, buckets));
    for (size_t i = 0; i < buckets.size(); ++i) {
      Decimal v = values[i].value();
      if (!v.IsZero()) rows->push_back({t.id, m.key, m.unit, FormatRfc3339(buckets[i].start), v});
    }
  }
  return Status::OK();
}

// Operation / user splits for every selected tenant in one pass over the raw
// events, each tenant within its own period (months follow its time zone).
Status AddSplitRows(store::Database& db, const catalog::Catalog& c,
                    const std::vector<std::pair<const catalog::Tenant*, Period>>& tenants, UsageBy by,
                    std::vector<UsageRow>* rows) {
  std::map<std::string, Period> periods;
  Period span = tenants.front().second;
  for (const auto& [t, p] : tenants) {
    periods[t->id] = p;
    span = {std::min(span.start, p.start), std::max(span.end, p.end)};
  }
  RawRollup rollup(c);
  const char kSep = '\0';  // tenant ids and bucket names never hold NUL
  store::EventQuery q{.tenant = tenants.size() == 1 ? tenants.front().first->id : "", .period = span, .metrics = {}};
  METER_RETURN_IF_ERROR(store::ReportStore(db).ForEachEvent(q, [&](const Event& e) {
    auto it = periods.find(e.tenant);
    if (it == periods.end() || !it->second.Contains(e.timestamp)) return Status::OK();
    const std::string& key = by == UsageBy::kOperation ? e.operation : e.user;
    rollup.Add(e, e.tenant + kSep + (key.empty() ? std::string(kNoneBucket) : key));
    return Status::OK();
  }));
  // tenant -> meter -> (bucket, value), buckets in name order.
  std::map<std::string, std::map<std::string, std::vector<std::pair<std::string, Decimal>>>> split;
  for (const auto& [key, v] : rollup.Values()) {
    size_t sep = key.first.find(kSep);
    if (!v.IsZero()) split[key.first.substr(0, sep)][key.second].emplace_back(key.first.substr(sep + 1), v);
  }
  for (const auto& [t, p] : tenants)
    for (const auto& m : c.meters)
      for (const auto& [bucket, v] : split[t->id][m.key]) rows->push_back({t->id, m.key, m.unit, bucket, v});
  return Status::OK();
}

}  // namespace

Result<UsageBy> ParseUsageBy(std::string_view text) {
  if (text == "hour") return UsageBy::kHour;
  if (text == "day") return UsageBy::kDay;
  if (text == "month") return UsageBy::kMonth;
  if (text == "meter") return UsageBy::kMeter;
  if (text == "operation") return UsageBy::kOperation;
  if (text == "user") return UsageBy::kUser;
  return Status::InvalidArgument(fmt::format("--by '{}' is not hour, day, month, meter, operation or user", text));
}

Result<std::vector<UsageRow>> BuildUsageReport(store::Database& db, const catalog::Catalog& catalog,
                                               const UsageQuery& q) {
  METER_ASSIGN_OR_RETURN(auto tenants, SelectTenants(catalog, q.tenant));
  std::vector<std::pair<const catalog::Tenant*, Period>> periods;
  for (const catalog::Tenant* t : tenants) {
    METER_ASSIGN_OR_RETURN(Period period, ParseReportPeriod(q.period, t->timezone, q.now));
    periods.emplace_back(t, period);
  }
  std::vector<UsageRow> rows;
  if (periods.empty()) return rows;
  if (q.by == UsageBy::kOperation || q.by == UsageBy::kUser) {
    METER_RETURN_IF_ERROR(AddSplitRows(db, catalog, periods, q.by, &rows));
    return rows;
  }
  for (const auto& [t, period] : periods) METER_RETURN_IF_ERROR(AddTimeRows(db, catalog, *t, period, q.by, &rows));
  return rows;
}

}  // namespace meter::report
