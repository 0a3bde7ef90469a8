// MeterEvaluator and EventRecorder: which meters an event feeds, with what
// value, and the events and hourly counters written to a real database.
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "catalog/catalog.h"
#include "ingest/meters.h"
#include "ingest/recorder.h"
#include "ingest/validator.h"
#include "store/database.h"
#include "store/event_store.h"
#include "support/temp_db.h"
#include "usage/quantity.h"

namespace meter::ingest {
namespace {

constexpr const char* kCatalog = R"({
  "meters": [
    {"key": "api_calls"},
    {"key": "requests", "event": "ai", "aggregation": "count"},
    {"key": "emails", "event": "ai", "aggregation": "count", "where": {"operation": "email"}},
    {"key": "gpt4_tokens", "event": "llm", "value": "properties.tokens", "where": {"properties.model": "gpt-4"}},
    {"key": "tokens", "event": "llm", "value": "properties.tokens"},
    {"key": "deep", "event": "llm", "aggregation": "max", "value": "properties.usage.total"},
    {"key": "storage", "aggregation": "max"},
    {"key": "seats", "aggregation": "latest"},
    {"key": "users", "event": "api_calls", "aggregation": "unique_count", "value": "user"},
    {"key": "slow", "event": "api_calls", "aggregation": "count", "where": {"latency_ms": 500}}
  ],
  "plans": [{"key": "p", "base_price": "0"}],
  "tenants": [{"id": "acme", "plan": "p"}, {"id": "beta", "plan": "p"}]
})";

const catalog::Catalog& TestCatalog() {
  static const catalog::Catalog c = [] {
    auto parsed = catalog::ParseCatalog(kCatalog);
    REQUIRE(parsed.ok());
    return *parsed;
  }();
  return c;
}

Event MakeEvent(const std::string& id, const std::string& tenant, const std::string& metric, Timestamp ts,
                 int64_t micros = 1000000) {
  Event e;
  e.id = id;
  e.tenant = tenant;
  e.metric = metric;
  e.timestamp = ts;
  e.quantity_micros = micros;
  return e;
}

std::string Contributions(const Event& e) {
  static MeterEvaluator eval(TestCatalog());
  std::vector<Contribution> out;
  Status st = eval.Evaluate(e, &out);
  if (!st.ok()) return "error: " + st.message();
  std::string s;
  for (const Contribution& c : out)
    s += c.meter->key + "=" + (c.unique.empty() ? std::to_string(c.micros) : c.unique) + " ";
  return s;
}

TEST_CASE("ingest.meters_contributions") {
  Event api = MakeEvent("1", "acme", "api_calls", 0, 2500000);
  api.user = "u1";
  CHECK(Contributions(api) == "api_calls=2500000 users=u1 ");
  api.latency_ms = 500;
  CHECK(Contributions(api) == "api_calls=2500000 users=u1 slow=1000000 ");
  api.user = "";  // no value: no contribution to the unique_count meter
  CHECK(Contributions(api) == "api_calls=2500000 slow=1000000 ");

  Event ai = MakeEvent("2", "acme", "ai", 0, 3000000);
  CHECK(Contributions(ai) == "requests=1000000 ");  // count ignores the quantity
  ai.operation = "email";
  CHECK(Contributions(ai) == "requests=1000000 emails=1000000 ");

  Event llm = MakeEvent("3", "acme", "llm", 0);
  CHECK(Contributions(llm) == "");  // no properties: no value for any llm meter
  llm.properties = R"({"tokens":150,"model":"gpt-4","usage":{"total":"7.5"}})";
  CHECK(Contributions(llm) == "gpt4_tokens=150000000 tokens=150000000 deep=7500000 ");
  llm.properties = R"({"tokens":"12","model":"claude"})";
  CHECK(Contributions(llm) == "tokens=12000000 ");
  llm.properties = R"({"tokens":null})";
  CHECK(Contributions(llm) == "");

  CHECK(Contributions(MakeEvent("4", "acme", "unknown", 0)) == "");
}

