// Stores for lib/usage: quota reservations (idempotency by id), threshold
// alerts, and token-bucket rate-limit state. Quantities are integer
// millionths of a unit (kQuantityPlaces); every write joins the caller's
// transaction, so a check and its write commit together.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::store {

// The decision `quota reserve` made for one reservation id.
struct ReservationRecord {
  std::string id;
  std::string tenant;
  std::string meter;
  int64_t amount_micros = 0;
  bool allowed = false;
  std::string decision;  // the decision document (JSON text) returned again on a retry
  Timestamp created_at = 0;
};

class ReservationStore {
 public:
  explicit ReservationStore(Database& db) : db_(db) {}
  // The reservation recorded under `id`, or nullopt.
  Result<std::optional<ReservationRecord>> Find(const std::string& id);
  // Records a reservation; refuses (Internal) an id already present, which
  // the caller rules out by calling Find in the same transaction.
  Status Insert(const ReservationRecord& r);

 private:
  Database& db_;
};

// One threshold alert: `tenant`'s usage of `meter` reached `threshold` % of
// its limit in the period [period_start, period_end).
struct AlertRecord {
  int64_t id = 0;
  std::string tenant;
  std::string meter;
  int threshold = 0;
  Timestamp period_start = 0;
  Timestamp period_end = 0;
  int64_t used_micros = 0;
  int64_t limit_micros = 0;
  std::string message_id;  // the queued usage.threshold_reached message
  Timestamp created_at = 0;
};

class AlertStore {
 public:
  explicit AlertStore(Database& db) : db_(db) {}
  // Inserts `a` unless an alert for the same tenant, meter, threshold and
  // period start exists (a unique constraint). Returns the new id, or
  // nullopt when it existed.
  Result<std::optional<int64_t>> InsertIfNew(const AlertRecord& a);
  // Links alert `id` to the webhook message queued for it.
  Status SetMessage(int64_t id, const std::string& message_id);
  // Alerts newest first, of one tenant when `tenant` is not empty.
  Result<std::vector<AlertRecord>> List(const std::string& tenant);

 private:
  Database& db_;
};

// A token bucket's stored state. The level is kept exactly as
// tokens_micros * per_us + remainder (0 <= remainder < per_us) so continuous
// refill needs no rounding; capacity / refill / per are the configuration it
// was last used with.
struct RateBucketRecord {
  std::string tenant;
  std::string key;
  int64_t tokens_micros = 0;
  int64_t remainder = 0;
  int64_t updated_us = 0;
  int64_t capacity_micros = 0;
  int64_t refill_micros = 0;
  int64_t per_us = 0;
};

class RateBucketStore {
 public:
  explicit RateBucketStore(Database& db) : db_(db) {}
  // The stored bucket, or nullopt when it was never used (or was reset).
  Result<std::optional<RateBucketRecord>> Get(const std::string& tenant, const std::string& key);
  // Inserts or replaces the bucket.
  Status Put(const RateBucketRecord& b);
  // Buckets ordered by tenant and key, of one tenant when `tenant` is not empty.
  Result<std::vector<RateBucketRecord>> List(const std::string& tenant);
  // Deletes the bucket (every bucket of the tenant when `key` is empty);
  // returns how many were deleted.
  Result<int64_t> Delete(const std::string& tenant, const std::string& key);

 private:
  Database& db_;
};

}  // namespace meter::store
