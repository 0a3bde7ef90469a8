// Quotas: which limit applies, its period, the next plan up, the message
// texts, and checks and reservations against a real database.
#include <doctest/doctest.h>

#include "core/format.h"
#include "core/json_util.h"
#include "store/catalog_store.h"
#include "support/temp_db.h"
#include "support/usage_events.h"
#include "usage/entitlement.h"
#include "usage/quota.h"
#include "usage/units.h"

namespace meter::usage {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "api_calls"},
             {"key": "ai", "aggregation": "count"},
             {"key": "emails", "event": "ai", "aggregation": "count", "where": {"operation": "email"}},
             {"key": "tokens", "event": "llm", "value": "properties.usage.tokens"},
             {"key": "disk", "aggregation": "max"}],
  "plans": [
    {"key": "free", "base_price": "0", "overage": false, "features": {"api": true, "sso": false},
     "limits": [{"meter": "api_calls", "limit": 100, "period": "day"},
                {"meter": "ai", "limit": 10, "period": "month", "enforcement": "soft"}]},
    {"key": "pro", "base_price": "49", "features": {"api": true},
     "limits": [{"meter": "api_calls", "limit": 10000, "period": "day"},
                {"meter": "ai", "limit": 100, "period": "month", "enforcement": "soft"},
                {"meter": "tokens", "limit": 1000, "period": "month"}]},
    {"key": "team", "base_price": "99",
     "limits": [{"meter": "api_calls", "limit": 10000, "period": "day"}, {"meter": "ai", "limit": 50}]},
    {"key": "enterprise", "base_price": "299", "limits": [{"meter": "api_calls", "limit": null}]}],
  "tenants": [{"id": "freeco", "plan": "free"},
              {"id": "proco", "plan": "pro", "timezone": "Asia/Tokyo"},
              {"id": "big", "plan": "pro", "overrides": {"limits": {"api_calls": 20000, "ai": null}}}]})";

struct Fixture : testing::UsageDb {
  Fixture() : UsageDb(kCatalog, At("2026-02-04T12:00:00Z")) {}
  void Use(const std::string& id, const std::string& tenant, const std::string& metric, const char* ts,
           int64_t units) {
    testing::Record(db, c, testing::UsageAt(id, tenant, metric, ts, units));
  }
  QuotaDecision Check(const std::string& tenant, const std::string& metric, const char* amount,
                      const char* now = "2026-02-04T12:00:00Z") {
    auto d = CheckQuota(db, c, tenant, metric, Dec(amount), At(now));
    REQUIRE(d.ok());
    return *d;
  }
};

const catalog::Tenant& TenantOf(const catalog::Catalog& c, const std::string& id) {
  for (const auto& t : c.tenants)
    if (t.id == id) return t;
  FAIL("no tenant " << id);
  return c.tenants[0];
}

TEST_CASE("quota: the limit in force: override, plan, unlisted, no overage") {
  Fixture f;
  const auto& pro = *f.c.FindPlan("pro");
  EffectiveLimit l = LimitFor(pro, TenantOf(f.c, "big"), "api_calls");
  CHECK(l.limit == Dec("20000"));
  CHECK(l.period == catalog::LimitPeriod::kDay);
  CHECK(l.listed);
  CHECK_FALSE(LimitFor(pro, TenantOf(f.c, "big"), "ai").limit.has_value());  // override to unlimited
  EffectiveLimit unlisted = LimitFor(pro, TenantOf(f.c, "proco"), "disk");
  CHECK_FALSE(unlisted.limit.has_value());
  CHECK_FALSE(unlisted.listed);
  EffectiveLimit soft_on_free = LimitFor(*f.c.FindPlan("free"), TenantOf(f.c, "freeco"), "ai");
  CHECK(soft_on_free.enforcement == catalog::Enforcement::kHard);
  CHECK(LimitFor(pro, TenantOf(f.c, "proco"), "ai").enforcement == catalog::Enforcement::kSoft);
}