TEST_CASE("ingest.meters_refuse_unusable_values") {
  Event llm = MakeEvent("3", "acme", "llm", 0);
  llm.properties = R"({"tokens":"abc"})";
  CHECK(Contributions(llm) == "error: properties.tokens 'abc' is not a number (read by meter 'tokens')");
  llm.properties = R"({"tokens":-4})";
  CHECK(Contributions(llm) == "error: properties.tokens must be non-negative (read by meter 'tokens')");
  llm.properties = R"({"tokens":[1]})";
  CHECK(Contributions(llm) == "error: properties.tokens must be a number (read by meter 'tokens')");
  llm.properties = R"({"tokens":true})";
  CHECK(Contributions(llm) == "error: properties.tokens must be a number (read by meter 'tokens')");
  llm.properties = R"({"tokens":1.0000001})";
  CHECK(Contributions(llm) ==
        "error: properties.tokens '1.0000001' has more than 6 decimal places (read by meter 'tokens')");
}

TEST_CASE("ingest.validator_tenant_metric_future") {
  Validator v(TestCatalog());
  Timestamp now = 1770000000000;
  CHECK(v.Check(MakeEvent("1", "acme", "api_calls", now), now).ok());
  CHECK(v.Check(MakeEvent("1", "acme", "ai", now + 5 * kMillisPerMinute), now).ok());
  CHECK(v.Check(MakeEvent("1", "acme2", "api_calls", now), now).message() == "unknown tenant 'acme2'");
  CHECK(v.Check(MakeEvent("1", "acme", "api_call", now), now).message() == "unknown metric 'api_call'");
  CHECK(v.Check(MakeEvent("1", "acme", "api_calls", now + 5 * kMillisPerMinute + 1), now).message() ==
        "timestamp '2026-02-02T02:45:00.001Z' is more than 5 minutes in the future");
  CHECK(v.Check(MakeEvent("1", "acme", "api_calls", now + kMillisPerDay), now, "time").message().rfind("time '", 0) == 0);
}

using testing::TempDb;

std::string Value(store::Database& db, const char* tenant, const char* meter, Period p) {
  auto v = usage::MeterQuantity(db, tenant, *TestCatalog().FindMeter(meter), p);
  REQUIRE(v.ok());
  return v->ToString();
}

TEST_CASE("ingest.recorder_dedupes_and_counts") {
  TempDb t;
  store::Database& db = *t.db;
  const Timestamp h = 1769904000000;  // 2026-02-01T00:00:00Z
  EventRecorder rec(db, TestCatalog());
  REQUIRE(db.Transaction([&]() -> Status {
    Event a = MakeEvent("a", "acme", "api_calls", h + 10, 2000000);
    a.user = "u1";
    CHECK(*rec.Record(a) == true);
    CHECK(*rec.Record(a) == false);  // same id: a duplicate, counted once
    Event b = MakeEvent("b", "acme", "api_calls", h + kMillisPerHour + 5, 500000);
    b.user = "u1";
    CHECK(*rec.Record(b) == true);
    Event c = MakeEvent("c", "acme", "api_calls", h + 20, 1000000);
    c.user = "u2";
    CHECK(*rec.Record(c) == true);
    CHECK(*rec.Record(MakeEvent("s1", "acme", "storage", h + 1, 5000000)) == true);
    CHECK(*rec.Record(MakeEvent("s2", "acme", "storage", h + 2, 7250000)) == true);
    CHECK(*rec.Record(MakeEvent("s3", "acme", "storage", h + kMillisPerHour, 3000000)) == true);
    CHECK(*rec.Record(MakeEvent("n1", "acme", "seats", h + 500, 4000000)) == true);
    CHECK(*rec.Record(MakeEvent("n2", "acme", "seats", h + 100, 9000000)) == true);  // older: not latest
    CHECK(*rec.Record(MakeEvent("q1", "beta", "ai", h)) == true);
    return rec.Flush();
  }).ok());
  // A second transaction merges into the same hourly rows.
  REQUIRE(db.Transaction([&]() -> Status {
    CHECK(*rec.Record(MakeEvent("a", "acme", "api_calls", h + 10, 2000000)) == false);
    CHECK(*rec.Record(MakeEvent("d", "acme", "api_calls", h + 30, 250000)) == true);
    CHECK(*rec.Record(MakeEvent("s4", "acme", "storage", h + 3, 6000000)) == true);  // below the max
    CHECK(*rec.Record(MakeEvent("n3", "acme", "seats", h + 2 * kMillisPerHour, 2000000)) == true);
    return rec.Flush();
  }).ok());
  Period day{h, h + kMillisPerDay};
  CHECK(Value(db, "acme", "api_calls", day) == "3.75");
  CHECK(Value(db, "acme", "api_calls", Period{h, h + kMillisPerHour}) == "3.25");
  CHECK(Value(db, "acme", "users", day) == "2");
  CHECK(Value(db, "acme", "storage", day) == "7.25");
  CHECK(Value(db, "acme", "seats", day) == "2");
  CHECK(Value(db, "acme", "seats", Period{h, h + kMillisPerHour}) == "4");
  CHECK(Value(db, "beta", "requests", day) == "1");
  CHECK(Value(db, "acme", "requests", day) == "0");
  store::EventStore events(db);
  CHECK(*events.CountEvents() == 12);
}

