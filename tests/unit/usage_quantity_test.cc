// Exact usage over any [start, end) (usage/quantity.h): whole hours from the
// counters, partial hours from raw events, for every aggregation; voided
// events left out; charge filters (first match wins) and groups.
#include <doctest/doctest.h>

#include "store/database.h"
#include "support/temp_db.h"
#include "support/usage_events.h"
#include "usage/quantity.h"

namespace meter::usage {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "calls", "event": "api"},
             {"key": "hits", "event": "api", "aggregation": "count"},
             {"key": "users", "event": "api", "aggregation": "unique_count", "value": "user"},
             {"key": "peak", "event": "disk", "aggregation": "max"},
             {"key": "last", "event": "disk", "aggregation": "latest"},
             {"key": "tokens", "event": "llm", "value": "properties.tokens"}],
  "plans": [{"key": "p", "base_price": "0"}],
  "tenants": [{"id": "acme", "plan": "p"}, {"id": "beta", "plan": "p"}]})";

struct Fixture : testing::UsageDb {
  Fixture() : UsageDb(kCatalog) {}
  std::string Q(const char* meter, const char* from, const char* to, const char* tenant = "acme") {
    auto v = MeterQuantity(db, tenant, *c.FindMeter(meter), {At(from), At(to)});
    REQUIRE(v.ok());
    return v->ToString();
  }
};

TEST_CASE("usage.quantity: partial hours at both ends are counted from raw events, exactly") {
  Fixture f;
  f.Use("api", "2026-02-01T18:15:00Z", 100, {.user = "u1"});  // before a +05:30 month start
  f.Use("api", "2026-02-01T18:45:00Z", 1, {.user = "u2"});    // after it, same UTC hour
  f.Use("api", "2026-02-02T07:00:00Z", 5, {.user = "u3"});    // a whole hour inside
  f.Use("api", "2026-02-03T10:20:00Z", 7, {.user = "u1"});    // before an off-hour end
  f.Use("api", "2026-02-03T10:40:00Z", 1000, {.user = "u4"}); // after it
  const char* from = "2026-02-01T18:30:00Z";
  const char* to = "2026-02-03T10:30:00Z";
  CHECK(f.Q("calls", from, to) == "13");
  CHECK(f.Q("hits", from, to) == "3");
  CHECK(f.Q("users", from, to) == "3");  // u2, u3, u1
  // Whole hours only: the counters alone.
  CHECK(f.Q("calls", "2026-02-01T18:00:00Z", "2026-02-03T11:00:00Z") == "1113");
  // Inside one hour.
  CHECK(f.Q("calls", "2026-02-01T18:30:00Z", "2026-02-01T18:50:00Z") == "1");
  CHECK(f.Q("calls", "2026-02-01T18:50:00Z", "2026-02-01T18:30:00Z") == "0");
}

TEST_CASE("usage.quantity: max and latest combine counters with partial hours") {
  Fixture f;
  f.Use("disk", "2026-02-01T18:10:00Z", 90);  // before the start: not counted
  f.Use("disk", "2026-02-01T18:40:00Z", 30);
  f.Use("disk", "2026-02-01T20:00:00Z", 50);
  f.Use("disk", "2026-02-02T09:10:00Z", 40);  // the latest inside
  f.Use("disk", "2026-02-02T09:50:00Z", 70);  // after the end
  const char* from = "2026-02-01T18:30:00Z";
  const char* to = "2026-02-02T09:30:00Z";
  CHECK(f.Q("peak", from, to) == "50");
  CHECK(f.Q("last", from, to) == "40");
  CHECK(f.Q("last", from, "2026-02-01T21:00:00Z") == "50");
}

