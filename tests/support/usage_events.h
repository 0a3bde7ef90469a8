// Test helpers for code that reads usage: a catalog applied to a test
// database, and events recorded the way ingest records them (through
// ingest::EventRecorder, with their hourly counters).
#pragma once

#include <optional>
#include <string>

#include <doctest/doctest.h>

#include "catalog/catalog.h"
#include "core/event.h"
#include "core/time.h"
#include "ingest/recorder.h"
#include "store/catalog_store.h"
#include "store/database.h"
#include "store/event_store.h"
#include "support/temp_db.h"

namespace meter::testing {

// The instant an RFC 3339 text names (the tests write times this way).
inline Timestamp At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

// Two tenants, acme and beta, on one plan with a base price of 10 and one
// meter: enough for the stores' tests of what hangs off tenants.
inline constexpr const char* kTwoTenantsCatalog = R"({
  "meters": [{"key": "api_calls"}],
  "plans": [{"key": "basic", "base_price": "10"}],
  "tenants": [{"id": "acme", "plan": "basic"}, {"id": "beta", "plan": "basic"}]})";

// The catalog stored in `db` as loaded at `at` (with its tenants).
inline catalog::Catalog LoadCatalog(store::Database& db, Timestamp at) {
  auto loaded = store::CatalogStore(db).Load(at);
  REQUIRE(loaded.ok());
  return *loaded;
}

// Applies the catalog document `json` to `db` at `now` and returns the
// catalog as loaded at `loaded_at` (default: `now`).
inline catalog::Catalog ApplyCatalog(store::Database& db, const char* json, Timestamp now = 0,
                                     std::optional<Timestamp> loaded_at = std::nullopt) {
  auto parsed = catalog::ParseCatalog(json);
  REQUIRE(parsed.ok());
  REQUIRE(store::CatalogStore(db).Apply(*parsed, now, [] { return Result<std::string>("whsec_test"); }).ok());
  return LoadCatalog(db, loaded_at.value_or(now));
}

// An event of `units` whole units of `metric` for `tenant` at `ts` (RFC 3339).
inline Event UsageAt(const std::string& id, const std::string& tenant, const std::string& metric,
                                  const char* ts, int64_t units = 1) {
  Event e;
  e.id = id;
  e.tenant = tenant;
  e.metric = metric;
  e.timestamp = *ParseRfc3339(ts);
  e.quantity_micros = units * 1000000;
  return e;
}

// Records `e` in its own transaction, as ingest would.
inline void Record(store::Database& db, const catalog::Catalog& c, const Event& e) {
  REQUIRE(db.Transaction([&]() -> Status {
    ingest::EventRecorder recorder(db, c);
    METER_RETURN_IF_ERROR(recorder.Record(e).status());
    return recorder.Flush();
  }).ok());
}

// What an event carries besides its metric, time and quantity; written with
// designated initializers: {.user = "u1", .tenant = "beta"}.
struct EventFields {
  const char* user = "";
  const char* operation = "";
  const char* status = "";
  const char* properties = "";
  const char* tenant = "acme";
};

// A fresh database holding the catalog document `catalog_json` (applied at
// `now`), and the events a test records into it as ingest records them,
// numbered e1, e2, ... in the order used.
struct UsageDb {
  TempDb t;
  store::Database& db = *t.db;
  catalog::Catalog c;
  int n = 0;

  // The catalog applied at `now` and loaded at `loaded_at` (default `now`).
  explicit UsageDb(const char* catalog_json, Timestamp now = 0, std::optional<Timestamp> loaded_at = std::nullopt)
      : c(ApplyCatalog(db, catalog_json, now, loaded_at)) {}
  // Records `units` whole units of `metric` at `ts` (RFC 3339) and returns the event.
  Event Use(const char* metric, const char* ts, int64_t units, const EventFields& fields = {}) {
    Event e = UsageAt("e" + std::to_string(++n), fields.tenant, metric, ts, units);
    e.user = fields.user;
    e.operation = fields.operation;
    e.status = fields.status;
    e.properties = fields.properties;
    Record(db, c, e);
    return e;
  }
  // Marks the event `id` void, leaving the counters as they are (taking it
  // out of them is usage::UncountVoided's part): either step seen alone.
  void MarkVoid(const std::string& id) {
    REQUIRE(db.Transaction([&] { return store::EventStore(db).Void(id, "", "test", 1).status(); }).ok());
  }
};

}  // namespace meter::testing
