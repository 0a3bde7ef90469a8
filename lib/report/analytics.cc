#include "report/analytics.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "store/report_store.h"

namespace meter::report {
namespace {

struct Acc {
  int64_t total = 0, succeeded = 0, failed = 0;
  std::vector<int64_t> latencies;
  Decimal cost;
};

const std::string& NameOf(const Event& e, AnalyticsBy by) {
  static const std::string kNone = "(none)";
  const std::string& key = by == AnalyticsBy::kOperation ? e.operation : e.user;
  return key.empty() ? kNone : key;
}

Status AddEvent(const Event& e, Acc* a) {
  ++a->total;
  if (e.status == "failed" || e.status == "error") ++a->failed;
  else ++a->succeeded;
  if (e.latency_ms) a->latencies.push_back(*e.latency_ms);
  if (!e.cost.empty()) {
    auto c = Decimal::Parse(e.cost);
    if (!c.ok()) return Status::DataError(fmt::format("event '{}': cost '{}' is not a decimal", e.id, e.cost));
    METER_ASSIGN_OR_RETURN(a->cost, a->cost.Add(*c));
  }
  return Status::OK();
}

AnalyticsRow RowOf(const std::string& bucket, Acc& a) {
  AnalyticsRow r;
  r.bucket = bucket;
  r.total = a.total;
  r.succeeded = a.succeeded;
  r.failed = a.failed;
  r.success_rate = a.total ? static_cast<double>(a.succeeded) / static_cast<double>(a.total) : 0;
  r.cost = a.cost;
  if (!a.latencies.empty()) {
    std::sort(a.latencies.begin(), a.latencies.end());
    long double sum = 0;
    for (int64_t v : a.latencies) sum += v;
    r.latency_avg_ms = static_cast<double>(sum / a.latencies.size());
    r.latency_p50_ms = NearestRank(a.latencies, 50);
    r.latency_p95_ms = NearestRank(a.latencies, 95);
  }
  return r;
}

}  // namespace

Result<AnalyticsBy> ParseAnalyticsBy(std::string_view text) {
  if (text == "hour") return AnalyticsBy::kHour;
  if (text == "operation") return AnalyticsBy::kOperation;
  if (text == "user") return AnalyticsBy::kUser;
  return Status::InvalidArgument(fmt::format("--by '{}' is not hour, operation or user", text));
}

int64_t NearestRank(const std::vector<int64_t>& sorted, int p) {
  // ceil(p * n / 100) in integers, so no floating point decides the rank.
  int64_t n = static_cast<int64_t>(sorted.size());
  int64_t rank = (p * n + 99) / 100;
  rank = std::clamp<int64_t>(rank, 1, n);
  return sorted[rank - 1];
}

Result<std::vector<AnalyticsRow>> BuildAnalyticsReport(store::Database& db, const AnalyticsQuery& q) {
  // Hours are keyed by their start and named once at the end: formatting a
  // time per event would cost more than reading it.
  std::map<Timestamp, Acc> hours;
  std::map<std::string, Acc> names;
  store::EventQuery eq{.tenant = q.tenant, .period = q.period, .metrics = {}, .operations_only = true};
  METER_RETURN_IF_ERROR(store::ReportStore(db).ForEachEvent(eq, [&](const Event& e) {
    if (q.by == AnalyticsBy::kHour) return AddEvent(e, &hours[HourOf(e.timestamp).start]);
    return AddEvent(e, &names[NameOf(e, q.by)]);
  }));
  std::vector<AnalyticsRow> rows;
  for (auto& [hour, acc] : hours) rows.push_back(RowOf(FormatRfc3339(hour), acc));
  for (auto& [name, acc] : names) rows.push_back(RowOf(name, acc));
  return rows;
}

}  // namespace meter::report