TEST_CASE("quota: periods are UTC days and months in the tenant's time zone") {
  Timestamp t = At("2026-02-28T16:30:00Z");
  CHECK(*LimitPeriodAt(catalog::LimitPeriod::kDay, t, "Asia/Tokyo") ==
        Period{At("2026-02-28T00:00:00Z"), At("2026-03-01T00:00:00Z")});
  CHECK(*LimitPeriodAt(catalog::LimitPeriod::kMonth, t, "") ==
        Period{At("2026-02-01T00:00:00Z"), At("2026-03-01T00:00:00Z")});
  CHECK(*LimitPeriodAt(catalog::LimitPeriod::kMonth, t, "Asia/Tokyo") ==
        Period{At("2026-02-28T15:00:00Z"), At("2026-03-31T15:00:00Z")});
}

TEST_CASE("quota: meters by key or by a metric only one meter reads") {
  Fixture f;
  CHECK((*ResolveMeter(f.c, "emails"))->key == "emails");
  CHECK((*ResolveMeter(f.c, "llm"))->key == "tokens");
  auto ambiguous = ResolveMeter(f.c, "ai");  // a meter key wins over the metric
  CHECK((*ambiguous)->key == "ai");
  CHECK(ResolveMeter(f.c, "nope").status().IsNotFound());
}

TEST_CASE("quota: the next plan up beats the limit in force or is unlimited") {
  Fixture f;
  CHECK(NextPlanUp(f.c, "free", "api_calls", Dec("100")) == "pro");
  CHECK(NextPlanUp(f.c, "pro", "api_calls", Dec("10000")) == "enterprise");
  CHECK(NextPlanUp(f.c, "pro", "api_calls", Dec("20000")) == "enterprise");
  CHECK(NextPlanUp(f.c, "pro", "ai", Dec("100")) == "enterprise");  // no ai limit there: unlimited
  CHECK(NextPlanUp(f.c, "enterprise", "api_calls", Dec("1")) == "");
}

TEST_CASE("quota: units as people and JSON read them") {
  const std::pair<const char*, const char*> kText[] = {
      {"0", "0"}, {"999", "999"}, {"1000", "1,000"}, {"9500", "9,500"}, {"1000000", "1,000,000"},
      {"-20", "-20"}, {"-1234.5", "-1,234.5"}, {"1234567.125", "1,234,567.125"}};
  for (const auto& [in, out] : kText) CHECK(Thousands(Dec(in)) == out);
  CHECK(DumpJson(JsonNumber(Dec("10000"))) == "10000");
  CHECK(DumpJson(JsonNumber(Dec("-20"))) == "-20");
  CHECK(DumpJson(JsonNumber(Dec("0.6"))) == "0.6");
  CHECK(DumpJson(JsonNumber(Dec("1000.5"))) == "1000.5");
  CHECK(ToMicros(Dec("1.5"), "x").value() == 1500000);
  CHECK(ToMicros(Dec("0.0000001"), "x").status().IsInvalidArgument());
  CHECK(ToMicros(Dec("-1"), "x").status().IsInvalidArgument());
}

TEST_CASE("quota: the worked example's decision, message and JSON") {
  Fixture f;
  f.Use("a", "proco", "api_calls", "2026-02-04T10:00:00Z", 9500);
  QuotaDecision d = f.Check("proco", "api_calls", "600");
  CHECK_FALSE(d.allowed);
  CHECK(d.used == Dec("9500"));
  CHECK(DenialMessage(d) ==
        "Quota exceeded. Used 9,500 of 10,000. Batch requires 600.\n"
        "Resets at 2026-02-05T00:00:00Z, or upgrade to plan 'enterprise'.");
  auto j = DecisionJson(d);
  CHECK(j["remaining"] == 500);
  CHECK(j["limit"] == 10000);
  CHECK(j["period_start"] == "2026-02-04T00:00:00Z");
  CHECK(j["resets_at"] == "2026-02-05T00:00:00Z");
  CHECK(j["warning"].is_null());
  CHECK(j.size() == 12);
  CHECK(f.Check("proco", "api_calls", "400").allowed);
  CHECK(f.Check("proco", "api_calls", "500").allowed);  // used + amount == limit
  // the next UTC day starts from zero
  CHECK(f.Check("proco", "api_calls", "600", "2026-02-05T00:00:00Z").used == Decimal());
}

