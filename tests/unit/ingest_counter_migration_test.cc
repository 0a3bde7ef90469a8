// Schema version 8 keys the hourly counters and distinct values by (tenant,
// hour, meter[, value]) instead of (tenant, meter, hour[, value]): a
// database of version 7 migrates with every row kept, reads the same totals,
// and ingest's upserts merge into the migrated rows, on both backends.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "store/counter_store.h"
#include "store/event_store.h"
#include "store/schema.h"
#include "store/statement.h"
#include "support/temp_db.h"

namespace meter::store {
namespace {

constexpr Timestamp kHour = 3600000;
constexpr Timestamp kT0 = 1769904000000;  // 2026-02-01T00:00:00Z

// Puts back the version-7 tables (as that migration created them) holding
// some rows, and the version number, so that Migrate runs version 8 on them.
void MakeVersion7(Database& db, bool postgres) {
  REQUIRE(db.Transaction([&] {
    Exec(db, "DROP TABLE usage_counters");
    Exec(db, "DROP TABLE usage_uniques");
    Exec(db, R"(CREATE TABLE usage_counters(
               tenant_id TEXT NOT NULL,
               meter TEXT NOT NULL,
               hour INTEGER NOT NULL,
               value INTEGER NOT NULL,
               events INTEGER NOT NULL,
               latest_ts INTEGER,
               PRIMARY KEY(tenant_id, meter, hour)) WITHOUT ROWID)");
    Exec(db, R"(CREATE TABLE usage_uniques(
               tenant_id TEXT NOT NULL,
               meter TEXT NOT NULL,
               hour INTEGER NOT NULL,
               value TEXT NOT NULL,
               PRIMARY KEY(tenant_id, meter, hour, value)) WITHOUT ROWID)");
    for (int h = 0; h < 3; ++h) {
      std::string hour = std::to_string(kT0 + h * kHour);
      Exec(db, "INSERT INTO usage_counters VALUES('acme', 'calls', " + hour + ", " + std::to_string(1000000 * (h + 1)) +
                   ", " + std::to_string(h + 1) + ", NULL)");
      Exec(db, "INSERT INTO usage_counters VALUES('acme', 'last', " + hour + ", " + std::to_string(7000000 - h) +
                   ", 1, " + std::to_string(kT0 + h * kHour + 10) + ")");
      Exec(db, "INSERT INTO usage_counters VALUES('beta', 'calls', " + hour + ", 5000000, 5, NULL)");
      Exec(db, "INSERT INTO usage_uniques VALUES('acme', 'users', " + hour + ", 'u" + std::to_string(h) + "')");
      Exec(db, "INSERT INTO usage_uniques VALUES('acme', 'users', " + hour + ", 'u9')");
    }
    if (postgres) Exec(db, "UPDATE meter_schema SET version = 7");
    else Exec(db, "PRAGMA user_version = 7");
    return Status::OK();
  }).ok());
  REQUIRE(db.SchemaVersion() == 7);
}

// The primary key's definition as the database states it.
std::string KeyOf(Database& db, bool postgres, const std::string& table) {
  Statement q(db, postgres ? "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = ?"
                           : "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?");
  q.bind(1, table);
  REQUIRE(q.executeStep());
  return q.getColumn(0).getString();
}

TEST_CASE("ingest counter migration: version 7's counters keep every row and total under the new key") {
  for (auto backend : testing::TempDb::Backends()) {
    bool postgres = backend == testing::TempDb::Backend::kPostgres;
    CAPTURE(postgres);
    testing::TempDb t(backend);
    Database& db = *t.db;
    MakeVersion7(db, postgres);
    REQUIRE(Migrate(db, false).ok());
    CHECK(db.SchemaVersion() == Database::LatestSchemaVersion());
    CHECK(KeyOf(db, postgres, "usage_counters").find("tenant_id, hour, meter)") != std::string::npos);
    CHECK(KeyOf(db, postgres, "usage_uniques").find("tenant_id, hour, meter, value)") != std::string::npos);

    CounterStore c(db);
    Period all{kT0, kT0 + 3 * kHour};
    auto calls = c.Total("acme", "calls", CounterMerge::kAdd, all);
    REQUIRE(calls.ok());
    CHECK((calls->value == 6000000 && calls->events == 6));
    auto last = c.Total("acme", "last", CounterMerge::kLatest, all);
    REQUIRE(last.ok());
    CHECK((last->value == 6999998 && last->latest_ts == kT0 + 2 * kHour + 10 && last->events == 3));
    auto totals = c.Totals("calls", CounterMerge::kAdd, all);
    REQUIRE(totals.ok());
    REQUIRE(totals->size() == 2);
    CHECK(totals->at("beta").value == 15000000);
    auto rows = c.Rows("acme", "calls", {kT0 + kHour, kT0 + 3 * kHour});
    REQUIRE(rows.ok());
    REQUIRE(rows->size() == 2);
    CHECK((rows->at(0).hour == kT0 + kHour && rows->at(0).value == 2000000));
    auto users = c.DistinctCount("acme", "users", all);
    REQUIRE(users.ok());
    CHECK(*users == 4);

    // Ingest's upserts find the migrated rows (the conflict targets name
    // the same columns in their old order).
    EventStore events(db);
    REQUIRE(db.Transaction([&] {
      METER_RETURN_IF_ERROR(events.AddCounters({{"acme", "calls", kT0, CounterMerge::kAdd, 4000000, 2, 0},
                                                {"acme", "last", kT0 + 2 * kHour, CounterMerge::kLatest, 1, 1,
                                                 kT0 + 2 * kHour + 20}}));
      return events.AddUniques({{"acme", "users", kT0, "u9"}, {"acme", "users", kT0, "u5"}});
    }).ok());
    calls = c.Total("acme", "calls", CounterMerge::kAdd, all);
    REQUIRE(calls.ok());
    CHECK((calls->value == 10000000 && calls->events == 8));
    last = c.Total("acme", "last", CounterMerge::kLatest, all);
    REQUIRE(last.ok());
    CHECK((last->value == 1 && last->latest_ts == kT0 + 2 * kHour + 20 && last->events == 4));
    auto first_hour = c.UniqueRows("acme", "users", {kT0, kT0 + kHour});
    REQUIRE(first_hour.ok());
    CHECK(first_hour->size() == 3);  // u0, u9 (kept once), u5
  }
}

}  // namespace
}  // namespace meter::store
