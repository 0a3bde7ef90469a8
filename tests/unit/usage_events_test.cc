// Voiding stored events (usage/events.h): named by id or by a CloudEvent's
// source, a tab and its id; idempotent; unknown names reported while the
// known ones are voided and leave the counters in the same transaction.
#include <doctest/doctest.h>

#include "support/temp_db.h"
#include "support/usage_events.h"
#include "usage/events.h"
#include "usage/quantity.h"

namespace meter::usage {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "calls"}],
  "plans": [{"key": "p", "base_price": "0"}],
  "tenants": [{"id": "acme", "plan": "p"}]})";

TEST_CASE("usage.events: a name is an id, or a CloudEvent's source, a tab and its id") {
  CHECK(ParseEventName("e1").id == "e1");
  CHECK(ParseEventName("e1").source.empty());
  EventName ce = ParseEventName("/svc/a\te\t1");  // the first tab splits
  CHECK(ce.source == "/svc/a");
  CHECK(ce.id == "e\t1");
}

TEST_CASE("usage.events: void is idempotent, reports unknown names and leaves the counters") {
  testing::TempDb t;
  store::Database& db = *t.db;
  catalog::Catalog c = testing::ApplyCatalog(db, kCatalog);
  Event native = testing::UsageAt("e1", "acme", "calls", "2026-02-02T10:00:00Z", 3);
  Event cloud = testing::UsageAt("e1", "acme", "calls", "2026-02-02T10:10:00Z", 5);
  cloud.source = "/svc/a";
  Event other = testing::UsageAt("e2", "acme", "calls", "2026-02-02T10:20:00Z", 7);
  for (const auto& e : {native, cloud, other}) testing::Record(db, c, e);
  Period hour{At("2026-02-02T10:00:00Z"), At("2026-02-02T11:00:00Z")};
  auto used = [&] { return MeterQuantity(db, "acme", *c.FindMeter("calls"), hour)->ToString(); };
  REQUIRE(used() == "15");

  CHECK(VoidEvents(db, c, {"e1"}, "", [] { return At("2026-02-03T00:00:00Z"); }).status().IsInvalidArgument());

  auto out = VoidEvents(db, c, {"/svc/a\te1", "nope", "e2"}, "replayed", [] { return At("2026-02-03T00:00:00Z"); });
  REQUIRE(out.ok());
  CHECK(out->voided == std::vector<std::string>{"/svc/a\te1", "e2"});
  CHECK(out->unknown == std::vector<std::string>{"nope"});
  CHECK(used() == "3");  // only the native e1 is left

  out = VoidEvents(db, c, {"e2", "e1"}, "second", [] { return At("2026-02-04T00:00:00Z"); });
  REQUIRE(out.ok());
  CHECK(out->already_void == std::vector<std::string>{"e2"});
  CHECK(out->voided == std::vector<std::string>{"e1"});
  CHECK(used() == "0");

  auto found = FindEvents(db, "e2");
  REQUIRE(found.ok());
  REQUIRE(found->size() == 1);
  CHECK(found->front().void_reason == "replayed");  // the first reason and time stay
  CHECK(found->front().voided_at == At("2026-02-03T00:00:00Z"));
  auto both = FindEvents(db, "e1");
  REQUIRE(both.ok());
  CHECK(both->size() == 2);  // nothing is deleted
}

}  // namespace
}  // namespace meter::usage
