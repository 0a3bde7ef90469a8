// EventStore (store/event_store.h): inserts deduplicated by (id, source),
// one at a time and in bulk, every field stored and read back (NULL for
// absent ones), voiding, listing newest first with filters, counters added
// by merge, and the issued invoice periods that make usage late.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "billing/generate.h"
#include "store/counter_store.h"
#include "store/event_store.h"
#include "support/usage_events.h"

namespace meter::store {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "api"}],
  "plans": [{"key": "p", "base_price": "1"}],
  "tenants": [{"id": "acme", "plan": "p"}, {"id": "beta", "plan": "p"}]})";

Event Full(const char* id, const char* source = "") {
  Event e = testing::UsageAt(id, "acme", "api", "2026-02-03T10:00:00Z", 2);
  e.source = source;
  e.quantity_micros = 2500001;
  e.user = "u1";
  e.operation = "search";
  e.status = "ok";
  e.latency_ms = 0;  // present, though zero
  e.cost = "0.000001";
  e.properties = R"({"a":[1,2]})";
  return e;
}

TEST_CASE("event_store: one event per identity, every field as inserted") {
  testing::UsageDb f(kCatalog);
  EventStore store(f.db);
  auto insert = [&](const Event& e) {
    bool inserted = false;
    REQUIRE(f.db.Transaction([&]() -> Status {
      METER_ASSIGN_OR_RETURN(inserted, store.Insert(ViewOf(e), At("2026-02-05T00:00:00Z")));
      return Status::OK();
    }).ok());
    return inserted;
  };
  CHECK(insert(Full("e1")));
  CHECK(!insert(Full("e1")));        // the same identity
  CHECK(insert(Full("e1", "/svc")));  // another source: another event
  Event bare = testing::UsageAt("e2", "beta", "api", "2026-02-03T11:00:00Z");
  CHECK(insert(bare));
  CHECK(store.CountEvents().value() == 3);

  auto found = store.FindById("e1");
  REQUIRE(found.ok());
  REQUIRE(found->size() == 2);
  const StoredEvent& native = (*found)[0];  // ordered by source: "" first
  CHECK(native.event.source == "");
  CHECK((*found)[1].event.source == "/svc");
  Event want = Full("e1");
  CHECK(native.event.tenant == want.tenant);
  CHECK(native.event.metric == want.metric);
  CHECK(native.event.timestamp == want.timestamp);
  CHECK(native.event.quantity_micros == 2500001);
  CHECK(native.event.user == "u1");
  CHECK(native.event.operation == "search");
  CHECK(native.event.status == "ok");
  CHECK(native.event.latency_ms == 0);
  CHECK(native.event.cost == "0.000001");
  CHECK(native.event.properties == R"({"a":[1,2]})");
  CHECK(native.ingested_at == At("2026-02-05T00:00:00Z"));
  CHECK(!native.voided_at);
  auto b = store.FindById("e2");
  REQUIRE(b->size() == 1);
  CHECK(!(*b)[0].event.latency_ms);
  CHECK((*b)[0].event.user.empty());
  CHECK(store.FindById("nope")->empty());
}

TEST_CASE("event_store: bulk inserts count repeats inside the batch and against the table") {
  testing::UsageDb f(kCatalog);
  EventStore store(f.db);
  Event a = Full("a"), b = Full("b"), c = Full("c");
  std::vector<bool> inserted;
  REQUIRE(f.db.Transaction([&] { return store.InsertMany({ViewOf(b)}, 1, &inserted); }).ok());
  REQUIRE(f.db.Transaction([&] { return store.InsertMany({ViewOf(a), ViewOf(a), ViewOf(b), ViewOf(c)}, 2, &inserted); }).ok());
  CHECK(inserted == std::vector<bool>{true, false, false, true});
  CHECK(store.CountEvents().value() == 3);
}

