#include "usage/ratelimit.h"

#include <fmt/format.h>

#include <algorithm>

#include "usage/units.h"

namespace meter::usage {

using Level = __int128;

namespace {

Level LevelOf(const store::RateBucketRecord& b) { return static_cast<Level>(b.tokens_micros) * b.per_us + b.remainder; }

void SetLevel(store::RateBucketRecord* b, Level level) {
  b->tokens_micros = static_cast<int64_t>(level / b->per_us);
  b->remainder = static_cast<int64_t>(level % b->per_us);
}

// Microseconds until `level` grows by `missing` (> 0) at the bucket's refill
// rate, rounded up; nullopt without refill.
std::optional<int64_t> TimeToGain(Level missing, const BucketConfig& cfg) {
  if (missing <= 0) return 0;
  if (cfg.refill_micros == 0) return std::nullopt;
  return static_cast<int64_t>((missing + cfg.refill_micros - 1) / cfg.refill_micros);
}

Decimal TokensOf(const store::RateBucketRecord& b) { return FromMicros(b.tokens_micros); }

}  // namespace

Result<BucketConfig> ResolveBucketConfig(const catalog::Plan* plan, const BucketFlags& flags,
                                         const std::string& tenant) {
  std::optional<catalog::RateLimit> rl = plan ? plan->rate_limit : std::nullopt;
  if (!rl && !flags.capacity)
    return Status::InvalidArgument(fmt::format(
        "tenant '{}' has no rate limit: plan '{}' sets no rate_limit; pass --capacity (and --refill, --per)", tenant,
        plan ? plan->key : ""));
  Decimal capacity = flags.capacity.value_or(rl ? rl->capacity : Decimal());
  Decimal refill = flags.refill.value_or(rl ? rl->refill : Decimal());
  int64_t per_ms = flags.per_ms.value_or(rl ? rl->per_ms : 1000);
  if (per_ms <= 0) return Status::InvalidArgument("--per must be a positive duration such as 1s or 1m");
  BucketConfig cfg;
  METER_ASSIGN_OR_RETURN(cfg.capacity_micros, ToMicros(capacity, "--capacity"));
  METER_ASSIGN_OR_RETURN(cfg.refill_micros, ToMicros(refill, "--refill"));
  if (cfg.capacity_micros == 0) return Status::InvalidArgument("--capacity must be greater than 0");
  if (per_ms > INT64_MAX / 1000) return Status::InvalidArgument("--per is out of range");
  cfg.per_us = per_ms * 1000;
  return cfg;
}

store::RateBucketRecord NewBucket(const std::string& tenant, const std::string& key, const BucketConfig& cfg,
                                  int64_t now_us) {
  return {tenant, key, cfg.capacity_micros, 0, now_us, cfg.capacity_micros, cfg.refill_micros, cfg.per_us};
}

store::RateBucketRecord Refilled(const store::RateBucketRecord& b, const BucketConfig& cfg, int64_t now_us) {
  store::RateBucketRecord out = b;
  // A new period length rescales the level; the sub-micro-token remainder
  // of the old one is dropped.
  Level level = b.per_us == cfg.per_us ? LevelOf(b) : static_cast<Level>(b.tokens_micros) * cfg.per_us;
  out.per_us = cfg.per_us;
  out.capacity_micros = cfg.capacity_micros;
  out.refill_micros = cfg.refill_micros;
  // Processes started with --now can run slightly behind one another: time
  // never runs backwards for a bucket.
  int64_t elapsed = std::max<int64_t>(0, now_us - b.updated_us);
  level += static_cast<Level>(elapsed) * cfg.refill_micros;
  Level cap = static_cast<Level>(cfg.capacity_micros) * cfg.per_us;
  SetLevel(&out, std::min(level, cap));
  out.updated_us = std::max(now_us, b.updated_us);
  return out;
}

TakeResult ApplyTake(store::RateBucketRecord* b, const BucketConfig& cfg, int64_t cost_micros) {
  TakeResult r;
  Level level = LevelOf(*b), need = static_cast<Level>(cost_micros) * cfg.per_us;
  Level cap = static_cast<Level>(cfg.capacity_micros) * cfg.per_us;
  r.allowed = level >= need;
  if (r.allowed) {
    level -= need;
    SetLevel(b, level);
    r.retry_after_us = 0;
  } else if (cost_micros <= cfg.capacity_micros) {
    r.retry_after_us = TimeToGain(need - level, cfg);
  }
  r.reset_after_us = TimeToGain(cap - level, cfg);
  r.limit = FromMicros(cfg.capacity_micros);
  r.tokens = TokensOf(*b);
  r.remaining = Decimal::FromInt(b->tokens_micros / 1000000);
  return r;
}

Result<TakeResult> TakeTokens(store::Database& db, const std::string& tenant, const std::string& key,
                              const Decimal& cost, const BucketConfig& cfg, int64_t now_us) {
  METER_ASSIGN_OR_RETURN(int64_t cost_micros, ToMicros(cost, "--cost"));
  TakeResult result;
  store::RateBucketStore buckets(db);
  METER_RETURN_IF_ERROR(db.Transaction([&]() -> Status {
    METER_ASSIGN_OR_RETURN(auto stored, buckets.Get(tenant, key));
    store::RateBucketRecord b = stored ? Refilled(*stored, cfg, now_us) : NewBucket(tenant, key, cfg, now_us);
    result = ApplyTake(&b, cfg, cost_micros);
    return buckets.Put(b);
  }));
  return result;
}

Result<std::vector<BucketView>> ListBuckets(store::Database& db, const std::string& tenant, int64_t now_us) {
  METER_ASSIGN_OR_RETURN(auto stored, store::RateBucketStore(db).List(tenant));
  std::vector<BucketView> out;
  for (const auto& s : stored) {
    BucketConfig cfg{s.capacity_micros, s.refill_micros, s.per_us};
    store::RateBucketRecord b = Refilled(s, cfg, now_us);
    Level cap = static_cast<Level>(cfg.capacity_micros) * cfg.per_us;
    out.push_back({s.tenant, s.key, cfg, TokensOf(b), TimeToGain(cap - LevelOf(b), cfg), s.updated_us});
  }
  return out;
}

Result<int64_t> ResetBuckets(store::Database& db, const std::string& tenant, const std::string& key) {
  int64_t n = 0;
  METER_RETURN_IF_ERROR(db.Transaction([&]() -> Status {
    METER_ASSIGN_OR_RETURN(n, store::RateBucketStore(db).Delete(tenant, key));
    return Status::OK();
  }));
  return n;
}

}  // namespace meter::usage
