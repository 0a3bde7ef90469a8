// Token buckets: configuration from the plan and flags, exact refill
// arithmetic, and takes against a real database.
#include <doctest/doctest.h>

#include "catalog/catalog.h"
#include "support/temp_db.h"
#include "usage/ratelimit.h"

namespace meter::usage {
namespace {

constexpr int64_t kSecond = 1000000;

BucketConfig Config(int64_t capacity, int64_t refill, int64_t per_s) {
  return {capacity * 1000000, refill * 1000000, per_s * kSecond};
}

TEST_CASE("ratelimit: configuration from the plan, flags over it, refusals") {
  catalog::Plan plan;
  plan.key = "pro";
  plan.rate_limit = catalog::RateLimit{Dec("100"), Dec("100"), 60000};
  auto c = ResolveBucketConfig(&plan, {}, "acme");
  REQUIRE(c.ok());
  CHECK(c->capacity_micros == 100000000);
  CHECK(c->refill_micros == 100000000);
  CHECK(c->per_us == 60 * kSecond);

  auto flagged = ResolveBucketConfig(&plan, {Dec("5"), std::nullopt, 1000}, "acme");
  REQUIRE(flagged.ok());
  CHECK(flagged->capacity_micros == 5000000);
  CHECK(flagged->refill_micros == 100000000);
  CHECK(flagged->per_us == kSecond);

  catalog::Plan bare;
  bare.key = "bare";
  auto none = ResolveBucketConfig(&bare, {}, "acme");
  REQUIRE_FALSE(none.ok());
  CHECK(none.status().IsInvalidArgument());
  CHECK(none.status().message().find("--capacity") != std::string::npos);
  auto only_capacity = ResolveBucketConfig(&bare, {Dec("3"), std::nullopt, std::nullopt}, "acme");
  REQUIRE(only_capacity.ok());
  CHECK(only_capacity->refill_micros == 0);

  const BucketFlags refused[] = {
      {Dec("0"), std::nullopt, std::nullopt},          // no capacity
      {Dec("1"), std::nullopt, 0},                     // no period
      {Dec("0.0000001"), std::nullopt, std::nullopt},  // finer than a micro-token
  };
  for (const auto& f : refused) CHECK(ResolveBucketConfig(&bare, f, "acme").status().IsInvalidArgument());
}

TEST_CASE("ratelimit: 100 takes pass, the 101st waits exactly 0.6 s") {
  BucketConfig cfg = Config(100, 100, 60);
  store::RateBucketRecord b = NewBucket("acme", "default", cfg, 0);
  for (int i = 0; i < 100; ++i) REQUIRE(ApplyTake(&b, cfg, 1000000).allowed);
  TakeResult denied = ApplyTake(&b, cfg, 1000000);
  CHECK_FALSE(denied.allowed);
  CHECK(denied.retry_after_us == 600000);
  CHECK(denied.reset_after_us == 60 * kSecond);
  CHECK(denied.remaining == Decimal());

  store::RateBucketRecord later = Refilled(b, cfg, 599999);
  CHECK_FALSE(ApplyTake(&later, cfg, 1000000).allowed);
  later = Refilled(b, cfg, 600000);
  TakeResult one = ApplyTake(&later, cfg, 1000000);
  CHECK(one.allowed);
  CHECK(one.retry_after_us == 0);
  CHECK(one.tokens == Decimal());
}

TEST_CASE("ratelimit: refill in many small steps equals one step (no drift)") {
  // 7 tokens per second is 142857.142... us per token: not a whole number.
  BucketConfig cfg = Config(1000, 7, 1);
  store::RateBucketRecord b = NewBucket("t", "k", cfg, 0);
  b.tokens_micros = 0;
  store::RateBucketRecord stepped = b;
  for (int64_t t = 1; t <= 3000; ++t) stepped = Refilled(stepped, cfg, t * 1000);  // 3 s in 1 ms steps
  store::RateBucketRecord once = Refilled(b, cfg, 3000 * 1000);
  CHECK(stepped.tokens_micros == once.tokens_micros);
  CHECK(stepped.remainder == once.remainder);
  CHECK(once.tokens_micros == 21000000);

  // Time never runs backwards for a bucket.
  store::RateBucketRecord back = Refilled(once, cfg, 1000);
  CHECK(back.tokens_micros == once.tokens_micros);
  CHECK(back.updated_us == once.updated_us);
  // A full bucket stays at capacity.
  CHECK(Refilled(b, cfg, 1000 * kSecond).tokens_micros == 1000000000);
}

TEST_CASE("ratelimit: a cost above capacity or without refill never becomes possible") {
  BucketConfig cfg = Config(3, 0, 1);
  store::RateBucketRecord b = NewBucket("t", "k", cfg, 0);
  TakeResult too_big = ApplyTake(&b, cfg, 4000000);
  CHECK_FALSE(too_big.allowed);
  CHECK_FALSE(too_big.retry_after_us.has_value());
  for (int i = 0; i < 3; ++i) REQUIRE(ApplyTake(&b, cfg, 1000000).allowed);
  TakeResult empty = ApplyTake(&b, cfg, 1000000);
  CHECK_FALSE(empty.allowed);
  CHECK_FALSE(empty.retry_after_us.has_value());
  CHECK_FALSE(empty.reset_after_us.has_value());
}

TEST_CASE("ratelimit: takes, listing and resets against the database") {
  testing::TempDb t;
  BucketConfig cfg = Config(2, 1, 1);
  auto take = [&](const char* tenant, const char* key, int64_t now) {
    auto r = TakeTokens(*t.db, tenant, key, Dec("1"), cfg, now);
    REQUIRE(r.ok());
    return r->allowed;
  };
  CHECK(take("acme", "default", 0));
  CHECK(take("acme", "default", 0));
  CHECK_FALSE(take("acme", "default", 0));
  CHECK(take("acme", "other", 0));
  CHECK(take("beta", "default", 0));
  CHECK(take("acme", "default", kSecond));  // one token refilled

  auto listed = ListBuckets(*t.db, "acme", kSecond + kSecond / 2);
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].key == "default");
  CHECK((*listed)[0].tokens == Dec("0.5"));
  CHECK((*listed)[0].reset_after_us == kSecond + kSecond / 2);

  CHECK(*ResetBuckets(*t.db, "acme", "default") == 1);
  CHECK(take("acme", "default", kSecond));
  CHECK(*ResetBuckets(*t.db, "acme", "") == 2);
  CHECK(ListBuckets(*t.db, "acme", 0)->empty());
  CHECK(ListBuckets(*t.db, "", 0)->size() == 1);
  CHECK(TakeTokens(*t.db, "acme", "default", Dec("-1"), cfg, 0).status().IsInvalidArgument());
}

}  // namespace
}  // namespace meter::usage
