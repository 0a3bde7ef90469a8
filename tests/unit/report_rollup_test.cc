#include <doctest/doctest.h>

#include "catalog/catalog.h"
#include "core/time.h"
#include "report/rollup.h"

using namespace meter;

namespace {

catalog::Catalog RollupCatalog() {
  auto c = catalog::ParseCatalog(R"({
    "meters": [
      {"key": "api_calls"},
      {"key": "ai", "event": "ai_requests", "aggregation": "count"},
      {"key": "email", "event": "ai_requests", "where": {"operation": "email"}, "aggregation": "count"},
      {"key": "storage", "aggregation": "max"},
      {"key": "seats", "aggregation": "latest"},
      {"key": "users", "event": "api_calls", "aggregation": "unique_count", "value": "user"},
      {"key": "tokens", "event": "llm", "value": "properties.tokens"}
    ],
    "plans": [{"key": "p"}]})");
  REQUIRE(c.ok());
  return *c;
}

Event E(const char* metric, int64_t micros, const char* ts, const char* user = "",
                     const char* op = "", const char* props = "") {
  Event e;
  e.id = std::string(metric) + ts + user;
  e.tenant = "t";
  e.metric = metric;
  e.quantity_micros = micros;
  e.timestamp = *ParseRfc3339(ts);
  e.user = user;
  e.operation = op;
  e.properties = props;
  return e;
}

}  // namespace

TEST_CASE("report.rollup_aggregates_like_the_meters") {
  catalog::Catalog c = RollupCatalog();
  report::RawRollup r(c);
  r.Add(E("api_calls", 1500000, "2026-02-01T00:00:00Z", "u1"), "g");
  r.Add(E("api_calls", 2000000, "2026-02-01T01:00:00Z", "u2"), "g");
  r.Add(E("api_calls", 1000000, "2026-02-01T02:00:00Z", "u1"), "g");
  r.Add(E("ai_requests", 5000000, "2026-02-01T00:00:00Z", "", "email"), "g");
  r.Add(E("ai_requests", 1000000, "2026-02-01T00:00:00Z", "", "video"), "g");
  r.Add(E("storage", 7000000, "2026-02-01T00:00:00Z"), "g");
  r.Add(E("storage", 3000000, "2026-02-02T00:00:00Z"), "g");
  r.Add(E("seats", 9000000, "2026-02-03T00:00:00Z"), "g");
  r.Add(E("seats", 4000000, "2026-02-05T00:00:00Z"), "g");
  r.Add(E("seats", 6000000, "2026-02-04T00:00:00Z"), "g");
  r.Add(E("llm", 1000000, "2026-02-01T00:00:00Z", "", "", R"({"tokens": 1234.5})"), "g");
  r.Add(E("llm", 1000000, "2026-02-01T00:00:00Z", "", "", R"({"other": 1})"), "g");  // no value: nothing
  auto v = r.Values();
  CHECK(v[{"g", "api_calls"}] == Dec("4.5"));
  CHECK(v[{"g", "ai"}] == Dec("2"));       // count ignores quantity
  CHECK(v[{"g", "email"}] == Dec("1"));    // where on operation
  CHECK(v[{"g", "storage"}] == Dec("7"));
  CHECK(v[{"g", "seats"}] == Dec("4"));    // latest by time, not by arrival
  CHECK(v[{"g", "users"}] == Dec("2"));
  CHECK(v[{"g", "tokens"}] == Dec("1234.5"));
  CHECK(r.skipped() == 0);
}

TEST_CASE("report.rollup_groups_apart_and_skips_unreadable_events") {
  catalog::Catalog c = RollupCatalog();
  report::RawRollup r(c);
  r.Add(E("api_calls", 1000000, "2026-02-01T00:00:00Z", "u1"), "a");
  r.Add(E("api_calls", 3000000, "2026-02-01T00:00:00Z", "u1"), "b");
  r.Add(E("llm", 1000000, "2026-02-01T00:00:00Z", "", "", R"({"tokens": "lots"})"), "a");
  auto v = r.Values();
  CHECK(v[{"a", "api_calls"}] == Dec("1"));
  CHECK(v[{"b", "api_calls"}] == Dec("3"));
  CHECK(v.count({"a", "tokens"}) == 0);
  CHECK(r.skipped() == 1);
}
