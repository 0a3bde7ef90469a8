#include "store/report_store.h"

#include <string>

#include "store/event_columns.h"
#include "store/statement.h"

namespace meter::store {
namespace {

// The time range comes first, so the read walks index events_ts(ts, tenant_id);
// in storage order, the index gives the seqs, sorted, and the rows are read
// in that order.
std::string EventSql(const EventQuery& q) {
  std::string span = "ts>=? AND ts<?";
  if (!q.tenant.empty()) span += " AND tenant_id=?";
  for (size_t i = 0; i < q.tenants.size(); ++i) span += i ? ",?" : " AND tenant_id IN (?";
  if (!q.tenants.empty()) span += ")";
  std::string sql = "SELECT " + EventColumnList() + " FROM events WHERE ";
  sql += q.storage_order ? "seq IN (SELECT seq FROM events WHERE " + span + " ORDER BY seq)" : span;
  sql += " AND voided_at IS NULL";
  if (q.upto_seq) sql += " AND seq<=?";
  if (q.operations_only)
    sql += " AND operation IS NOT NULL AND operation<>'' AND (status IS NULL OR status<>'started')"
           " AND metric<>'operation_start'";
  if (!q.metrics.empty()) {
    sql += " AND metric IN (";
    for (size_t i = 0; i < q.metrics.size(); ++i) sql += i ? ",?" : "?";
    sql += ")";
  }
  return sql;
}

}  // namespace

Status ReportStore::ForEachEvent(const EventQuery& q,
                                 const std::function<Status(const Event&)>& fn) {
  return Guarded(db_, [&]() -> Status {
    Statement s(db_, EventSql(q));
    int n = 1;
    s.bind(n++, static_cast<int64_t>(q.period.start));
    s.bind(n++, static_cast<int64_t>(q.period.end));
    if (!q.tenant.empty()) s.bind(n++, q.tenant);
    for (const auto& t : q.tenants) s.bind(n++, t);
    if (q.upto_seq) s.bind(n++, *q.upto_seq);
    for (const auto& m : q.metrics) s.bind(n++, m);
    Event e;
    while (s.executeStep()) {
      ReadEventColumns(s, 0, &e);
      METER_RETURN_IF_ERROR(fn(e));
    }
    return Status::OK();
  });
}

}  // namespace meter::store
