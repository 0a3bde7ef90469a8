#include "store/rollup_store.h"

#include <fmt/format.h>

#include "store/stage.h"
#include "store/statement.h"

namespace meter::store {

std::string_view RollupPeriodName(RollupPeriod p) {
  switch (p) {
    case RollupPeriod::kHour: return "hour";
    case RollupPeriod::kDay: return "day";
    case RollupPeriod::kMonth: return "month";
  }
  return "";
}

Result<RollupPeriod> ParseRollupPeriod(std::string_view name) {
  if (name == "hour") return RollupPeriod::kHour;
  if (name == "day") return RollupPeriod::kDay;
  if (name == "month") return RollupPeriod::kMonth;
  return Status::InvalidArgument(fmt::format("unknown period '{}' (hour, day, month)", name));
}

namespace {

void BindWindow(Statement& q, int first, const BucketWindow& w) {
  q.bind(first, static_cast<int64_t>(w.from.value_or(INT64_MIN / 2)));
  q.bind(first + 1, static_cast<int64_t>(w.to.value_or(INT64_MAX / 2)));
}

// PostgreSQL: the buckets by COPY into a temporary table, then one upsert
// of the non-empty ones and one delete of the emptied ones (a round trip per
// bucket cost more than the rest of `aggregate`). The buckets have distinct
// (tenant, bucket) keys. The delete probes the primary key once per bucket
// (LATERAL ... LIMIT 1) and deletes by row address: left to itself the
// planner may scan the rollups once per bucket, not knowing the temporary
// table's size. Throws on failures (the caller is Guarded).
void PutBucketsStaged(Database& db, const std::string& period, const std::string& meter,
                      const std::vector<RollupBucket>& buckets) {
  static const std::string kStage = "meter_rollup_stage";
  EmptyStage(db, kStage, "SELECT tenant_id, bucket, value, events, latest_ts FROM usage_rollups");
  BulkInsert rows(db, kStage, {"tenant_id", "bucket", "value", "events", "latest_ts"});
  int64_t empty = 0;
  for (const RollupBucket& b : buckets) {
    if (b.value == 0 && b.events == 0) ++empty;
    rows.add(b.tenant);
    rows.add(static_cast<int64_t>(b.bucket));
    rows.add(b.value);
    rows.add(b.events);
    rows.add(static_cast<int64_t>(b.latest_ts));
    rows.endRow();
  }
  if (rows.finish() == 0) return;
  auto run = [&](const std::string& sql) {  // for this period and meter
    Statement& q = Cached(db, sql);
    q.bind(1, period);
    q.bind(2, meter);
    q.exec();
  };
  if (empty < static_cast<int64_t>(buckets.size()))
    run("INSERT INTO usage_rollups(period, meter, tenant_id, bucket, value, events, latest_ts) "
        "SELECT ?, ?, tenant_id, bucket, value, events, latest_ts FROM " + kStage + " WHERE value <> 0 OR events <> 0 "
        "ON CONFLICT(period, meter, tenant_id, bucket) DO UPDATE SET value = excluded.value, "
        "events = excluded.events, latest_ts = excluded.latest_ts");
  if (empty > 0)
    run("DELETE FROM usage_rollups WHERE ctid = ANY(ARRAY(SELECT r.ctid FROM " + kStage + " s, LATERAL "
        "(SELECT ctid FROM usage_rollups x WHERE x.period = ? AND x.meter = ? AND x.tenant_id = s.tenant_id "
        "AND x.bucket = s.bucket LIMIT 1) r WHERE s.value = 0 AND s.events = 0))");
}

}  // namespace

Result<std::vector<RollupWatermark>> RollupStore::Watermarks() {
  return Guarded(db_, [&]() -> Result<std::vector<RollupWatermark>> {
    std::vector<RollupWatermark> out;
    Statement q(db_, "SELECT period, meter, definition, last_seq FROM usage_rollup_state");
    while (q.executeStep()) {
      auto p = ParseRollupPeriod(q.getColumn(0).getString());
      if (!p.ok()) continue;
      out.push_back({*p, q.getColumn(1).getString(), q.getColumn(2).getString(), q.getColumn(3).getInt64()});
    }
    return out;
  });
}

Result<int64_t> RollupStore::LastEventSeq() {
  return Guarded(db_, [&]() -> Result<int64_t> {
    Statement q(db_, "SELECT COALESCE(MAX(seq), 0) FROM events");
    q.executeStep();
    return q.getColumn(0).getInt64();
  });
}

Status RollupStore::Restart(RollupPeriod p, const std::string& meter, const std::string& definition, Timestamp now) {
  return Guarded(db_, [&]() -> Status {
    METER_RETURN_IF_ERROR(Forget(p, meter));
    Statement q(db_,
        "INSERT INTO usage_rollup_state(period, meter, definition, last_seq, updated_at) VALUES(?,?,?,0,?)");
    q.bind(1, std::string(RollupPeriodName(p)));
    q.bind(2, meter);
    q.bind(3, definition);
    q.bind(4, static_cast<int64_t>(now));
    q.exec();
    return Status::OK();
  });
}

Status RollupStore::Forget(RollupPeriod p, const std::string& meter) {
  return Guarded(db_, [&]() -> Status {
    for (const char* table : {"usage_rollups", "usage_rollup_uniques", "usage_rollup_state"}) {
      Statement q(db_, fmt::format("DELETE FROM {} WHERE period=? AND meter=?", table));
      q.bind(1, std::string(RollupPeriodName(p)));
      q.bind(2, meter);
      q.exec();
    }
    return Status::OK();
  });
}

Status RollupStore::SetWatermark(RollupPeriod p, const std::string& meter, int64_t last_seq, Timestamp now) {
  return Guarded(db_, [&]() -> Status {
    Statement& q =
        Cached(db_, "UPDATE usage_rollup_state SET last_seq=?, updated_at=? WHERE period=? AND meter=?");
    q.bind(1, last_seq);
    q.bind(2, static_cast<int64_t>(now));
    q.bind(3, std::string(RollupPeriodName(p)));
    q.bind(4, meter);
    q.exec();
    return Status::OK();
  });
}

Result<std::vector<TouchedHour>> RollupStore::TouchedHours(const std::vector<std::string>& metrics, int64_t after,
                                                           int64_t upto) {
  return Guarded(db_, [&]() -> Result<std::vector<TouchedHour>> {
    std::vector<TouchedHour> out;
    if (metrics.empty()) return out;
    std::string in;
    for (size_t i = 0; i < metrics.size(); ++i) in += i ? ",?" : "?";
    Statement q(db_, fmt::format(
        "SELECT tenant_id, metric, ts / 3600000 * 3600000 AS h, COUNT(*) FROM events "
        "WHERE seq > ? AND seq <= ? AND metric IN ({}) GROUP BY tenant_id, metric, h", in));
    q.bind(1, after);
    q.bind(2, upto);
    for (size_t i = 0; i < metrics.size(); ++i) q.bind(static_cast<int>(i) + 3, metrics[i]);
    while (q.executeStep())
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64(),
                     q.getColumn(3).getInt64()});
    return out;
  });
}