TEST_CASE("quota: soft limits warn, unlimited meters allow, suspended tenants are denied") {
  Fixture f;
  for (int i = 0; i < 120; ++i) f.Use("ai" + std::to_string(i), "proco", "ai", "2026-02-03T10:00:00Z", 1);
  QuotaDecision soft = f.Check("proco", "ai", "1");
  CHECK(soft.allowed);
  CHECK(*soft.remaining() == Dec("-20"));
  CHECK(WarningMessage(soft).find("Used 120 of 100") != std::string::npos);
  CHECK(DecisionJson(soft)["remaining"] == -20);

  f.Use("x", "big", "ai", "2026-02-03T10:00:00Z", 1);
  QuotaDecision unlimited = f.Check("big", "ai", "1000000");
  CHECK(unlimited.allowed);
  CHECK(DecisionJson(unlimited)["limit"].is_null());

  REQUIRE(store::CatalogStore(f.db).SetStatus("proco", "suspended").ok());
  QuotaDecision suspended = f.Check("proco", "api_calls", "1");
  CHECK_FALSE(suspended.allowed);
  CHECK(DenialMessage(suspended).find("suspended") != std::string::npos);

  CHECK(CheckQuota(f.db, f.c, "nobody", "api_calls", Dec("1"), 0).status().IsNotFound());
  CHECK(CheckQuota(f.db, f.c, "proco", "api_calls", Dec("-1"), 0).status().IsInvalidArgument());
}

TEST_CASE("quota: reservations record usage once per id") {
  Fixture f;
  Timestamp now = At("2026-02-04T12:00:00Z");
  auto r = ReserveQuota(f.db, f.c, "freeco", "api_calls", Dec("60"), "job-1", now);
  REQUIRE(r.ok());
  CHECK(r->allowed);
  CHECK_FALSE(r->replayed);
  auto again = ReserveQuota(f.db, f.c, "freeco", "api_calls", Dec("60"), "job-1", now);
  REQUIRE(again.ok());
  CHECK(again->replayed);
  CHECK(again->used == Decimal());
  CHECK(f.Check("freeco", "api_calls", "0").used == Dec("60"));
  auto denied = ReserveQuota(f.db, f.c, "freeco", "api_calls", Dec("41"), "job-2", now);
  REQUIRE(denied.ok());
  CHECK_FALSE(denied->allowed);
  CHECK(f.Check("freeco", "api_calls", "0").used == Dec("60"));
  // count meters get one event per unit with the fields `where` asks for
  REQUIRE(ReserveQuota(f.db, f.c, "proco", "emails", Dec("3"), "", now).ok());
  CHECK(f.Check("proco", "emails", "0").used == Dec("3"));
  CHECK(f.Check("proco", "ai", "0").used == Dec("3"));
  // nested property sums
  REQUIRE(ReserveQuota(f.db, f.c, "proco", "tokens", Dec("12.5"), "", now).ok());
  CHECK(f.Check("proco", "tokens", "0").used == Dec("12.5"));
  CHECK(ReserveQuota(f.db, f.c, "proco", "disk", Dec("1"), "", now).status().IsInvalidArgument());
  CHECK(ReserveQuota(f.db, f.c, "proco", "emails", Dec("1.5"), "", now).status().IsInvalidArgument());
}

TEST_CASE("quota: status rows list every limit with its usage") {
  Fixture f;
  f.Use("a", "big", "api_calls", "2026-02-04T10:00:00Z", 5000);
  auto rows = QuotaStatusFor(f.db, f.c, "big", At("2026-02-04T12:00:00Z"));
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 3);
  CHECK((*rows)[0].meter == "api_calls");
  CHECK((*rows)[0].used == Dec("5000"));
  CHECK((*rows)[0].percent == Dec("25"));
  CHECK_FALSE((*rows)[1].percent.has_value());  // ai: unlimited by override
  CHECK(QuotaStatusFor(f.db, f.c, "nobody", 0).status().IsNotFound());
}

TEST_CASE("entitlement: features the plan sets true, nothing else") {
  Fixture f;
  auto tenant = *store::CatalogStore(f.db).GetTenant("freeco", 0);
  CHECK(CheckEntitlement(f.c, tenant, "api")->entitled);
  auto sso = *CheckEntitlement(f.c, tenant, "sso");
  CHECK_FALSE(sso.entitled);
  CHECK(sso.reason == "plan 'free' does not include 'sso'");
  CHECK_FALSE(CheckEntitlement(f.c, tenant, "warp")->entitled);
  tenant.status = "suspended";
  CHECK_FALSE(CheckEntitlement(f.c, tenant, "api")->entitled);
}

}  // namespace
}  // namespace meter::usage
