// Reservations (usage/reservation.h): a decision stored and found again field
// for field, and reserved usage recorded as the events the meter counts
// (copies for count meters, the value at its property path for sum meters,
// the fields its `where` asks for); what a reservation cannot record refused.
#include <doctest/doctest.h>

#include "store/event_store.h"
#include "support/usage_events.h"
#include "usage/quantity.h"
#include "usage/reservation.h"

namespace meter::usage {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "emails", "event": "ai", "aggregation": "count", "where": {"operation": "email"}},
             {"key": "tokens", "event": "llm", "value": "properties.usage.tokens", "where": {"properties.model": "gpt"}},
             {"key": "disk", "aggregation": "max"},
             {"key": "cheap", "event": "api", "where": {"quantity": "1"}},
             {"key": "elsewhere", "event": "api", "where": {"metric": "other"}}],
  "plans": [{"key": "p", "base_price": "0"}],
  "tenants": [{"id": "acme", "plan": "p"}]})";

QuotaDecision Decision(const char* id, const char* meter, const char* requested) {
  QuotaDecision d;
  d.tenant = "acme";
  d.meter = meter;
  d.plan = "p";
  d.requested = Dec(requested);
  d.reservation_id = id;
  return d;
}

Status Record(testing::UsageDb& f, const QuotaDecision& d) {
  return f.db.Transaction([&] { return RecordReservedUsage(f.db, f.c, d, At("2026-02-03T10:00:00Z")); });
}

std::string Used(testing::UsageDb& f, const char* meter) {
  Period day{At("2026-02-03T00:00:00Z"), At("2026-02-04T00:00:00Z")};
  return MeterQuantity(f.db, "acme", *f.c.FindMeter(meter), day)->ToString();
}

TEST_CASE("usage.reservation: a decision is found again as it was stored") {
  testing::UsageDb f(kCatalog);
  QuotaDecision d = Decision("job-1", "emails", "2.25");
  d.allowed = false;
  d.used = Dec("40.5");
  d.limit.limit = Dec("42");
  d.limit.period = catalog::LimitPeriod::kDay;
  d.limit.enforcement = catalog::Enforcement::kSoft;
  d.limit.listed = true;
  d.period = {At("2026-02-03T00:00:00Z"), At("2026-02-04T00:00:00Z")};
  d.over = true;
  d.next_plan = "pro";
  REQUIRE(f.db.Transaction([&] { return StoreReservation(f.db, d, At("2026-02-03T10:00:00Z")); }).ok());
  auto found = FindReservation(f.db, "job-1");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  const QuotaDecision& g = **found;
  CHECK(!g.allowed);
  CHECK(g.tenant == "acme");
  CHECK(g.meter == "emails");
  CHECK(g.plan == "p");
  CHECK(g.used == Dec("40.5"));
  CHECK(g.requested == Dec("2.25"));
  CHECK(g.limit.limit == Dec("42"));
  CHECK(g.limit.period == catalog::LimitPeriod::kDay);
  CHECK(g.limit.enforcement == catalog::Enforcement::kSoft);
  CHECK(g.limit.listed);
  CHECK(g.period == d.period);
  CHECK(g.over);
  CHECK(!g.suspended);
  CHECK(g.next_plan == "pro");
  CHECK(g.reservation_id == "job-1");
  CHECK(!FindReservation(f.db, "job-2").value());
  QuotaDecision unlimited = Decision("job-3", "emails", "1");
  REQUIRE(f.db.Transaction([&] { return StoreReservation(f.db, unlimited, 0); }).ok());
  CHECK(!(*FindReservation(f.db, "job-3"))->limit.limit);
}

TEST_CASE("usage.reservation: a count meter gets one event per unit, with the fields its where asks for") {
  testing::UsageDb f(kCatalog);
  REQUIRE(Record(f, Decision("r", "emails", "3")).ok());
  CHECK(Used(f, "emails") == "3");
  store::EventStore events(f.db);
  for (const char* id : {"r", "r#2", "r#3"}) {
    auto e = events.FindById(id);
    REQUIRE(e->size() == 1);
    CHECK((*e)[0].event.metric == "ai");
    CHECK((*e)[0].event.operation == "email");
    CHECK((*e)[0].event.timestamp == At("2026-02-03T10:00:00Z"));
  }
  CHECK(events.FindById("r#4")->empty());
  // The id is taken now: a second reservation under it is refused.
  Status again = Record(f, Decision("r", "emails", "1"));
  CHECK(again.code() == Status::Code::kInvalidArgument);
  CHECK(again.message().find("'r'") != std::string::npos);
  CHECK(Used(f, "emails") == "3");
}

TEST_CASE("usage.reservation: a sum meter gets its value at the meter's property path") {
  testing::UsageDb f(kCatalog);
  REQUIRE(Record(f, Decision("t1", "tokens", "12.5")).ok());
  CHECK(Used(f, "tokens") == "12.5");
  auto e = store::EventStore(f.db).FindById("t1");
  REQUIRE(e->size() == 1);
  CHECK((*e)[0].event.properties == R"({"model":"gpt","usage":{"tokens":12.5}})");
}

TEST_CASE("usage.reservation: what a reservation cannot record is refused") {
  testing::UsageDb f(kCatalog);
  CHECK(Record(f, Decision("a", "disk", "1")).code() == Status::Code::kInvalidArgument);     // max
  CHECK(Record(f, Decision("b", "emails", "1.5")).code() == Status::Code::kInvalidArgument);  // a part of an event
  CHECK(Record(f, Decision("c", "emails", "100001")).code() == Status::Code::kInvalidArgument);
  CHECK(Record(f, Decision("d", "cheap", "1")).code() == Status::Code::kInvalidArgument);      // where on quantity
  CHECK(Record(f, Decision("e", "elsewhere", "1")).code() == Status::Code::kInvalidArgument);  // another metric
  CHECK(Record(f, Decision("f", "nope", "1")).IsNotFound());
  CHECK(store::EventStore(f.db).CountEvents().value() == 0);
}

}  // namespace
}  // namespace meter::usage