Status RollupStore::PutBuckets(RollupPeriod p, const std::string& meter, const std::vector<RollupBucket>& buckets) {
  return Guarded(db_, [&]() -> Status {
    std::string period(RollupPeriodName(p));
    if (Dialect(db_) == Backend::kPostgres) {
      PutBucketsStaged(db_, period, meter, buckets);
      return Status::OK();
    }
    Statement& put = Cached(db_,
        "INSERT INTO usage_rollups(period, meter, tenant_id, bucket, value, events, latest_ts) VALUES(?,?,?,?,?,?,?) "
        "ON CONFLICT(period, meter, tenant_id, bucket) DO UPDATE SET value = excluded.value, "
        "events = excluded.events, latest_ts = excluded.latest_ts");
    for (const RollupBucket& b : buckets) {
      if (b.value == 0 && b.events == 0) continue;
      put.reset();
      put.bind(1, period);
      put.bind(2, meter);
      put.bind(3, b.tenant);
      put.bind(4, static_cast<int64_t>(b.bucket));
      put.bind(5, b.value);
      put.bind(6, b.events);
      put.bind(7, static_cast<int64_t>(b.latest_ts));
      put.exec();
    }
    Statement& del =
        Cached(db_, "DELETE FROM usage_rollups WHERE period=? AND meter=? AND tenant_id=? AND bucket=?");
    for (const RollupBucket& b : buckets) {
      if (b.value != 0 || b.events != 0) continue;
      del.reset();
      del.bind(1, period);
      del.bind(2, meter);
      del.bind(3, b.tenant);
      del.bind(4, static_cast<int64_t>(b.bucket));
      del.exec();
    }
    return Status::OK();
  });
}

Status RollupStore::DeleteBuckets(RollupPeriod p, const std::string& meter, const BucketWindow& w) {
  return Guarded(db_, [&]() -> Status {
    Statement q(db_, "DELETE FROM usage_rollups WHERE period=?1 AND meter=?2 AND bucket >= ?3 AND bucket < ?4");
    q.bind(1, std::string(RollupPeriodName(p)));
    q.bind(2, meter);
    BindWindow(q, 3, w);
    q.exec();
    return Status::OK();
  });
}

Result<std::vector<RollupBucket>> RollupStore::Buckets(RollupPeriod p, const std::string& meter,
                                                       const BucketWindow& w, const std::string& tenant) {
  return Guarded(db_, [&]() -> Result<std::vector<RollupBucket>> {
    Statement q(db_,
        "SELECT tenant_id, bucket, value, events, COALESCE(latest_ts, 0) FROM usage_rollups "
        "WHERE period=?1 AND meter=?2 AND bucket >= ?3 AND bucket < ?4 AND (?5 = '' OR tenant_id = ?5) "
        "ORDER BY tenant_id, bucket");
    q.bind(1, std::string(RollupPeriodName(p)));
    q.bind(2, meter);
    BindWindow(q, 3, w);
    q.bind(5, tenant);
    std::vector<RollupBucket> out;
    while (q.executeStep())
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64(),
                     q.getColumn(3).getInt64(), q.getColumn(4).getInt64()});
    return out;
  });
}

}  // namespace meter::store
