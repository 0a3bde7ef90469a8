// CounterStore (store/counter_store.h): the hourly counters ingest keeps,
// combined per merge (add, max, latest), distinct values, the rows
// themselves, recounts and definitions, on a real database filled through
// EventRecorder. Values in millionths, computed by hand.
#include <doctest/doctest.h>

#include <algorithm>

#include "store/counter_store.h"
#include "store/statement.h"
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

// How many day rows `table` holds.
int64_t StoredRows(Database& db, const std::string& table) {
  Statement q(db, "SELECT COUNT(*) FROM " + table);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

TEST_CASE("counter_store: a tenant's meter keeps one row per UTC day, written many at a time") {
  Fixture f;
  EventStore events(f.db);
  // 100 tenants x 2 hours either side of midnight: past the statements of
  // 64 rows on SQLite and through the staged path on PostgreSQL.
  Timestamp before = At("2026-02-05T22:00:00Z"), after = At("2026-02-06T01:00:00Z");
  std::vector<std::string> tenants;
  for (int i = 0; i < 100; ++i) tenants.push_back("t" + std::to_string(1000 + i));
  auto batch = [&](int64_t value, int64_t events_each) {
    std::vector<CounterDelta> deltas;
    std::vector<UniqueValue> values;
    const std::string value_text = "u:" + std::to_string(value);  // alive for the call
    for (const std::string& t : tenants)
      for (Timestamp h : {before, before + kMillisPerHour, after}) {
        deltas.push_back({t, "calls", h, CounterMerge::kAdd, value, events_each, 0});
        values.push_back({t, "users", h, value_text});
      }
    return f.db.Transaction([&]() -> Status {
      METER_RETURN_IF_ERROR(events.AddCounters(deltas));
      return events.AddUniques(values);
    });
  };
  int64_t rows_before = StoredRows(f.db, "usage_counter_days");
  REQUIRE(batch(2, 1).ok());
  REQUIRE(batch(3, 2).ok());
  CHECK(StoredRows(f.db, "usage_counter_days") == rows_before + 200);  // 100 tenants x 2 days
  Period night{before, after + kMillisPerHour};
  for (const std::string& t : {tenants.front(), tenants.back()}) {
    auto rows = f.store.Rows(t, "calls", night);
    REQUIRE(rows.ok());
    REQUIRE(rows->size() == 3);
    CHECK((*rows)[0].hour == before);
    CHECK((*rows)[2].hour == after);
    CHECK((*rows)[2].value == 5);
    CHECK((*rows)[2].events == 3);
    CHECK(f.store.DistinctValues(t, "users", night).value() == std::vector<std::string>{"u:2", "u:3"});
    // A range inside the day keeps only its hours.
    CHECK(f.store.Total(t, "calls", CounterMerge::kAdd, {before + kMillisPerHour, after})->value == 5);
  }
  CHECK(f.store.Totals("calls", CounterMerge::kAdd, night)->size() == 100);
  CHECK(f.store.DistinctValuesByTenant("users", {after, after + kMillisPerHour})->size() == 100);
}

TEST_CASE("counter_store: a sum past int64 fails the batch and leaves the stored day as it was") {
  Fixture f;
  EventStore events(f.db);
  Timestamp ten = At("2026-02-03T10:00:00Z");
  constexpr int64_t kBig = 9000000000000000000;
  auto add = [&](int64_t value) {
    return f.db.Transaction([&] {
      return events.AddCounters({{"acme", "calls", ten, CounterMerge::kAdd, value, 1, 0}});
    });
  };
  auto before = f.store.Rows("acme", "calls", kTenToTwelve).value();
  REQUIRE(add(kBig).ok());
  Status s = add(kBig);
  CHECK_FALSE(s.ok());
  CHECK(s.message().find("integer overflow") != std::string::npos);
  auto rows = f.store.Rows("acme", "calls", kTenToTwelve).value();
  REQUIRE(rows.size() == before.size());
  CHECK(rows[0].value == before[0].value + kBig);
  CHECK(rows[0].events == before[0].events + 1);
  // Reading a sum past int64 is an error too, as SQLite's SUM was.
  REQUIRE(f.db.Transaction([&] {
            return events.AddCounters({{"acme", "calls", ten + kMillisPerHour, CounterMerge::kAdd, kBig, 1, 0}});
          }).ok());
  CHECK_FALSE(f.store.Total("acme", "calls", CounterMerge::kAdd, kTenToTwelve).ok());
}

TEST_CASE("counter_store: deltas given out of key order merge as sorted ones") {
  Fixture f;
  EventStore events(f.db);
  Timestamp ten = At("2026-02-03T10:00:00Z"), eleven = At("2026-02-03T11:00:00Z");
  std::vector<CounterDelta> deltas = {{"beta", "calls", eleven, CounterMerge::kAdd, 1, 1, 0},
                                      {"acme", "calls", eleven, CounterMerge::kAdd, 2, 1, 0},
                                      {"acme", "calls", ten, CounterMerge::kAdd, 4, 1, 0}};
  std::vector<UniqueValue> values = {{"acme", "users", eleven, "zz"}, {"acme", "users", ten, "u1"},
                                     {"acme", "users", eleven, "aa"}};
  REQUIRE(f.db.Transaction([&]() -> Status {
            METER_RETURN_IF_ERROR(events.AddCounters(deltas));
            return events.AddUniques(values);
          }).ok());
  CHECK(f.store.Total("acme", "calls", CounterMerge::kAdd, kTenToTwelve)->value == 11000006);
  CHECK(f.store.Total("beta", "calls", CounterMerge::kAdd, kTenToTwelve)->value == 1);
  CHECK(f.store.DistinctValues("acme", "users", kTenToTwelve).value() ==
        std::vector<std::string>{"aa", "u1", "u2", "u3", "zz"});
}

}  // namespace
}  // namespace meter::store
