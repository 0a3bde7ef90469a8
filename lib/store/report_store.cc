#include "store/report_store.h"

#include <string>

#include "store/sqlite_internal.h"

namespace meter::store {
namespace {

std::string EventSql(const EventQuery& q) {
  std::string sql =
      "SELECT id, tenant_id, metric, ts, quantity, user_id, operation, status, latency_ms, cost, properties"
      " FROM events WHERE ts>=? AND ts<?";
  if (!q.tenant.empty()) sql += " AND tenant_id=?";
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

std::string TextOrEmpty(const SQLite::Column& c) { return c.isNull() ? std::string() : c.getString(); }

ingest::UsageEvent ReadEvent(SQLite::Statement& s) {
  ingest::UsageEvent e;
  e.id = s.getColumn(0).getString();
  e.tenant = s.getColumn(1).getString();
  e.metric = s.getColumn(2).getString();
  e.timestamp = s.getColumn(3).getInt64();
  e.quantity_micros = s.getColumn(4).getInt64();
  e.user = TextOrEmpty(s.getColumn(5));
  e.operation = TextOrEmpty(s.getColumn(6));
  e.status = TextOrEmpty(s.getColumn(7));
  if (!s.getColumn(8).isNull()) e.latency_ms = s.getColumn(8).getInt64();
  e.cost = TextOrEmpty(s.getColumn(9));
  e.properties = TextOrEmpty(s.getColumn(10));
  return e;
}

}  // namespace

Status ReportStore::ForEachEvent(const EventQuery& q,
                                 const std::function<Status(const ingest::UsageEvent&)>& fn) {
  return Guarded(db_, [&]() -> Status {
    SQLite::Statement s(Sql(db_), EventSql(q));
    int n = 1;
    s.bind(n++, static_cast<int64_t>(q.period.start));
    s.bind(n++, static_cast<int64_t>(q.period.end));
    if (!q.tenant.empty()) s.bind(n++, q.tenant);
    for (const auto& m : q.metrics) s.bind(n++, m);
    while (s.executeStep()) METER_RETURN_IF_ERROR(fn(ReadEvent(s)));
    return Status::OK();
  });
}

}  // namespace meter::store
