// Entitlements (usage/entitlement.h): only a feature the plan in force sets
// to true is granted; a suspended tenant is granted nothing; each answer
// gives its reason.
#include <doctest/doctest.h>

#include "catalog/catalog.h"
#include "usage/entitlement.h"

namespace meter::usage {
namespace {

constexpr const char* kCatalog = R"({
  "meters": [{"key": "calls"}],
  "plans": [{"key": "free", "base_price": "0", "features": {"api": true, "sso": false}}],
  "tenants": [{"id": "acme", "plan": "free"}]})";

store::TenantRecord Tenant(const char* plan, const char* status = "active") {
  store::TenantRecord t;
  t.tenant.id = "acme";
  t.tenant.plan = plan;
  t.status = status;
  return t;
}

TEST_CASE("usage.entitlement: granted, not included, not defined, suspended, unknown plan") {
  auto c = catalog::ParseCatalog(kCatalog);
  REQUIRE(c.ok());
  auto api = CheckEntitlement(*c, Tenant("free"), "api");
  REQUIRE(api.ok());
  CHECK(api->entitled);
  CHECK(api->plan == "free");
  CHECK(api->reason == "plan 'free' includes 'api'");
  auto sso = CheckEntitlement(*c, Tenant("free"), "sso");
  CHECK(!sso->entitled);
  CHECK(sso->reason == "plan 'free' does not include 'sso'");
  auto audit = CheckEntitlement(*c, Tenant("free"), "audit");
  CHECK(!audit->entitled);
  CHECK(audit->reason == "plan 'free' does not define feature 'audit'");
  auto suspended = CheckEntitlement(*c, Tenant("free", "suspended"), "api");
  CHECK(!suspended->entitled);
  CHECK(suspended->reason == "tenant 'acme' is suspended");
  CHECK(CheckEntitlement(*c, Tenant("gone"), "api").status().IsNotFound());
}

}  // namespace
}  // namespace meter::usage