// After a call that found mostly duplicates, SQLite's InsertMany looks each
// event up before inserting: the same events are inserted and reported.
TEST_CASE("event_store: bulk inserts after mostly duplicates still insert and report exactly the new ones") {
  testing::UsageDb f(kCatalog);
  EventStore store(f.db);
  std::vector<Event> events;
  for (int i = 0; i < 200; ++i) events.push_back(Full(("e" + std::to_string(i)).c_str()));
  auto views = [&](std::vector<int> which) {
    std::vector<EventView> out;
    for (int i : which) out.push_back(ViewOf(events[i]));
    return out;
  };
  std::vector<int> even, all;
  for (int i = 0; i < 200; ++i) {
    if (i % 2 == 0) even.push_back(i);
    all.push_back(i);
  }
  std::vector<bool> inserted;
  REQUIRE(f.db.Transaction([&] { return store.InsertMany(views(even), 1, &inserted); }).ok());
  CHECK(std::count(inserted.begin(), inserted.end(), true) == 100);
  // All duplicates: the next call looks up first.
  REQUIRE(f.db.Transaction([&] { return store.InsertMany(views(even), 2, &inserted); }).ok());
  CHECK(std::count(inserted.begin(), inserted.end(), true) == 0);
  // Stored ones, new ones (the odd), and a new one twice: the first copy wins.
  std::vector<int> mixed = {0, 1, 2, 3, 3, 5, 4};
  REQUIRE(f.db.Transaction([&] { return store.InsertMany(views(mixed), 3, &inserted); }).ok());
  CHECK(inserted == std::vector<bool>{false, true, false, true, false, true, false});
  // Mostly new again (more than 64: a statement of many rows), then mostly duplicates.
  REQUIRE(f.db.Transaction([&] { return store.InsertMany(views(all), 4, &inserted); }).ok());
  CHECK(std::count(inserted.begin(), inserted.end(), true) == 200 - 100 - 3);
  CHECK(!inserted[0]);
  CHECK(inserted[7]);
  CHECK(store.CountEvents().value() == 200);
  REQUIRE(f.db.Transaction([&] { return store.InsertMany(views(all), 5, &inserted); }).ok());
  CHECK(std::count(inserted.begin(), inserted.end(), true) == 0);
  CHECK(store.CountEvents().value() == 200);
  for (const char* id : {"e1", "e3", "e5", "e7", "e199"}) {
    auto found = store.FindById(id);
    REQUIRE(found->size() == 1);
    CHECK((*found)[0].ingested_at == (std::string(id) == "e7" || std::string(id) == "e199" ? 4 : 3));
  }
}

// Regression: the checkpointer's connection had never read the database, so
// SQLite gave it no write-ahead log and each checkpoint copied nothing: the
// writer's close still copied everything.
TEST_CASE("event_store: the background checkpointer copies committed pages into the database file") {
  testing::UsageDb f(kCatalog);
  if (testing::TempDb::DefaultBackend() != testing::TempDb::Backend::kSqlite) return;  // no file, no log
  EventStore store(f.db);
  auto file_size = [&] { return std::filesystem::file_size(f.db.path()); };
  const uintmax_t before = file_size();
  std::vector<Event> events;
  for (int i = 0; i < 2000; ++i) events.push_back(Full(("e" + std::to_string(i)).c_str()));
  std::vector<EventView> views;
  for (const Event& e : events) views.push_back(ViewOf(e));
  std::vector<bool> inserted;
  REQUIRE(f.db.Transaction([&] { return store.InsertMany(views, 1, &inserted); }).ok());
  CHECK(file_size() == before);  // committed to the log only
  {
    BackgroundCheckpointer checkpointer(f.db);
    checkpointer.Committed();
  }  // runs the checkpoint asked for
  CHECK(file_size() > before + 2000 * 100);
  CHECK(store.CountEvents().value() == 2000);
}

TEST_CASE("event_store: void once, list newest first with filters") {
  testing::UsageDb f(kCatalog);
  f.Use("api", "2026-02-03T10:00:00Z", 1);                      // e1
  f.Use("api", "2026-02-03T12:00:00Z", 1);                      // e2
  f.Use("api", "2026-02-03T11:00:00Z", 1, {.tenant = "beta"});  // e3
  f.Use("api", "2026-02-03T12:00:00Z", 1);                      // e4: same time as e2, stored later
  EventStore store(f.db);
  // The ids List gives for a filter that `narrow` sets.
  auto ids = [&](const std::function<void(EventFilter&)>& narrow) {
    EventFilter filter;
    narrow(filter);
    auto listed = store.List(filter);
    REQUIRE(listed.ok());
    std::string out;
    for (const auto& e : *listed) out += (out.empty() ? "" : " ") + e.event.id;
    return out;
  };
  CHECK(ids([](EventFilter&) {}) == "e4 e2 e3 e1");
  CHECK(ids([](EventFilter& f) { f.tenant = "acme"; }) == "e4 e2 e1");
  CHECK(ids([](EventFilter& f) {
          f.from = At("2026-02-03T11:00:00Z");
          f.to = At("2026-02-03T12:00:00Z");
        }) == "e3");
  CHECK(ids([](EventFilter& f) { f.limit = 2; }) == "e4 e2");
  CHECK(ids([](EventFilter& f) { f.metric = "other"; }).empty());
  bool marked = false;
  REQUIRE(f.db.Transaction([&]() -> Status {
    METER_ASSIGN_OR_RETURN(marked, store.Void("e2", "", "duplicate", At("2026-02-04T00:00:00Z")));
    return Status::OK();
  }).ok());
  CHECK(marked);
  REQUIRE(f.db.Transaction([&]() -> Status {
    METER_ASSIGN_OR_RETURN(marked, store.Void("e2", "", "again", At("2026-02-05T00:00:00Z")));
    return Status::OK();
  }).ok());
  CHECK(!marked);  // the first time and reason stay
  auto e2 = store.FindById("e2");
  CHECK((*e2)[0].voided_at == At("2026-02-04T00:00:00Z"));
  CHECK((*e2)[0].void_reason == "duplicate");
  CHECK(ids([](EventFilter& f) { f.voided_only = true; }) == "e2");
}

