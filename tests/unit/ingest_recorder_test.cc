// EventRecorder (ingest/recorder.h): the events and hourly counters written
// to a real database, duplicates, refusals and rollbacks, staged writes.
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "catalog/catalog.h"
#include "ingest/recorder.h"
#include "store/database.h"
#include "store/event_store.h"
#include "support/ingest_catalog.h"
#include "support/temp_db.h"
#include "usage/quantity.h"

namespace meter::ingest {
namespace {

using testing::MakeEvent;
using testing::TempDb;
using testing::TestCatalog;

std::string Value(store::Database& db, const char* tenant, const char* meter, Period p) {
  auto v = usage::MeterQuantity(db, tenant, *TestCatalog().FindMeter(meter), p);
  REQUIRE(v.ok());
  return v->ToString();
}

constexpr Timestamp kFeb1 = 1769904000000;  // 2026-02-01T00:00:00Z

// An api_calls event of acme with a user (the unique_count meter `users`).
Event Call(const char* id, Timestamp ts, int64_t micros, const char* user) {
  Event e = MakeEvent(id, "acme", "api_calls", ts, micros);
  e.user = user;
  return e;
}

TEST_CASE("ingest.recorder_dedupes_and_counts") {
  TempDb t;
  store::Database& db = *t.db;
  const Timestamp h = 1769904000000;  // 2026-02-01T00:00:00Z
  EventRecorder rec(db, TestCatalog());
  REQUIRE(db.Transaction([&]() -> Status {
    Event a = Call("a", h + 10, 2000000, "u1");
    CHECK(*rec.Record(a) == true);
    CHECK(*rec.Record(a) == false);  // same id: a duplicate, counted once
    CHECK(*rec.Record(Call("b", h + kMillisPerHour + 5, 500000, "u1")) == true);
    CHECK(*rec.Record(Call("c", h + 20, 1000000, "u2")) == true);
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
  DeltaKeys keys;
  std::vector<std::string> written;
  std::vector<std::pair<uint64_t, bool>> outcomes;
  REQUIRE(db.Transaction([&]() -> Status {
    Event c = MakeEvent("c", "acme", "api_calls", 0, 3000000);
    Event a = MakeEvent("a", "acme", "api_calls", 0, 1000000);
    Event a2 = MakeEvent("a", "acme", "api_calls", 0, 9000000);  // same id, staged later: a duplicate
    Event bad = MakeEvent("x", "acme", "llm", 0);
    bad.properties = R"({"tokens":"many"})";
    CHECK(stager.Stage(ViewOf(c), 1, &stage, &keys).ok());
    CHECK(stager.Stage(ViewOf(a), 2, &stage, &keys).ok());
    CHECK(stager.Stage(ViewOf(a2), 3, &stage, &keys).ok());
    CHECK(stager.Stage(ViewOf(bad), 4, &stage, &keys).IsDataError());  // refused, not staged
    CHECK(stage.size() == 3);
    METER_RETURN_IF_ERROR(rec.Write(stage, stage.ById(), [&](uint64_t tag, bool inserted, const EventView& e) {
      written.emplace_back(e.id);
      outcomes.emplace_back(tag, inserted);
      return Status::OK();
    }));
    return rec.Flush(keys, keys.SortedCounters(), keys.SortedUniques());
  }).ok());
  // Inserted in id order (the first staged "a" wins); reported in staging order.
  CHECK(written == std::vector<std::string>{"c", "a", "a"});
  CHECK(outcomes == std::vector<std::pair<uint64_t, bool>>{{1, true}, {2, true}, {3, false}});
  CHECK(Value(db, "acme", "api_calls", Period{0, kMillisPerDay}) == "4");
  CHECK(*store::EventStore(db).CountEvents() == 2);
}

// The bulk path finds the keys of the deltas when events are staged, before
// anyone knows which are duplicates: a key only a duplicate staged (its own
// hour, its own distinct value) must write nothing.
TEST_CASE("ingest.recorder_staged_duplicate_keys_write_nothing") {
  TempDb t;
  store::Database& db = *t.db;
  EventRecorder rec(db, TestCatalog());
  REQUIRE(db.Transaction([&]() -> Status {
    CHECK(*rec.Record(Call("a", kFeb1 + 10, 2000000, "u1")) == true);
    return rec.Flush();
  }).ok());
  EventStager stager(TestCatalog());
  StagedEvents stage;
  DeltaKeys keys;
  // "a" again, stored already: a duplicate, in an hour and with a user of its own.
  REQUIRE(stager.Stage(ViewOf(Call("a", kFeb1 + 2 * kMillisPerHour, 5000000, "u9")), 0, &stage, &keys).ok());
  REQUIRE(stager.Stage(ViewOf(Call("b", kFeb1 + 20, 1000000, "u2")), 0, &stage, &keys).ok());
  REQUIRE(db.Transaction([&]() -> Status {
    METER_RETURN_IF_ERROR(rec.Write(stage, stage.ById(), [](uint64_t, bool, const EventView&) { return Status::OK(); }));
    return rec.Flush(keys, keys.SortedCounters(), keys.SortedUniques());
  }).ok());
  Period third{kFeb1 + 2 * kMillisPerHour, kFeb1 + 3 * kMillisPerHour};
  CHECK(Value(db, "acme", "api_calls", third) == "0");
  CHECK(Value(db, "acme", "users", third) == "0");
  CHECK(Value(db, "acme", "users", Period{kFeb1, kFeb1 + kMillisPerDay}) == "2");
  CHECK(Value(db, "acme", "api_calls", Period{kFeb1, kFeb1 + kMillisPerDay}) == "3");
}

}  // namespace
}  // namespace meter::ingest
