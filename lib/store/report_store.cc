#include "store/report_store.h"

#include <algorithm>
#include <string>
#include <vector>

#include "store/event_columns.h"
#include "store/statement.h"

namespace meter::store {
namespace {

// The conditions on a row after its time and tenant (parameters: upto_seq,
// then the metrics).
std::string RowConditions(const EventQuery& q) {
  std::string sql = " AND voided_at IS NULL";
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

// Binds RowConditions' parameters from `n`.
void BindRowConditions(Statement& s, int n, const EventQuery& q) {
  if (q.upto_seq) s.bind(n++, *q.upto_seq);
  for (const auto& m : q.metrics) s.bind(n++, m);
}

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
  return sql + RowConditions(q);
}

// Stretches of seqs [first, last] to read by a range of the table.
struct SeqRun {
  int64_t first, last;
};

// Cuts the sorted `seqs` into runs, each read whole: a gap between two seqs
// joins the run while the rows skipped in it (other spans' events stored in
// between) stay fewer than the run's wanted rows plus kSlack, so no more than
// about twice the wanted rows are ever read, and events stored in time order
// (the usual case) make one run.
std::vector<SeqRun> RunsOf(const std::vector<int64_t>& seqs) {
  constexpr int64_t kSlack = 64;
  std::vector<SeqRun> runs;
  int64_t wanted = 0, skipped = 0;
  for (int64_t seq : seqs) {
    if (!runs.empty()) {
      int64_t gap = seq - runs.back().last - 1;
      if (skipped + gap <= wanted + kSlack) {
        runs.back().last = seq;
        skipped += gap;
        ++wanted;
        continue;
      }
    }
    runs.push_back({seq, seq});
    wanted = 1;
    skipped = 0;
  }
  return runs;
}

// storage_order over every tenant on SQLite: the span's seqs from the
// events_ts index alone (it holds them), sorted here, then each run of them
// read as one range of the table in seq order. SQLite would otherwise sort
// the seqs of `seq IN (SELECT seq ... ORDER BY seq)` and build a temporary
// index of them (10 K tenants' month, 1.77 M events: two thirds of that
// read).
Status ForEachEventBySeq(Database& db, const EventQuery& q, const std::function<Status(const Event&)>& fn) {
  std::vector<int64_t> seqs;
  {
    Statement s(db, "SELECT seq FROM events WHERE ts>=? AND ts<?");
    s.bind(1, static_cast<int64_t>(q.period.start));
    s.bind(2, static_cast<int64_t>(q.period.end));
    while (s.executeStep()) seqs.push_back(s.getColumn(0).getInt64());
  }
  std::sort(seqs.begin(), seqs.end());
  // The unary + keeps SQLite on the seq range instead of events_ts.
  Statement s(db, "SELECT " + EventColumnList() + " FROM events WHERE seq>=? AND seq<=? AND +ts>=? AND +ts<?" +
                      RowConditions(q));
  Event e;
  for (const SeqRun& run : RunsOf(seqs)) {
    s.reset();
    s.bind(1, run.first);
    s.bind(2, run.last);
    s.bind(3, static_cast<int64_t>(q.period.start));
    s.bind(4, static_cast<int64_t>(q.period.end));
    BindRowConditions(s, 5, q);
    while (s.executeStep()) {
      ReadEventColumns(s, 0, &e);
      METER_RETURN_IF_ERROR(fn(e));
    }
  }
  return Status::OK();
}

}  // namespace

Status ReportStore::ForEachEvent(const EventQuery& q,
                                 const std::function<Status(const Event&)>& fn) {
  return Guarded(db_, [&]() -> Status {
    if (q.storage_order && q.tenant.empty() && q.tenants.empty() && Dialect(db_) == Backend::kSqlite)
      return ForEachEventBySeq(db_, q, fn);
    Statement s(db_, EventSql(q));
    int n = 1;
    s.bind(n++, static_cast<int64_t>(q.period.start));
    s.bind(n++, static_cast<int64_t>(q.period.end));
    if (!q.tenant.empty()) s.bind(n++, q.tenant);
    for (const auto& t : q.tenants) s.bind(n++, t);
    BindRowConditions(s, n, q);
    Event e;
    while (s.executeStep()) {
      ReadEventColumns(s, 0, &e);
      METER_RETURN_IF_ERROR(fn(e));
    }
    return Status::OK();
  });
}

}  // namespace meter::store
