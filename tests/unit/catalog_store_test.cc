// CatalogStore (store/catalog_store.h): applying a catalog (document,
// tenants, plan changes, webhook endpoints and their secrets), loading it
// with each tenant's plan at a time, plan history and PlanAt.
#include <doctest/doctest.h>

#include "store/catalog_store.h"
#include "store/webhook_store.h"
#include "support/temp_db.h"
#include "support/usage_events.h"

namespace meter::store {
namespace {

using testing::At;

constexpr const char* kV1 = R"({
  "meters": [{"key": "calls"}],
  "plans": [{"key": "free", "base_price": "0"}, {"key": "pro", "base_price": "10"}],
  "tenants": [{"id": "b", "plan": "free"}, {"id": "a", "plan": "free", "timezone": "Asia/Tokyo"}],
  "webhooks": [{"url": "http://127.0.0.1:9/h", "events": ["invoice.*"]}]})";

// v1 with a's plan changed, c added, b left out of the file.
constexpr const char* kV2 = R"({
  "meters": [{"key": "calls"}],
  "plans": [{"key": "free", "base_price": "0"}, {"key": "pro", "base_price": "10"}],
  "tenants": [{"id": "a", "plan": "pro", "timezone": "Asia/Tokyo"}, {"id": "c", "plan": "pro"}],
  "webhooks": [{"url": "http://127.0.0.1:9/h", "events": ["invoice.*"]}]})";

Result<ApplySummary> Apply(Database& db, const char* json, Timestamp now, int* secrets) {
  auto c = catalog::ParseCatalog(json);
  REQUIRE(c.ok());
  return CatalogStore(db).Apply(*c, now, [secrets] {
    ++*secrets;
    return Result<std::string>("whsec_" + std::to_string(*secrets));
  });
}

TEST_CASE("catalog_store: apply, apply again, and what changed") {
  testing::TempDb t;
  int secrets = 0;
  CHECK(CatalogStore(*t.db).Load(0).status().IsNotFound());
  auto first = Apply(*t.db, kV1, At("2026-01-01T00:00:00Z"), &secrets);
  REQUIRE(first.ok());
  CHECK(first->catalog_changed);
  CHECK(first->tenants_added == 2);
  CHECK(first->webhooks_added == 1);
  CHECK(secrets == 1);
  auto same = Apply(*t.db, kV1, At("2026-01-02T00:00:00Z"), &secrets);
  REQUIRE(same.ok());
  CHECK(!same->catalog_changed);
  CHECK(same->tenants_added == 0);
  CHECK(same->tenants_updated == 0);
  CHECK(same->plan_changes == 0);
  CHECK(same->webhooks_added == 0);
  CHECK(secrets == 1);  // the endpoint keeps its secret
  auto second = Apply(*t.db, kV2, At("2026-02-10T00:00:00Z"), &secrets);
  REQUIRE(second.ok());
  CHECK(!second->catalog_changed);  // only tenants changed: the document is the same
  CHECK(second->tenants_added == 1);
  CHECK(second->plan_changes == 1);
  auto endpoints = WebhookStore(*t.db).ListEndpoints();
  REQUIRE(endpoints->size() == 1);
  CHECK((*endpoints)[0].secret == "whsec_1");
}

TEST_CASE("catalog_store: tenants by id with the plan in force at a time; history; PlanAt") {
  testing::TempDb t;
  int secrets = 0;
  REQUIRE(Apply(*t.db, kV1, At("2026-01-01T00:00:00Z"), &secrets).ok());
  REQUIRE(Apply(*t.db, kV2, At("2026-02-10T00:00:00Z"), &secrets).ok());
  CatalogStore cs(*t.db);
  auto before = cs.Load(At("2026-02-09T00:00:00Z"));
  REQUIRE(before.ok());
  std::string plans;
  for (const auto& tenant : before->tenants) plans += tenant.id + "=" + tenant.plan + " ";
  CHECK(plans == "a=free b=free c=pro ");  // by id; b stays though the file left it out
  auto after = cs.Load(At("2026-02-10T00:00:00Z"));
  CHECK(after->tenants[0].plan == "pro");
  CHECK(after->tenants[0].timezone == "Asia/Tokyo");
  auto one = cs.LoadForTenant("a", At("2026-02-10T00:00:00Z"));
  REQUIRE(one.ok());
  REQUIRE(one->tenants.size() == 1);
  CHECK(one->FindPlan("pro"));
  CHECK(cs.LoadForTenant("zz", 0).status().IsNotFound());
  CHECK(cs.GetTenant("zz", 0).status().message() == "unknown tenant 'zz'");
  REQUIRE(cs.SetPlan("a", "free", At("2026-03-01T00:00:00Z"), At("2026-02-11T00:00:00Z")).ok());
  REQUIRE(cs.SetPlan("a", "pro", At("2026-03-01T00:00:00Z"), At("2026-02-12T00:00:00Z")).ok());  // same instant: replaced
  auto history = cs.PlanHistory("a");
  REQUIRE(history.ok());
  REQUIRE(history->size() == 3);
  CHECK((*history)[0].plan == "free");
  CHECK((*history)[1].plan == "pro");
  CHECK((*history)[1].effective_from == At("2026-02-10T00:00:00Z"));
  CHECK((*history)[2].plan == "pro");
  CHECK(PlanAt(*history, At("2026-01-05T00:00:00Z")) == "free");
  CHECK(PlanAt(*history, At("2026-02-10T00:00:00Z")) == "pro");
  CHECK(PlanAt(*history, At("2026-02-09T23:59:59Z")) == "free");
  CHECK(PlanAt({}, 0) == "");
  CHECK(cs.AddTenant(one->tenants[0], 0).code() == Status::Code::kDenied);
}

}  // namespace
}  // namespace meter::store
