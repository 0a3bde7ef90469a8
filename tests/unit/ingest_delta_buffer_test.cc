// DeltaBuffer: the counter deltas and distinct values of recorded events,
// summed per (tenant, meter, hour) and handed out in the tables' key order.
#include <string>
#include <tuple>
#include <vector>

#include <doctest/doctest.h>

#include "catalog/catalog.h"
#include "ingest/delta_buffer.h"

namespace meter::ingest {
namespace {

constexpr Timestamp kHour = 3600000;  // ms
constexpr Timestamp kT0 = 1769904000000;  // 2026-02-01T00:00:00Z

catalog::Meter MakeMeter(std::string key, catalog::Aggregation agg) {
  catalog::Meter m;
  m.key = std::move(key);
  m.aggregation = agg;
  return m;
}

TEST_CASE("ingest.delta_buffer_sums_each_counter_the_way_its_meter_merges") {
  catalog::Meter sum = MakeMeter("calls", catalog::Aggregation::kSum);
  catalog::Meter max = MakeMeter("storage", catalog::Aggregation::kMax);
  catalog::Meter latest = MakeMeter("seats", catalog::Aggregation::kLatest);
  DeltaBuffer b;
  CHECK(b.empty());
  CHECK(b.Add("acme", kT0 + 10, &sum, 2000000, "").ok());
  CHECK(b.Add("acme", kT0 + 20, &sum, 3000000, "").ok());
  CHECK(b.Add("acme", kT0 + 20, &max, 5000000, "").ok());
  CHECK(b.Add("acme", kT0 + 10, &max, 7000000, "").ok());
  CHECK(b.Add("acme", kT0 + 30, &latest, 1000000, "").ok());
  CHECK(b.Add("acme", kT0 + 10, &latest, 9000000, "").ok());  // older: does not win
  std::vector<store::CounterDelta> d = b.Counters();
  REQUIRE(d.size() == 3);
  // Key order: (tenant, meter, hour), meters by key.
  CHECK(d[0].meter == "calls");
  CHECK((d[0].value == 5000000 && d[0].events == 2));
  CHECK(d[1].meter == "seats");
  CHECK((d[1].value == 1000000 && d[1].latest_ts == kT0 + 30 && d[1].events == 2));
  CHECK(d[2].meter == "storage");
  CHECK((d[2].value == 7000000 && d[2].merge == store::CounterMerge::kMax));
  b.Clear();
  CHECK(b.empty());
}

// The values used to come out in hash order, so each insert into the
// distinct values' table landed on a random page (about 2.7 x the work per
// value); the day rows also keep each hour's values in this order.
TEST_CASE("ingest.delta_buffer_hands_out_counters_and_values_in_key_order") {
  catalog::Meter users = MakeMeter("users", catalog::Aggregation::kUniqueCount);
  catalog::Meter calls = MakeMeter("calls", catalog::Aggregation::kSum);
  DeltaBuffer b;
  std::vector<std::string> tenants = {"t9", "t1", "t5", "t10"};
  for (int i = 0; i < 200; ++i) {
    const std::string& t = tenants[i % tenants.size()];
    Timestamp ts = kT0 + (i % 7) * kHour;
    CHECK(b.Add(t, ts, &users, 1000000, "user_" + std::to_string(i % 13)).ok());
    CHECK(b.Add(t, ts, &calls, 1000000, "").ok());
  }
  CHECK(b.Add("t1", kT0, &users, 1000000, "user_1").ok());  // already there: kept once
  std::vector<store::UniqueValue> u = b.Uniques();
  for (size_t i = 1; i < u.size(); ++i) {
    auto key = [](const store::UniqueValue& v) { return std::tie(v.tenant, v.meter, v.hour, v.value); };
    CHECK(key(u[i - 1]) < key(u[i]));  // strictly: sorted and distinct
  }
  std::vector<store::CounterDelta> c = b.Counters();
  int64_t events = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    events += c[i].events;
    if (i) {
      auto key = [](const store::CounterDelta& v) { return std::tie(v.tenant, v.meter, v.hour); };
      CHECK(key(c[i - 1]) < key(c[i]));
    }
  }
  CHECK(events == 200);
}

// tkt: two events of 5,000,000,000,000 units in one hour summed past int64
// in the ingest buffer and wrapped negative in the hour's counter.
TEST_CASE("ingest.delta_buffer_refuses_an_hour_summing_past_a_counter") {
  catalog::Meter sum = MakeMeter("tokens", catalog::Aggregation::kSum);
  DeltaBuffer b;
  CHECK(b.Add("acme", kT0, &sum, 5000000000000000000, "").ok());
  Status st = b.Add("acme", kT0 + 10, &sum, 5000000000000000000, "");
  REQUIRE(!st.ok());
  CHECK(st.message().find("meter 'tokens', tenant 'acme'") != std::string::npos);
  CHECK(b.Add("acme", kT0 + kHour, &sum, 5000000000000000000, "").ok());  // the next hour is its own counter
  std::vector<store::CounterDelta> d = b.Counters();
  REQUIRE(d.size() == 2);
  CHECK(d[0].value == 5000000000000000000);
  CHECK(d[0].events == 1);
}

}  // namespace
}  // namespace meter::ingest