TEST_CASE("usage.quantity: every tenant at once agrees with one tenant at a time") {
  Fixture f;
  f.Use("api", "2026-02-01T18:45:00Z", 2, {.user = "a", .tenant = "acme"});
  f.Use("api", "2026-02-01T19:45:00Z", 3, {.user = "b", .tenant = "beta"});
  f.Use("api", "2026-02-01T18:05:00Z", 4, {.user = "c", .tenant = "beta"});
  Period p{At("2026-02-01T18:30:00Z"), At("2026-03-01T18:30:00Z")};
  for (const char* meter : {"calls", "users", "hits"}) {
    auto all = MeterQuantities(f.db, *f.c.FindMeter(meter), p);
    REQUIRE(all.ok());
    for (const char* tenant : {"acme", "beta"})
      CHECK((*all)[tenant] == *MeterQuantity(f.db, tenant, *f.c.FindMeter(meter), p));
  }
}

TEST_CASE("usage.quantity: many buckets in one read agree with one bucket at a time") {
  // Reports and roll-ups measure a meter per day or hour in one counter read
  // (MeterValuesIn); each bucket must equal the quantity measured alone,
  // buckets off the hour (+05:30 days) and overlapping ones included.
  Fixture f;
  f.Use("api", "2026-02-01T18:15:00Z", 100, {.user = "u1"});
  f.Use("api", "2026-02-01T18:45:00Z", 1, {.user = "u2"});
  f.Use("api", "2026-02-02T07:00:00Z", 5, {.user = "u1"});
  f.Use("api", "2026-02-02T18:40:00Z", 7, {.user = "u3"});
  f.Use("disk", "2026-02-01T20:00:00Z", 50);
  f.Use("disk", "2026-02-02T19:10:00Z", 40);
  std::vector<Period> buckets;
  for (const char* start : {"2026-01-31T18:30:00Z", "2026-02-01T18:30:00Z", "2026-02-02T18:30:00Z"})
    buckets.push_back({At(start), At(start) + 24 * kMillisPerHour});
  buckets.push_back({At("2026-02-01T00:00:00Z"), At("2026-02-03T00:00:00Z")});  // overlaps the others
  buckets.push_back({At("2026-02-02T07:00:00Z"), At("2026-02-02T08:00:00Z")});  // one whole hour
  for (const char* meter : {"calls", "hits", "users", "peak", "last"}) {
    const catalog::Meter& m = *f.c.FindMeter(meter);
    auto values = MeterValuesIn(f.db, "acme", m, buckets);
    REQUIRE(values.ok());
    REQUIRE(values->size() == buckets.size());
    for (size_t i = 0; i < buckets.size(); ++i) {
      CAPTURE(meter);
      CAPTURE(i);
      CHECK((*values)[i].value() == *MeterQuantity(f.db, "acme", m, buckets[i]));
    }
  }
  auto values = MeterValuesIn(f.db, "acme", *f.c.FindMeter("calls"), buckets);
  CHECK((*values)[1].value().ToString() == "6");  // 18:45 on the 1st and 07:00 on the 2nd
  CHECK((*values)[3].value().ToString() == "113");
}

TEST_CASE("usage.quantity: voided events count nowhere") {
  Fixture f;
  f.Use("api", "2026-02-01T18:45:00Z", 2);
  f.Use("api", "2026-02-01T18:50:00Z", 3);
  // The row marked void, its counters not recounted yet: the partial hour,
  // read from the raw events, leaves it out all the same.
  f.MarkVoid("e2");
  CHECK(f.Q("calls", "2026-02-01T18:30:00Z", "2026-02-01T19:00:00Z") == "2");
}

// The slices' values, without how many events each took.
Result<std::vector<std::map<SliceKey, Decimal>>> Values(
    Result<std::vector<std::map<SliceKey, ingest::MeterValue>>> measured) {
  if (!measured.ok()) return measured.status();
  std::vector<std::map<SliceKey, Decimal>> out;
  for (const auto& slices : *measured) {
    auto& m = out.emplace_back();
    for (const auto& [key, v] : slices) m[key] = v.value();
  }
  return out;
}

