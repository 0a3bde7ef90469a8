// Token-bucket rate limits (SPEC section 6): one bucket per (tenant, key)
// holding up to `capacity` tokens, refilled continuously at `refill` tokens
// per `per`. State lives in the database and each take is one write
// transaction, so N concurrent takes against a full bucket of capacity C
// allow exactly min(N, C). Arithmetic is exact: micro-tokens and
// microseconds from Clock::NowMicros(), no floating point.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"
#include "store/database.h"
#include "store/usage_store.h"

namespace meter::usage {

struct BucketConfig {
  int64_t capacity_micros = 0;
  int64_t refill_micros = 0;  // tokens added per `per_us`, in micro-tokens
  int64_t per_us = 1000000;
};

// Values given on the command line; each replaces the plan's.
struct BucketFlags {
  std::optional<Decimal> capacity;
  std::optional<Decimal> refill;
  std::optional<int64_t> per_ms;
};

// The bucket configuration from the plan's rate_limit with `flags` laid over
// it. Without a plan rate_limit, --capacity is required (refill defaults to
// 0, per to 1 s). InvalidArgument naming what is missing or out of range.
Result<BucketConfig> ResolveBucketConfig(const catalog::Plan* plan, const BucketFlags& flags,
                                         const std::string& tenant);

// `b` brought to `now_us` under `cfg`: refilled for the time elapsed since
// it was last updated (never backwards), capped at capacity. A new bucket
// (updated_us == 0 and no tokens) is not special here; see NewBucket.
store::RateBucketRecord Refilled(const store::RateBucketRecord& b, const BucketConfig& cfg, int64_t now_us);

// A full bucket as of `now_us`.
store::RateBucketRecord NewBucket(const std::string& tenant, const std::string& key, const BucketConfig& cfg,
                                  int64_t now_us);

struct TakeResult {
  bool allowed = false;
  Decimal limit;      // the capacity
  Decimal remaining;  // whole tokens left after this take (rounded down)
  Decimal tokens;     // the exact level after this take, to 6 decimals
  // Time until `cost` tokens are available (0 when allowed); nullopt when
  // they never will be (no refill, or cost above capacity).
  std::optional<int64_t> retry_after_us;
  // Time until the bucket is full again; nullopt when it never refills.
  std::optional<int64_t> reset_after_us;
};

// The outcome a bucket level gives for a take of `cost_micros` (pure; the
// bucket must already be refilled to now). Updates `b` when allowed.
TakeResult ApplyTake(store::RateBucketRecord* b, const BucketConfig& cfg, int64_t cost_micros);

// Takes `cost` tokens from (tenant, key) at `now_us` in one write
// transaction. InvalidArgument for a negative or over-precise cost.
Result<TakeResult> TakeTokens(store::Database& db, const std::string& tenant, const std::string& key,
                              const Decimal& cost, const BucketConfig& cfg, int64_t now_us);

struct BucketView {
  std::string tenant;
  std::string key;
  BucketConfig config;
  Decimal tokens;  // refilled to now, 6 decimals
  std::optional<int64_t> reset_after_us;
  int64_t updated_us = 0;
};

// Every stored bucket (of one tenant when `tenant` is not empty) as of
// `now_us`, without changing them.
Result<std::vector<BucketView>> ListBuckets(store::Database& db, const std::string& tenant, int64_t now_us);

// Deletes the tenant's bucket `key` (all its buckets when empty), so the
// next take starts full. Returns how many were deleted.
Result<int64_t> ResetBuckets(store::Database& db, const std::string& tenant, const std::string& key);

}  // namespace meter::usage