TEST_CASE("event_store: counter deltas merge into the stored rows by their meter's rule") {
  // One call holds each (tenant, meter, hour) once (ingest's DeltaBuffer
  // sums them first; PostgreSQL's one upsert per call relies on it), so
  // merging is shown across calls.
  testing::UsageDb f(kCatalog);
  EventStore store(f.db);
  Timestamp hour = At("2026-02-03T10:00:00Z");
  Period p{hour, hour + kMillisPerHour};
  auto add = [&](std::vector<CounterDelta> deltas) {
    REQUIRE(f.db.Transaction([&] { return store.AddCounters(deltas); }).ok());
  };
  add({{"acme", "api", hour, CounterMerge::kAdd, 2000000, 1, 0}, {"beta", "api", hour, CounterMerge::kMax, 7, 1, 0}});
  add({{"acme", "api", hour, CounterMerge::kAdd, 500000, 2, 0}, {"beta", "api", hour, CounterMerge::kMax, 3, 1, 0}});
  auto t = CounterStore(f.db).Total("acme", "api", CounterMerge::kAdd, p);
  CHECK(t->value == 2500000);
  CHECK(t->events == 3);
  CHECK(CounterStore(f.db).Total("beta", "api", CounterMerge::kMax, p)->value == 7);
  Timestamp later = hour + 10 * kMillisPerMinute, earlier = hour + 5 * kMillisPerMinute;
  add({{"acme", "last", hour, CounterMerge::kLatest, 4, 1, later}});
  add({{"acme", "last", hour, CounterMerge::kLatest, 9, 1, earlier}});  // older: the value stays
  auto last = CounterStore(f.db).Total("acme", "last", CounterMerge::kLatest, p);
  CHECK(last->value == 4);
  CHECK(last->latest_ts == later);
  std::vector<UniqueValue> uniques = {{"acme", "api", hour, "x"}, {"acme", "api", hour, "x"}, {"acme", "api", hour, "y"}};
  REQUIRE(f.db.Transaction([&] { return store.AddUniques(uniques); }).ok());
  REQUIRE(f.db.Transaction([&] { return store.AddUniques({{"acme", "api", hour, "y"}}); }).ok());
  CHECK(CounterStore(f.db).DistinctCount("acme", "api", p).value() == 2);
}

TEST_CASE("event_store: issued invoice periods, per tenant and for anyone") {
  testing::UsageDb f(kCatalog);
  EventStore store(f.db);
  CHECK(!store.AnyIssuedInvoices().value());
  // A draft is not issued.
  REQUIRE(billing::GenerateInvoices(f.db, f.c,
      {.month = "2026-01", .tenant = "acme", .now = At("2026-02-02T00:00:00Z")}).ok());
  CHECK(!store.AnyIssuedInvoices().value());
  REQUIRE(billing::GenerateInvoices(f.db, f.c,
      {.month = "2026-01", .tenant = "acme", .finalize = true, .now = At("2026-02-02T00:00:00Z")}).ok());
  CHECK(store.AnyIssuedInvoices().value());
  auto periods = store.IssuedInvoicePeriods("acme");
  REQUIRE(periods.ok());
  CHECK(*periods == std::vector<Period>{{At("2026-01-01T00:00:00Z"), At("2026-02-01T00:00:00Z")}});
  CHECK(store.IssuedInvoicePeriods("beta")->empty());
}

}  // namespace
}  // namespace meter::store
