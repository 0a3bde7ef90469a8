// RollupStore (store/rollup_store.h): period names, buckets put, replaced,
// deleted and read by window and tenant, watermarks set, restarted and
// forgotten, and the hours new events touched.
#include <doctest/doctest.h>

#include <algorithm>

#include "store/rollup_store.h"
#include "support/usage_events.h"

namespace meter::store {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "api"}, {"key": "llm"}],
  "plans": [{"key": "p", "base_price": "0"}],
  "tenants": [{"id": "acme", "plan": "p"}, {"id": "beta", "plan": "p"}]})";

// "tenant@MM-DDTHH=value" per bucket.
std::string Shown(const std::vector<RollupBucket>& buckets) {
  std::string out;
  for (const auto& b : buckets)
    out += (out.empty() ? "" : " ") + b.tenant + "@" + FormatRfc3339(b.bucket).substr(5, 8) + "=" + std::to_string(b.value);
  return out;
}

TEST_CASE("rollup_store: period names") {
  CHECK(RollupPeriodName(RollupPeriod::kDay) == "day");
  CHECK(ParseRollupPeriod("month").value() == RollupPeriod::kMonth);
  CHECK(ParseRollupPeriod("hour").value() == RollupPeriod::kHour);
  CHECK(ParseRollupPeriod("week").status().code() == Status::Code::kInvalidArgument);
}

TEST_CASE("rollup_store: buckets put, replaced, emptied and read by window and tenant") {
  testing::TempDb t;
  RollupStore s(*t.db);
  Timestamp d3 = At("2026-02-03T00:00:00Z"), d4 = At("2026-02-04T00:00:00Z"), d5 = At("2026-02-05T00:00:00Z");
  auto put = [&](std::vector<RollupBucket> b) {
    REQUIRE(t.db->Transaction([&] { return s.PutBuckets(RollupPeriod::kDay, "api", b); }).ok());
  };
  put({{"beta", d3, 5, 1, 0}, {"acme", d4, 7, 2, 0}, {"acme", d3, 1, 1, 0}});
  put({{"acme", d4, 9, 3, 0}});  // replaces
  auto all = s.Buckets(RollupPeriod::kDay, "api", {});
  REQUIRE(all.ok());
  CHECK(Shown(*all) == "acme@02-03T00=1 acme@02-04T00=9 beta@02-03T00=5");  // tenant, then bucket
  CHECK((*all)[1].events == 3);
  CHECK(Shown(*s.Buckets(RollupPeriod::kDay, "api", {d4, std::nullopt})) == "acme@02-04T00=9");
  CHECK(Shown(*s.Buckets(RollupPeriod::kDay, "api", {std::nullopt, d4}, "beta")) == "beta@02-03T00=5");
  CHECK(s.Buckets(RollupPeriod::kHour, "api", {})->empty());  // another period
  CHECK(s.Buckets(RollupPeriod::kDay, "llm", {})->empty());   // another meter
  put({{"beta", d3, 0, 0, 0}});  // nothing left: deleted
  CHECK(Shown(*s.Buckets(RollupPeriod::kDay, "api", {})) == "acme@02-03T00=1 acme@02-04T00=9");
  REQUIRE(t.db->Transaction([&] { return s.DeleteBuckets(RollupPeriod::kDay, "api", {d3, d4}); }).ok());
  CHECK(Shown(*s.Buckets(RollupPeriod::kDay, "api", {std::nullopt, d5})) == "acme@02-04T00=9");
}

TEST_CASE("rollup_store: watermarks, restarts, forgetting, and the hours new events touched") {
  testing::UsageDb f(kCatalog);
  RollupStore s(f.db);
  CHECK(s.LastEventSeq().value() == 0);
  CHECK(s.Watermarks()->empty());
  f.Use("api", "2026-02-03T10:05:00Z", 1);
  f.Use("api", "2026-02-03T10:55:00Z", 1);
  f.Use("llm", "2026-02-03T10:10:00Z", 1);
  f.Use("api", "2026-02-03T11:00:00Z", 1, {.tenant = "beta"});
  int64_t last = s.LastEventSeq().value();
  CHECK(last >= 4);
  auto touched = s.TouchedHours({"api"}, 0, last);
  REQUIRE(touched.ok());
  std::sort(touched->begin(), touched->end(),
            [](const TouchedHour& a, const TouchedHour& b) { return a.tenant < b.tenant; });
  REQUIRE(touched->size() == 2);
  CHECK((*touched)[0].tenant == "acme");
  CHECK((*touched)[0].metric == "api");
  CHECK((*touched)[0].hour == At("2026-02-03T10:00:00Z"));
  CHECK((*touched)[0].events == 2);
  CHECK((*touched)[1].hour == At("2026-02-03T11:00:00Z"));
  CHECK(s.TouchedHours({"api", "llm"}, last, last)->empty());  // nothing after the last seq
  REQUIRE(f.db.Transaction([&] { return s.Restart(RollupPeriod::kHour, "api", "def1", 0); }).ok());
  REQUIRE(f.db.Transaction([&] { return s.SetWatermark(RollupPeriod::kHour, "api", last, 0); }).ok());
  REQUIRE(f.db.Transaction([&] {
    return s.PutBuckets(RollupPeriod::kHour, "api", {{"acme", At("2026-02-03T10:00:00Z"), 2000000, 2, 0}});
  }).ok());
  auto marks = s.Watermarks();
  REQUIRE(marks->size() == 1);
  CHECK((*marks)[0].meter == "api");
  CHECK((*marks)[0].definition == "def1");
  CHECK((*marks)[0].last_seq == last);
  // A restart empties the buckets and starts from the first event again.
  REQUIRE(f.db.Transaction([&] { return s.Restart(RollupPeriod::kHour, "api", "def2", 0); }).ok());
  CHECK(s.Buckets(RollupPeriod::kHour, "api", {})->empty());
  CHECK(s.Watermarks()->front().last_seq == 0);
  CHECK(s.Watermarks()->front().definition == "def2");
  REQUIRE(f.db.Transaction([&] { return s.Forget(RollupPeriod::kHour, "api"); }).ok());
  CHECK(s.Watermarks()->empty());
}

}  // namespace
}  // namespace meter::store
