// What the insight reports share (report/common.h): the tenants a report
// covers and the meters a plan charges or limits, in catalog order.
#include <doctest/doctest.h>

#include "report/common.h"

namespace meter::report {
namespace {

constexpr const char* kCatalog = R"({
  "meters": [{"key": "a"}, {"key": "b"}, {"key": "c"}, {"key": "d"}],
  "plans": [{"key": "p", "base_price": "0", "charges": [{"meter": "c", "unit_price": "1"}],
             "limits": [{"meter": "a", "limit": 5}]},
            {"key": "bare", "base_price": "0"}],
  "tenants": [{"id": "t1", "plan": "p"}, {"id": "t2", "plan": "bare"}]})";

TEST_CASE("report.common: tenants selected, meters of a plan in catalog order") {
  auto c = catalog::ParseCatalog(kCatalog);
  REQUIRE(c.ok());
  auto all = SelectTenants(*c, "");
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0]->id == "t1");
  CHECK((*all)[1]->id == "t2");
  auto one = SelectTenants(*c, "t2");
  REQUIRE(one->size() == 1);
  CHECK(one->front()->id == "t2");
  auto none = SelectTenants(*c, "t3");
  CHECK(none.status().IsNotFound());
  CHECK(none.status().message() == "unknown tenant 't3'");
  std::vector<std::string> keys;
  for (const catalog::Meter* m : PlanMeters(*c, *c->FindPlan("p"))) keys.push_back(m->key);
  CHECK(keys == std::vector<std::string>{"a", "c"});
  CHECK(PlanMeters(*c, *c->FindPlan("bare")).empty());
}

}  // namespace
}  // namespace meter::report
