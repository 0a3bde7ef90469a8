// Recounting hourly counters (usage/recount.h): voided events leave the
// counters of every aggregation as if they had never arrived.
#include <doctest/doctest.h>

#include "support/temp_db.h"
#include "support/usage_events.h"
#include "usage/quantity.h"
#include "usage/recount.h"

namespace meter::usage {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "calls", "event": "api"},
             {"key": "hits", "event": "api", "aggregation": "count"},
             {"key": "users", "event": "api", "aggregation": "unique_count", "value": "user"},
             {"key": "peak", "event": "api", "aggregation": "max"},
             {"key": "last", "event": "api", "aggregation": "latest"}],
  "plans": [{"key": "p", "base_price": "0"}],
  "tenants": [{"id": "acme", "plan": "p"}]})";

TEST_CASE("usage.recount: a voided event leaves every aggregation's counters") {
  testing::UsageDb f(kCatalog);
  store::Database& db = f.db;
  const catalog::Catalog& c = f.c;
  std::vector<Event> events = {f.Use("api", "2026-02-02T10:00:00Z", 3, {.user = "u1"}),
                               f.Use("api", "2026-02-02T10:30:00Z", 9, {.user = "u2"}),
                               f.Use("api", "2026-02-02T10:20:00Z", 4, {.user = "u1"})};
  Period hour{At("2026-02-02T10:00:00Z"), At("2026-02-02T11:00:00Z")};
  auto q = [&](const char* meter) { return MeterQuantity(db, "acme", *c.FindMeter(meter), hour)->ToString(); };
  REQUIRE(q("calls") == "16");
  REQUIRE(q("peak") == "9");
  REQUIRE(q("last") == "9");
  REQUIRE(q("users") == "2");
  f.MarkVoid("e2");
  // Counters still hold it until the recount.
  CHECK(q("calls") == "16");
  REQUIRE(UncountVoided(db, c, {events[1]}).ok());
  CHECK(q("calls") == "7");
  CHECK(q("hits") == "2");
  CHECK(q("peak") == "4");
  CHECK(q("last") == "4");
  CHECK(q("users") == "1");
  // Voiding the rest empties the hour.
  for (const char* id : {"e1", "e3"}) f.MarkVoid(id);
  REQUIRE(UncountVoided(db, c, events).ok());
  CHECK(q("calls") == "0");
  CHECK(q("users") == "0");
}

}  // namespace
}  // namespace meter::usage