TEST_CASE("usage.quantity: charge filters, first match wins, groups and the remainder") {
  Fixture f;
  f.Use("llm", "2026-02-02T10:00:00Z", 1, {.properties = R"({"tokens": 100, "model": "gpt-4o", "project": "alpha"})"});
  f.Use("llm", "2026-02-02T10:10:00Z", 1, {.properties = R"({"tokens": 30, "model": "gpt-4o", "project": "beta"})"});
  f.Use("llm", "2026-02-02T10:20:00Z", 1, {.properties = R"({"tokens": 5, "model": "claude-opus"})"});
  f.Use("llm", "2026-02-02T10:30:00Z", 1, {.properties = R"({"tokens": 7, "model": "mistral", "project": "alpha"})"});
  f.Use("llm", "2026-02-02T10:40:00Z", 1, {.properties = R"({"model": "gpt-4o"})"});  // no tokens: feeds nothing
  f.Use("llm", "2026-02-03T10:40:00Z", 1, {.properties = R"({"tokens": 9, "model": "gpt-4o"})", .tenant = "beta"});
  SliceSpec spec;
  spec.filters.push_back({{{"properties.model", {"gpt-4o"}}}, "properties.project"});
  spec.filters.push_back({{{"properties.model", {"claude-sonnet", "claude-opus", "gpt-4o"}}}, ""});
  spec.remainder_group_by = "";
  Period feb{At("2026-02-01T00:00:00Z"), At("2026-03-01T00:00:00Z")};
  std::vector<SliceRequest> requests = {{"acme", feb}, {"beta", feb}, {"acme", {At("2026-02-02T10:05:00Z"), At("2026-02-02T10:25:00Z")}}};
  auto r = Values(MeasureSlices(f.db, *f.c.FindMeter("tokens"), spec, requests));
  REQUIRE(r.ok());
  REQUIRE(r->size() == 3);
  std::map<SliceKey, Decimal> acme{{{0, "alpha"}, Decimal::FromInt(100)}, {{0, "beta"}, Decimal::FromInt(30)},
                                   {{1, ""}, Decimal::FromInt(5)}, {{-1, ""}, Decimal::FromInt(7)}};
  CHECK((*r)[0] == acme);
  std::map<SliceKey, Decimal> beta{{{0, kNoGroupValue}, Decimal::FromInt(9)}};
  CHECK((*r)[1] == beta);
  std::map<SliceKey, Decimal> part{{{0, "beta"}, Decimal::FromInt(30)}, {{1, ""}, Decimal::FromInt(5)}};
  CHECK((*r)[2] == part);
}

TEST_CASE("usage.quantity: max and unique_count are per filter and group") {
  Fixture f;
  f.Use("disk", "2026-02-02T10:00:00Z", 10, {.properties = R"({"tier": "ssd"})"});
  f.Use("disk", "2026-02-02T11:00:00Z", 80, {.properties = R"({"tier": "hdd"})"});
  f.Use("disk", "2026-02-02T12:00:00Z", 20, {.properties = R"({"tier": "ssd"})"});
  f.Use("api", "2026-02-02T10:00:00Z", 1, {.user = "u1", .properties = R"({"region": "eu"})"});
  f.Use("api", "2026-02-02T10:01:00Z", 1, {.user = "u1", .properties = R"({"region": "us"})"});
  f.Use("api", "2026-02-02T10:02:00Z", 1, {.user = "u2", .properties = R"({"region": "eu"})"});
  Period feb{At("2026-02-01T00:00:00Z"), At("2026-03-01T00:00:00Z")};
  SliceSpec tiers;
  tiers.filters.push_back({{{"properties.tier", {"ssd"}}}, ""});
  auto peak = Values(MeasureSlices(f.db, *f.c.FindMeter("peak"), tiers, {{"acme", feb}}));
  REQUIRE(peak.ok());
  std::map<SliceKey, Decimal> want_peak{{{0, ""}, Decimal::FromInt(20)}, {{-1, ""}, Decimal::FromInt(80)}};
  CHECK((*peak)[0] == want_peak);
  SliceSpec regions;
  regions.remainder_group_by = "properties.region";
  auto users = Values(MeasureSlices(f.db, *f.c.FindMeter("users"), regions, {{"acme", feb}}));
  REQUIRE(users.ok());
  std::map<SliceKey, Decimal> want_users{{{-1, "eu"}, Decimal::FromInt(2)}, {{-1, "us"}, Decimal::FromInt(1)}};
  CHECK((*users)[0] == want_users);
}

}  // namespace
}  // namespace meter::usage
