// Tenants (tenants/tenants.h): added only when they fit the catalog in force,
// moved between plans (a move to another currency only at a billing period's
// start, the refusal naming the next one), a bare date as local midnight in
// the tenant's zone, and suspension.
#include <doctest/doctest.h>

#include "store/catalog_store.h"
#include "support/usage_events.h"
#include "tenants/tenants.h"

namespace meter::tenants {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "calls"}],
  "plans": [{"key": "usd", "base_price": "1"}, {"key": "usd2", "base_price": "2"},
            {"key": "eur", "base_price": "1", "currency": "EUR"}],
  "tenants": [{"id": "acme", "plan": "usd"},
              {"id": "tokyo", "plan": "usd", "timezone": "Asia/Tokyo", "billing_day": 15}]})";

catalog::Tenant New(const char* id, const char* plan, const char* tz = "") {
  catalog::Tenant t;
  t.id = id;
  t.name = id;
  t.plan = plan;
  t.timezone = tz;
  return t;
}

TEST_CASE("tenants: added when they fit the catalog, refused otherwise") {
  testing::UsageDb f(kCatalog);
  REQUIRE(Add(f.db, New("beta", "eur"), At("2026-02-01T00:00:00Z")).ok());
  auto beta = store::CatalogStore(f.db).GetTenant("beta", At("2026-02-02T00:00:00Z"));
  REQUIRE(beta.ok());
  CHECK(beta->tenant.plan == "eur");
  CHECK(beta->status == "active");
  CHECK(Add(f.db, New("gamma", "gold"), 0).code() == Status::Code::kInvalidArgument);
  CHECK(Add(f.db, New("delta", "usd", "Mars/Olympus"), 0).code() == Status::Code::kInvalidArgument);
  CHECK(!Add(f.db, New("acme", "usd"), 0).ok());  // already there
}

TEST_CASE("tenants: a plan move in the same currency any time; to another only at a period start") {
  testing::UsageDb f(kCatalog);
  REQUIRE(SetPlan(f.db, "acme", "usd2", At("2026-02-10T10:30:00Z"), At("2026-02-10T10:00:00Z")).ok());
  auto history = store::CatalogStore(f.db).PlanHistory("acme");
  REQUIRE(history.ok());
  REQUIRE(history->size() == 2);
  CHECK(history->back().plan == "usd2");
  CHECK(history->back().effective_from == At("2026-02-10T10:30:00Z"));
  Status mid = SetPlan(f.db, "acme", "eur", At("2026-02-10T11:00:00Z"), At("2026-02-10T11:00:00Z"));
  CHECK(mid.code() == Status::Code::kInvalidArgument);
  CHECK(mid.message().find("--effective 2026-03-01") != std::string::npos);
  CHECK(SetPlan(f.db, "acme", "eur", At("2026-03-01T00:00:00Z"), At("2026-02-10T11:00:00Z")).ok());
  // Tokyo bills from the 15th at local midnight (15:00 UTC the day before).
  Status tokyo = SetPlan(f.db, "tokyo", "eur", At("2026-02-15T00:00:00Z"), At("2026-02-10T11:00:00Z"));
  CHECK(tokyo.message().find("--effective 2026-03-15") != std::string::npos);
  CHECK(SetPlan(f.db, "tokyo", "eur", At("2026-02-14T15:00:00Z"), At("2026-02-10T11:00:00Z")).ok());
  CHECK(SetPlan(f.db, "acme", "gold", 0, 0).code() == Status::Code::kInvalidArgument);
  CHECK(SetPlan(f.db, "nobody", "usd", 0, 0).IsNotFound());
}

TEST_CASE("tenants: a bare date is local midnight in the tenant's zone; status set") {
  testing::UsageDb f(kCatalog);
  CHECK(TenantTime(f.db, "tokyo", "2026-02-15", 0).value() == At("2026-02-14T15:00:00Z"));
  CHECK(TenantTime(f.db, "acme", "2026-02-15", 0).value() == At("2026-02-15T00:00:00Z"));
  CHECK(TenantTime(f.db, "tokyo", "2026-02-15T10:30:00Z", 0).value() == At("2026-02-15T10:30:00Z"));
  CHECK(TenantTime(f.db, "nobody", "2026-02-15", 0).status().IsNotFound());
  REQUIRE(SetStatus(f.db, "acme", "suspended").ok());
  CHECK(store::CatalogStore(f.db).GetTenant("acme", 0)->status == "suspended");
  CHECK(SetStatus(f.db, "nobody", "suspended").IsNotFound());
}

TEST_CASE("tenants: a set-plan --effective that is no time is a bad flag value") {
  // Bug: `tenants set-plan a q --effective soon` exited 65 with "timestamp
  // 'soon' is not a valid time" (ParseTimeIn's DataError passed through),
  // where every other time flag exits 2 naming the flag: TenantTime promised
  // InvalidArgument, which the command prefixes with "--effective: ".
  testing::UsageDb f(kCatalog);
  auto bad = TenantTime(f.db, "tokyo", "soon", 0);
  CHECK(bad.status().code() == Status::Code::kInvalidArgument);
  CHECK(bad.status().message() == "timestamp 'soon' is not a valid time");
  CHECK(TenantTime(f.db, "acme", "2026-02-30", 0).status().code() == Status::Code::kInvalidArgument);
}

}  // namespace
}  // namespace meter::tenants
