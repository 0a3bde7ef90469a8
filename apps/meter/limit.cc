// limit take / status / reset: token-bucket rate limits (SPEC section 6).
#include <fmt/format.h>

#include "context.h"
#include "core/json_util.h"
#include "output.h"
#include "store/catalog_store.h"
#include "usage/ratelimit.h"
#include "usage/units.h"

namespace meter::cli {
namespace {

struct LimitArgs {
  std::string tenant, key = "default", cost = "1", capacity, refill, per, format = "text";
};

nlohmann::json OptionalSeconds(const std::optional<int64_t>& us) {
  return us ? usage::SecondsJson(*us) : nlohmann::json(nullptr);
}

std::string SecondsText(const std::optional<int64_t>& us) {
  return us ? usage::FromMicros(*us).ToString() + " s" : "never";
}

Result<Decimal> ParseFlagDecimal(const std::string& flag, const std::string& text) {
  auto d = Decimal::Parse(text);
  if (!d.ok()) return Status::InvalidArgument(flag + ": " + d.status().message());
  if (d->IsNegative()) return Status::InvalidArgument(flag + " must not be negative");
  return *d;
}

Result<usage::BucketFlags> ParseBucketFlags(const LimitArgs& a) {
  usage::BucketFlags f;
  if (!a.capacity.empty()) {
    METER_ASSIGN_OR_RETURN(f.capacity, ParseFlagDecimal("--capacity", a.capacity));
  }
  if (!a.refill.empty()) {
    METER_ASSIGN_OR_RETURN(f.refill, ParseFlagDecimal("--refill", a.refill));
  }
  if (!a.per.empty()) {
    auto ms = ParseDuration(a.per);
    if (!ms.ok()) return Status::InvalidArgument("--per: " + ms.status().message());
    f.per_ms = *ms;
  }
  return f;
}

// The tenant's bucket configuration: its plan's rate_limit with the flags over it.
Result<usage::BucketConfig> ConfigFor(store::Database& db, const LimitArgs& a, Timestamp now) {
  METER_ASSIGN_OR_RETURN(usage::BucketFlags flags, ParseBucketFlags(a));
  store::CatalogStore cs(db);
  METER_ASSIGN_OR_RETURN(catalog::Catalog c, cs.LoadForTenant(a.tenant, now));
  METER_ASSIGN_OR_RETURN(store::TenantRecord t, cs.GetTenant(a.tenant, now));
  return usage::ResolveBucketConfig(c.FindPlan(t.tenant.plan), flags, a.tenant);
}

int RunTake(const Context& ctx, const LimitArgs& a) {
  // The request's time is when the command starts, before it waits to open
  // the database or for the lock (buckets never run backwards, so an
  // earlier time read by a process that waited longer is harmless).
  int64_t now_us = Clock::NowMicros();
  auto cost = ParseFlagDecimal("--cost", a.cost);
  if (!cost.ok()) return ctx.Fail(cost.status());
  if (a.key.empty()) return ctx.Fail(Status::InvalidArgument("--key must not be empty"));
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  auto cfg = ConfigFor(**db, a, Clock::Now());
  if (!cfg.ok()) return ctx.Fail(cfg.status());
  auto r = usage::TakeTokens(**db, a.tenant, a.key, *cost, *cfg, now_us);
  if (!r.ok()) return ctx.Fail(r.status());
  if (ctx.json()) {
    PrintJson({{"allowed", r->allowed}, {"limit", JsonNumber(r->limit)},
               {"remaining", JsonNumber(r->remaining)}, {"retry_after", OptionalSeconds(r->retry_after_us)},
               {"reset_after", OptionalSeconds(r->reset_after_us)}});
  } else {
    fmt::print("{}: tenant {}, key {}: {} of {} tokens left (full in {})\n", r->allowed ? "allowed" : "denied",
               a.tenant, a.key, Thousands(r->tokens), Thousands(r->limit), SecondsText(r->reset_after_us));
  }
  if (r->allowed) return kExitOk;
  fmt::print(stderr, "meter: rate limit exceeded for tenant '{}' (key '{}'): {}\n", a.tenant, a.key,
             r->retry_after_us ? "retry after " + SecondsText(r->retry_after_us)
                               : "the bucket can never hold " + cost->ToString() + " tokens");
  return kExitDenied;
}

int RunStatus(const Context& ctx, const LimitArgs& a) {
  auto db = ctx.OpenDbReadOnly();
  if (!db.ok()) return ctx.Fail(db.status());
  if (!a.tenant.empty()) {
    if (auto t = store::CatalogStore(**db).GetTenant(a.tenant, Clock::Now()); !t.ok()) return ctx.Fail(t.status());
  }
  auto buckets = usage::ListBuckets(**db, a.tenant, Clock::NowMicros());
  if (!buckets.ok()) return ctx.Fail(buckets.status());
  if (ctx.json()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& b : *buckets)
      rows.push_back({{"tenant", b.tenant}, {"key", b.key}, {"tokens", JsonNumber(b.tokens)},
                      {"capacity", JsonNumber(usage::FromMicros(b.config.capacity_micros))},
                      {"refill", JsonNumber(usage::FromMicros(b.config.refill_micros))},
                      {"per", usage::SecondsJson(b.config.per_us)}, {"reset_after", OptionalSeconds(b.reset_after_us)},
                      {"updated_at", FormatRfc3339(b.updated_us / 1000)}});
    PrintJson({{"buckets", rows}});
    return kExitOk;
  }
  Table t({"tenant", "key", "tokens", "capacity", "refill", "per", "full in"}, {false, false, true, true, true, true, true});
  for (const auto& b : *buckets)
    t.Add({b.tenant, b.key, Thousands(b.tokens), Thousands(usage::FromMicros(b.config.capacity_micros)),
           Thousands(usage::FromMicros(b.config.refill_micros)), SecondsText(b.config.per_us),
           SecondsText(b.reset_after_us)});
  PrintTable(t, a.format);
  return kExitOk;
}

int RunReset(const Context& ctx, const LimitArgs& a, bool key_given) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  if (auto t = store::CatalogStore(**db).GetTenant(a.tenant, Clock::Now()); !t.ok()) return ctx.Fail(t.status());
  auto n = usage::ResetBuckets(**db, a.tenant, key_given ? a.key : "");
  if (!n.ok()) return ctx.Fail(n.status());
  if (ctx.json())
    PrintJson({{"tenant", a.tenant}, {"key", key_given ? nlohmann::json(a.key) : nlohmann::json(nullptr)},
               {"reset", *n}});
  ctx.Info(fmt::format("{} bucket{} of tenant {} reset (full again)", *n, *n == 1 ? "" : "s", a.tenant));
  return kExitOk;
}

}  // namespace

