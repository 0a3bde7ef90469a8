// Roll-ups: every aggregation into hour, day and month buckets, chunked and
// incremental runs with late events, definition changes, --verify and
// window rebuilds, on a real database filled through EventRecorder.
#include <doctest/doctest.h>

#include "store/rollup_store.h"
#include "support/temp_db.h"
#include "support/usage_events.h"
#include "usage/aggregate.h"

namespace meter::usage {
namespace {

using store::RollupPeriod;

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "calls", "event": "api"},
             {"key": "ok", "event": "api", "where": {"status": "ok"}},
             {"key": "eu", "event": "api", "aggregation": "count", "where": {"properties.region": "eu", "status": "ok"}},
             {"key": "users", "event": "api", "aggregation": "unique_count", "value": "user"},
             {"key": "tokens", "event": "llm", "value": "properties.n"},
             {"key": "peak", "event": "disk", "aggregation": "max"},
             {"key": "last", "event": "disk", "aggregation": "latest"}],
  "plans": [{"key": "p", "base_price": "0"}],
  "tenants": [{"id": "acme", "plan": "p"}, {"id": "nyc", "plan": "p", "timezone": "America/New_York"}]})";

struct Fixture : testing::UsageDb {
  Fixture() : UsageDb(kCatalog) {}
  AggregateSummary Run(int64_t chunk = 1000000, std::vector<RollupPeriod> periods = {}) {
    AggregateOptions o;
    o.periods = std::move(periods);
    o.chunk_events = chunk;
    auto s = RunAggregate(db, c, o, 0);
    REQUIRE(s.ok());
    return *s;
  }
  // "bucket=value" for each stored bucket of (period, meter, tenant), values in units.
  std::string Buckets(RollupPeriod p, const char* meter, const char* tenant = "acme") {
    auto b = store::RollupStore(db).Buckets(p, meter, {}, tenant);
    REQUIRE(b.ok());
    std::string out;
    for (const auto& x : *b)
      out += (out.empty() ? "" : " ") + FormatRfc3339(x.bucket).substr(5, 8) + "=" +
             Decimal::FromScaled(x.value, 6).ToString();
    return out;
  }
  size_t Drift() {
    auto r = VerifyAggregates(db, c, {}, {});
    REQUIRE(r.ok());
    CHECK(r->checked > 0);
    return r->drift.size();
  }
};

void UseSample(Fixture& f) {
  f.Use("api", "2026-02-03T10:05:00Z", 5, {.user = "u1", .status = "ok", .properties = R"({"region":"eu"})"});
  f.Use("api", "2026-02-03T10:40:00Z", 3, {.user = "u2", .status = "error", .properties = R"({"region":"eu"})"});
  f.Use("api", "2026-02-03T11:10:00Z", 2, {.user = "u1", .status = "ok", .properties = R"({"region":"us"})"});
  f.Use("api", "2026-02-04T09:00:00Z", 1, {.user = "u3", .status = "ok"});
  f.Use("llm", "2026-02-03T10:00:00Z", 1, {.properties = R"({"n":150})"});
  f.Use("llm", "2026-02-03T10:30:00Z", 1, {.properties = R"({"n":"250.5"})"});
  f.Use("llm", "2026-02-03T10:45:00Z", 1);  // no n: feeds nothing
  f.Use("disk", "2026-02-03T10:00:00Z", 10);
  f.Use("disk", "2026-02-03T10:50:00Z", 40);
  f.Use("disk", "2026-02-03T10:20:00Z", 30);  // stored later, but not the latest
  f.Use("disk", "2026-02-03T11:00:00Z", 20);
  f.Use("api", "2026-03-01T03:00:00Z", 7, {.user = "u9", .tenant = "nyc"});  // still February in New York
}

TEST_CASE("aggregate: every aggregation, where filters and bucket sizes") {
  Fixture f;
  UseSample(f);
  AggregateSummary s = f.Run();
  CHECK(s.events_processed == 12);
  CHECK(s.meters_rebuilt == 21);
  CHECK(f.Buckets(RollupPeriod::kHour, "calls") == "02-03T10=8 02-03T11=2 02-04T09=1");
  CHECK(f.Buckets(RollupPeriod::kDay, "calls") == "02-03T00=10 02-04T00=1");
  CHECK(f.Buckets(RollupPeriod::kMonth, "calls") == "02-01T00=11");
  CHECK(f.Buckets(RollupPeriod::kDay, "ok") == "02-03T00=7 02-04T00=1");
  CHECK(f.Buckets(RollupPeriod::kHour, "eu") == "02-03T10=1");
  CHECK(f.Buckets(RollupPeriod::kHour, "users") == "02-03T10=2 02-03T11=1 02-04T09=1");
  CHECK(f.Buckets(RollupPeriod::kDay, "users") == "02-03T00=2 02-04T00=1");
  CHECK(f.Buckets(RollupPeriod::kMonth, "users") == "02-01T00=3");
  CHECK(f.Buckets(RollupPeriod::kHour, "tokens") == "02-03T10=400.5");
  CHECK(f.Buckets(RollupPeriod::kHour, "peak") == "02-03T10=40 02-03T11=20");
  CHECK(f.Buckets(RollupPeriod::kHour, "last") == "02-03T10=40 02-03T11=20");
  CHECK(f.Buckets(RollupPeriod::kDay, "last") == "02-03T00=20");
  CHECK(f.Buckets(RollupPeriod::kMonth, "calls", "nyc") == "02-01T05=7");
  CHECK(f.Buckets(RollupPeriod::kDay, "calls", "nyc") == "03-01T00=7");
  CHECK(f.Drift() == 0);
}

