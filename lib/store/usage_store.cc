#include "store/usage_store.h"

#include "store/statement.h"

namespace meter::store {

// ---- reservations ----

Result<std::optional<ReservationRecord>> ReservationStore::Find(const std::string& id) {
  return Guarded(db_, [&]() -> Result<std::optional<ReservationRecord>> {
    Statement& q = Cached(db_,
        "SELECT tenant_id, meter, amount, allowed, decision, created_at FROM quota_reservations WHERE id=?");
    q.bind(1, id);
    if (!q.executeStep()) return std::optional<ReservationRecord>();
    ReservationRecord r{id, q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64(),
                        q.getColumn(3).getInt() != 0, q.getColumn(4).getString(), q.getColumn(5).getInt64()};
    return std::optional<ReservationRecord>(std::move(r));
  });
}

Status ReservationStore::Insert(const ReservationRecord& r) {
  return Guarded(db_, [&]() -> Status {
    Statement& q = Cached(db_,
        "INSERT INTO quota_reservations(id, tenant_id, meter, amount, allowed, decision, created_at) "
        "VALUES(?,?,?,?,?,?,?)");
    q.bind(1, r.id);
    q.bind(2, r.tenant);
    q.bind(3, r.meter);
    q.bind(4, r.amount_micros);
    q.bind(5, r.allowed ? 1 : 0);
    q.bind(6, r.decision);
    q.bind(7, static_cast<int64_t>(r.created_at));
    q.exec();
    return Status::OK();
  });
}

// ---- alerts ----

Result<std::optional<int64_t>> AlertStore::InsertIfNew(const AlertRecord& a) {
  return Guarded(db_, [&]() -> Result<std::optional<int64_t>> {
    Statement& q = Cached(db_,
        "INSERT INTO usage_alerts(tenant_id, meter, threshold, period_start, period_end, used, "
        "limit_value, message_id, created_at) VALUES(?,?,?,?,?,?,?,?,?) "
        "ON CONFLICT(tenant_id, meter, threshold, period_start) DO NOTHING RETURNING id");
    q.bind(1, a.tenant);
    q.bind(2, a.meter);
    q.bind(3, a.threshold);
    q.bind(4, static_cast<int64_t>(a.period_start));
    q.bind(5, static_cast<int64_t>(a.period_end));
    q.bind(6, a.used_micros);
    q.bind(7, a.limit_micros);
    q.bind(8, a.message_id);
    q.bind(9, static_cast<int64_t>(a.created_at));
    if (!q.executeStep()) return std::optional<int64_t>();
    std::optional<int64_t> id = q.getColumn(0).getInt64();
    q.exec();  // to the end: the statement is cached
    return id;
  });
}

Status AlertStore::SetMessage(int64_t id, const std::string& message_id) {
  return Guarded(db_, [&]() -> Status {
    Statement& q = Cached(db_, "UPDATE usage_alerts SET message_id=? WHERE id=?");
    q.bind(1, message_id);
    q.bind(2, id);
    q.exec();
    return Status::OK();
  });
}

Result<std::vector<AlertRecord>> AlertStore::List(const std::string& tenant) {
  return Guarded(db_, [&]() -> Result<std::vector<AlertRecord>> {
    Statement q(db_, "SELECT id, tenant_id, meter, threshold, period_start, period_end, used, limit_value, "
        "COALESCE(message_id, ''), created_at FROM usage_alerts WHERE (?1 = '' OR tenant_id = ?1) "
        "ORDER BY created_at DESC, id DESC");
    q.bind(1, tenant);
    std::vector<AlertRecord> out;
    while (q.executeStep()) {
      AlertRecord a;
      a.id = q.getColumn(0).getInt64();
      a.tenant = q.getColumn(1).getString();
      a.meter = q.getColumn(2).getString();
      a.threshold = q.getColumn(3).getInt();
      a.period_start = q.getColumn(4).getInt64();
      a.period_end = q.getColumn(5).getInt64();
      a.used_micros = q.getColumn(6).getInt64();
      a.limit_micros = q.getColumn(7).getInt64();
      a.message_id = q.getColumn(8).getString();
      a.created_at = q.getColumn(9).getInt64();
      out.push_back(std::move(a));
    }
    return out;
  });
}

// ---- rate-limit buckets ----

namespace {

constexpr const char* kBucketColumns =
    "tenant_id, key, tokens, remainder, updated_us, capacity, refill, per_us";

RateBucketRecord ReadBucket(Statement& q) {
  return {q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64(),
          q.getColumn(3).getInt64(),  q.getColumn(4).getInt64(),  q.getColumn(5).getInt64(),
          q.getColumn(6).getInt64(),  q.getColumn(7).getInt64()};
}

}  // namespace

Result<std::optional<RateBucketRecord>> RateBucketStore::Get(const std::string& tenant, const std::string& key) {
  return Guarded(db_, [&]() -> Result<std::optional<RateBucketRecord>> {
    Statement& q =
        Cached(db_, std::string("SELECT ") + kBucketColumns + " FROM rate_buckets WHERE tenant_id=? AND key=?");
    q.bind(1, tenant);
    q.bind(2, key);
    if (!q.executeStep()) return std::optional<RateBucketRecord>();
    return std::optional<RateBucketRecord>(ReadBucket(q));
  });
}

Status RateBucketStore::Put(const RateBucketRecord& b) {
  return Guarded(db_, [&]() -> Status {
    Statement& q = Cached(db_, std::string("INSERT INTO rate_buckets(") + kBucketColumns +
                                             ") VALUES(?,?,?,?,?,?,?,?) ON CONFLICT(tenant_id, key) DO UPDATE SET "
                                             "tokens=excluded.tokens, remainder=excluded.remainder, "
                                             "updated_us=excluded.updated_us, capacity=excluded.capacity, "
                                             "refill=excluded.refill, per_us=excluded.per_us");
    q.bind(1, b.tenant);
    q.bind(2, b.key);
    q.bind(3, b.tokens_micros);
    q.bind(4, b.remainder);
    q.bind(5, b.updated_us);
    q.bind(6, b.capacity_micros);
    q.bind(7, b.refill_micros);
    q.bind(8, b.per_us);
    q.exec();
    return Status::OK();
  });
}

Result<std::vector<RateBucketRecord>> RateBucketStore::List(const std::string& tenant) {
  return Guarded(db_, [&]() -> Result<std::vector<RateBucketRecord>> {
    Statement q(db_, std::string("SELECT ") + kBucketColumns +
                                      " FROM rate_buckets WHERE (?1 = '' OR tenant_id = ?1) ORDER BY tenant_id, key");
    q.bind(1, tenant);
    std::vector<RateBucketRecord> out;
    while (q.executeStep()) out.push_back(ReadBucket(q));
    return out;
  });
}

Result<int64_t> RateBucketStore::Delete(const std::string& tenant, const std::string& key) {
  return Guarded(db_, [&]() -> Result<int64_t> {
    Statement q(db_, "DELETE FROM rate_buckets WHERE tenant_id=?1 AND (?2 = '' OR key = ?2)");
    q.bind(1, tenant);
    q.bind(2, key);
    return static_cast<int64_t>(q.exec());
  });
}

}  // namespace meter::store