void RegisterLimitCommands(CLI::App& app, Context& ctx) {
  static LimitArgs a;
  auto* l = app.add_subcommand("limit", "Token-bucket rate limits per tenant and key (SPEC section 6)");
  l->require_subcommand(1);
  auto* take = AddCommand(*l, ctx, "take", "Take tokens from a bucket; exit 0 allowed, 1 denied",
                          [&ctx] { return RunTake(ctx, a); });
  take->add_option("--tenant", a.tenant, "Tenant id")->required();
  take->add_option("--key", a.key, "Bucket key within the tenant (default 'default')");
  take->add_option("--cost", a.cost, "Tokens to take (default 1)");
  take->add_option("--capacity", a.capacity, "Bucket capacity (else the plan's rate_limit)");
  take->add_option("--refill", a.refill, "Tokens refilled per --per (else the plan's; 0 = no refill)");
  take->add_option("--per", a.per, "Refill period such as 1s, 1m, 1h (else the plan's)");
  auto* status = AddCommand(*l, ctx, "status", "Buckets and their current levels", [&ctx] { return RunStatus(ctx, a); });
  status->add_option("--tenant", a.tenant, "Only this tenant");
  status->add_option("--format", a.format, "text or csv")->check(CLI::IsMember({"text", "csv"}));
  auto* reset = AddCommand(*l, ctx, "reset", "Refill a tenant's buckets (one key or all)", [] { return 0; });
  reset->add_option("--tenant", a.tenant, "Tenant id")->required();
  auto* key = reset->add_option("--key", a.key, "Only this key (default: all of the tenant's buckets)");
  reset->callback([&ctx, key] { ctx.action = [&ctx, key] { return RunReset(ctx, a, key->count() > 0); }; });
}

}  // namespace meter::cli