TEST_CASE("aggregate: chunks of one event give the same buckets as one chunk") {
  Fixture one, many;
  UseSample(one);
  UseSample(many);
  one.Run();
  AggregateSummary s = many.Run(1);
  CHECK(s.transactions == 12);
  for (const char* m : {"calls", "ok", "eu", "users", "tokens", "peak", "last"})
    for (RollupPeriod p : {RollupPeriod::kHour, RollupPeriod::kDay, RollupPeriod::kMonth})
      CHECK(many.Buckets(p, m) == one.Buckets(p, m));
  CHECK(many.Drift() == 0);
}

TEST_CASE("aggregate: incremental runs, late events, idempotence") {
  Fixture f;
  UseSample(f);
  f.Run();
  CHECK(f.Run().events_processed == 0);
  f.Use("disk", "2026-02-03T10:55:00Z", 35);  // late: the new latest of an old hour
  f.Use("disk", "2026-02-03T10:59:00Z", 50);
  f.Use("api", "2026-02-03T10:15:00Z", 1, {.user = "u4", .status = "ok"});
  f.Use("api", "2026-02-03T10:16:00Z", 1, {.user = "u1", .status = "ok"});  // a user already counted
  CHECK(f.Run().events_processed == 4);
  CHECK(f.Buckets(RollupPeriod::kHour, "peak") == "02-03T10=50 02-03T11=20");
  CHECK(f.Buckets(RollupPeriod::kHour, "last") == "02-03T10=50 02-03T11=20");
  CHECK(f.Buckets(RollupPeriod::kDay, "last") == "02-03T00=20");
  CHECK(f.Buckets(RollupPeriod::kHour, "users") == "02-03T10=3 02-03T11=1 02-04T09=1");
  CHECK(f.Buckets(RollupPeriod::kMonth, "users") == "02-01T00=4");
  CHECK(f.Buckets(RollupPeriod::kMonth, "calls") == "02-01T00=13");
  CHECK(f.Drift() == 0);
}

TEST_CASE("aggregate: one bucket size at a time keeps its own watermark") {
  Fixture f;
  UseSample(f);
  CHECK(f.Run(1000000, {RollupPeriod::kDay}).events_processed == 12);
  CHECK(f.Buckets(RollupPeriod::kHour, "calls").empty());
  f.Use("api", "2026-02-03T12:00:00Z", 4, {.user = "u5"});
  // hours and months read all 13 events, days only the new one
  CHECK(f.Run().events_processed == 14);
  CHECK(f.Buckets(RollupPeriod::kDay, "calls") == "02-03T00=14 02-04T00=1");
  CHECK(f.Drift() == 0);
}

TEST_CASE("aggregate: a window rebuild from the raw events reproduces the incremental buckets") {
  Fixture f;
  UseSample(f);
  f.Run();
  // Rebuilding from the raw events is the reference: after it the stored
  // buckets must be unchanged.
  std::string before = f.Buckets(RollupPeriod::kDay, "users") + f.Buckets(RollupPeriod::kMonth, "calls");
  AggregateOptions o;
  o.rebuild.from = At("2026-02-01T00:00:00Z");
  o.rebuild.to = At("2026-03-01T00:00:00Z");
  auto s = RunAggregate(f.db, f.c, o, 0);
  REQUIRE(s.ok());
  CHECK(s->buckets_rebuilt > 0);
  CHECK(f.Buckets(RollupPeriod::kDay, "users") + f.Buckets(RollupPeriod::kMonth, "calls") == before);
  CHECK(f.Drift() == 0);
}

TEST_CASE("aggregate: a changed meter definition restarts its buckets") {
  Fixture f;
  UseSample(f);
  f.Run();
  f.c.meters[1].where[0].equals = "error";
  AggregateSummary s = f.Run();
  CHECK(s.meters_rebuilt == 3);
  CHECK(s.events_processed == 5);  // the api events again, for `ok` only
  CHECK(f.Buckets(RollupPeriod::kDay, "ok") == "02-03T00=3");
  CHECK(f.Drift() == 0);
}

TEST_CASE("aggregate: months covering a range in a time zone") {
  auto m = MonthsCovering(At("2026-01-15T00:00:00Z"), At("2026-03-01T02:00:00Z"), "America/New_York");
  REQUIRE(m.ok());
  REQUIRE(m->size() == 2);
  CHECK((*m)[0].start == At("2026-01-01T05:00:00Z"));
  CHECK((*m)[1].start == At("2026-02-01T05:00:00Z"));  // 1 March 02:00Z is still February there
  CHECK((*m)[1].end == At("2026-03-01T05:00:00Z"));
  CHECK(MonthsCovering(At("2026-01-15T00:00:00Z"), At("2026-03-01T05:00:00Z"), "America/New_York")->size() == 3);
  CHECK(MonthsCovering(0, 0, "")->size() == 1);
}

}  // namespace
}  // namespace meter::usage