TEST_CASE("ingest.recorder_refusals_and_rollbacks") {
  TempDb t;
  store::Database& db = *t.db;
  EventRecorder rec(db, TestCatalog());
  Status st = db.Transaction([&]() -> Status {
    Event bad = MakeEvent("x", "acme", "llm", 0);
    bad.properties = R"({"tokens":"many"})";
    auto r = rec.Record(bad);
    CHECK(r.status().IsDataError());
    CHECK(rec.Check(bad).IsDataError());
    Event negative = MakeEvent("y", "acme", "api_calls", 0, -1);
    CHECK(rec.Record(negative).status().message() == "quantity must be non-negative");
    CHECK(*rec.Record(MakeEvent("z", "acme", "api_calls", 0)) == true);
    rec.Discard();
    return Status::DataError("roll back");
  });
  CHECK(st.IsDataError());
  store::EventStore events(db);
  CHECK(*events.CountEvents() == 0);
  CHECK(Value(db, "acme", "api_calls", Period{0, kMillisPerDay}) == "0");
  // The id rolled back is free again.
  REQUIRE(db.Transaction([&]() -> Status {
    CHECK(*rec.Record(MakeEvent("z", "acme", "api_calls", 0)) == true);
    return rec.Flush();
  }).ok());
  CHECK(Value(db, "acme", "api_calls", Period{0, kMillisPerDay}) == "1");
}

TEST_CASE("ingest.recorder_staged_writes_in_id_order") {
  TempDb t;
  store::Database& db = *t.db;
  EventRecorder rec(db, TestCatalog());
  EventStager stager(TestCatalog());
  StagedEvents stage;
  std::vector<std::string> written;
  std::vector<std::pair<uint64_t, bool>> outcomes;
  REQUIRE(db.Transaction([&]() -> Status {
    Event c = MakeEvent("c", "acme", "api_calls", 0, 3000000);
    Event a = MakeEvent("a", "acme", "api_calls", 0, 1000000);
    Event a2 = MakeEvent("a", "acme", "api_calls", 0, 9000000);  // same id, staged later: a duplicate
    Event bad = MakeEvent("x", "acme", "llm", 0);
    bad.properties = R"({"tokens":"many"})";
    CHECK(stager.Stage(ViewOf(c), 1, &stage).ok());
    CHECK(stager.Stage(ViewOf(a), 2, &stage).ok());
    CHECK(stager.Stage(ViewOf(a2), 3, &stage).ok());
    CHECK(stager.Stage(ViewOf(bad), 4, &stage).IsDataError());  // refused, not staged
    CHECK(stage.size() == 3);
    METER_RETURN_IF_ERROR(rec.Write(stage, stage.ById(), [&](uint64_t tag, bool inserted, const EventView& e) {
      written.emplace_back(e.id);
      outcomes.emplace_back(tag, inserted);
      return Status::OK();
    }));
    return rec.Flush();
  }).ok());
  // Inserted in id order (the first staged "a" wins); reported in staging order.
  CHECK(written == std::vector<std::string>{"c", "a", "a"});
  CHECK(outcomes == std::vector<std::pair<uint64_t, bool>>{{1, true}, {2, true}, {3, false}});
  CHECK(Value(db, "acme", "api_calls", Period{0, kMillisPerDay}) == "4");
  CHECK(*store::EventStore(db).CountEvents() == 2);
}

}  // namespace
}  // namespace meter::ingest
