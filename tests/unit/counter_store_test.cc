// CounterStore (store/counter_store.h): the hourly counters ingest keeps,
// combined per merge (add, max, latest), distinct values, the rows
// themselves, recounts and definitions, on a real database filled through
// EventRecorder. Values in millionths, computed by hand.
#include <doctest/doctest.h>

#include <algorithm>

#include "store/counter_store.h"
#include "support/usage_events.h"

namespace meter::store {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "calls", "event": "api"},
             {"key": "peak", "event": "api", "aggregation": "max"},
             {"key": "last", "event": "api", "aggregation": "latest"},
             {"key": "users", "event": "api", "aggregation": "unique_count", "value": "user"}],
  "plans": [{"key": "p", "base_price": "0"}],
  "tenants": [{"id": "acme", "plan": "p"}, {"id": "beta", "plan": "p"}]})";

struct Fixture : testing::UsageDb {
  Fixture() : UsageDb(kCatalog) {
    Use("api", "2026-02-03T10:10:00Z", 3, {.user = "u1"});
    Use("api", "2026-02-03T10:50:00Z", 2, {.user = "u2"});  // the latest of hour 10
    Use("api", "2026-02-03T10:20:00Z", 5, {.user = "u1"});  // the peak of hour 10
    Use("api", "2026-02-03T11:05:00Z", 1, {.user = "u3"});
    Use("api", "2026-02-03T12:30:00Z", 4, {.user = "u9", .tenant = "beta"});
  }
  CounterStore store{db};
};

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

const Period kTenToTwelve{At("2026-02-03T10:00:00Z"), At("2026-02-03T12:00:00Z")};

TEST_CASE("counter_store: totals of whole hours per merge") {
  Fixture f;
  auto calls = f.store.Total("acme", "calls", CounterMerge::kAdd, kTenToTwelve);
  REQUIRE(calls.ok());
  CHECK(calls->value == 11000000);
  CHECK(calls->events == 4);
  auto peak = f.store.Total("acme", "peak", CounterMerge::kMax, kTenToTwelve);
  CHECK(peak->value == 5000000);
  auto last = f.store.Total("acme", "last", CounterMerge::kLatest, kTenToTwelve);
  CHECK(last->value == 1000000);  // 11:05
  CHECK(last->latest_ts == At("2026-02-03T11:05:00Z"));
  auto hour10 = f.store.Total("acme", "last", CounterMerge::kLatest,
                              {At("2026-02-03T10:00:00Z"), At("2026-02-03T11:00:00Z")});
  CHECK(hour10->value == 2000000);  // 10:50, though stored before 10:20
  auto none = f.store.Total("acme", "calls", CounterMerge::kAdd, {At("2026-02-04T00:00:00Z"), At("2026-02-05T00:00:00Z")});
  CHECK(none->events == 0);
  CHECK(none->value == 0);
  auto all = f.store.Totals("calls", CounterMerge::kAdd, {At("2026-02-03T00:00:00Z"), At("2026-02-04T00:00:00Z")});
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)["acme"].value == 11000000);
  CHECK((*all)["beta"].value == 4000000);
}

TEST_CASE("counter_store: distinct values per hour, and the rows oldest first") {
  Fixture f;
  CHECK(f.store.DistinctCount("acme", "users", kTenToTwelve).value() == 3);
  CHECK(Sorted(f.store.DistinctValues("acme", "users", kTenToTwelve).value()) == std::vector<std::string>{"u1", "u2", "u3"});
  auto by = f.store.DistinctValuesByTenant("users", {At("2026-02-03T00:00:00Z"), At("2026-02-04T00:00:00Z")});
  REQUIRE(by.ok());
  CHECK((*by)["beta"] == std::vector<std::string>{"u9"});
  auto rows = f.store.Rows("acme", "calls", kTenToTwelve);
  REQUIRE(rows.ok());
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].hour == At("2026-02-03T10:00:00Z"));
  CHECK((*rows)[0].value == 10000000);
  CHECK((*rows)[0].events == 3);
  CHECK((*rows)[1].hour == At("2026-02-03T11:00:00Z"));
  auto uniques = f.store.UniqueRows("acme", "users", kTenToTwelve);
  REQUIRE(uniques.ok());
  CHECK(uniques->size() == 3);  // u1 and u2 in hour 10, u3 in hour 11
}

TEST_CASE("counter_store: recounts replace an hour, delete a range, forget a meter") {
  Fixture f;
  Timestamp ten = At("2026-02-03T10:00:00Z");
  REQUIRE(f.db.Transaction([&] { return f.store.ReplaceHour("acme", "calls", ten, {7000000, 1, ten}); }).ok());
  CHECK(f.store.Total("acme", "calls", CounterMerge::kAdd, kTenToTwelve)->value == 8000000);
  REQUIRE(f.db.Transaction([&] { return f.store.ReplaceHour("acme", "calls", ten, {}); }).ok());  // no events: gone
  CHECK(f.store.Rows("acme", "calls", kTenToTwelve)->size() == 1);
  REQUIRE(f.db.Transaction([&] { return f.store.ReplaceUniques("acme", "users", ten, {"u7"}); }).ok());
  CHECK(Sorted(f.store.DistinctValues("acme", "users", kTenToTwelve).value()) == std::vector<std::string>{"u3", "u7"});
  REQUIRE(f.db.Transaction([&] { return f.store.DeleteRange("calls", {ten, At("2026-02-04T00:00:00Z")}); }).ok());
  CHECK(f.store.Total("acme", "calls", CounterMerge::kAdd, kTenToTwelve)->events == 0);
  CHECK(f.store.Total("beta", "calls", CounterMerge::kAdd, {ten, At("2026-02-04T00:00:00Z")})->events == 0);
  CHECK(f.store.Total("acme", "peak", CounterMerge::kMax, kTenToTwelve)->value == 5000000);  // other meters stay
  REQUIRE(f.db.Transaction([&] { return f.store.SetDefinition("peak", "v1"); }).ok());
  CHECK(f.store.Definitions().value()["peak"] == "v1");
  REQUIRE(f.db.Transaction([&] { return f.store.ForgetMeter("peak"); }).ok());
  CHECK(f.store.Definitions().value().count("peak") == 0);
  CHECK(f.store.Total("acme", "peak", CounterMerge::kMax, kTenToTwelve)->events == 0);
}

}  // namespace
}  // namespace meter::store
