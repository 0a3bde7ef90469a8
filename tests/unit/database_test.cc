// The backend-neutral statement layer (store/statement.h) on SQLite, and on
// PostgreSQL too when METER_TEST_PG_URL names a server (the e2e fixture
// starts one; see scripts/pg_test_server.sh): the same calls must give the
// same answers on both.
#include <doctest/doctest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "store/statement.h"
#include "support/temp_db.h"

namespace st = meter::store;
using meter::Status;
using meter::testing::TempDb;

namespace {

void MakeTable(st::Database& db) {
  st::Exec(db, "CREATE TABLE kv(k TEXT PRIMARY KEY, n INTEGER, d REAL, t TEXT)");
}

}  // namespace

TEST_CASE("database: values round-trip through bind and getColumn") {
  for (auto backend : TempDb::Backends()) {
    CAPTURE(static_cast<int>(backend));
    TempDb t(backend);
    st::Database& db = *t.db;
    MakeTable(db);
    const int64_t big = std::numeric_limits<int64_t>::max(), small = std::numeric_limits<int64_t>::min();
    st::Statement ins(db, "INSERT INTO kv(k, n, d, t) VALUES(?, ?, ?, ?)");
    ins.bind(1, "max");
    ins.bind(2, big);
    ins.bind(3, 0.5);
    ins.bind(4, std::string("it's \"quoted\" ünïcode"));
    CHECK(ins.exec() == 1);
    ins.reset();
    ins.bind(1, std::string_view("min"));
    ins.bind(2, small);
    ins.bind(3);
    ins.bind(4, std::optional<std::string>());
    CHECK(ins.exec() == 1);
    ins.reset();
    ins.bind(1, "empty");
    ins.bind(2, 0);
    ins.bind(3, nullptr);
    ins.bind(4, "");
    CHECK(ins.exec() == 1);

    st::Statement q(db, "SELECT k, n, d, t FROM kv ORDER BY k");
    REQUIRE(q.executeStep());
    CHECK(q.getColumn(0).getString() == "empty");
    CHECK_FALSE(q.getColumn(3).isNull());  // '' is not NULL on either engine
    CHECK(q.getColumn(3).getString().empty());
    REQUIRE(q.executeStep());
    CHECK(q.getColumn(1).getInt64() == big);
    CHECK(q.getColumn(2).getDouble() == 0.5);
    CHECK(q.getColumn(3).getString() == "it's \"quoted\" ünïcode");
    REQUIRE(q.executeStep());
    CHECK(q.getColumn(1).getInt64() == small);
    CHECK(q.getColumn(2).isNull());
    CHECK(q.getColumn(3).isNull());
    CHECK(q.getColumn(3).getString().empty());
    CHECK_FALSE(q.getColumn(1).getOptionalInt64() == std::nullopt);
    CHECK_FALSE(q.executeStep());
    CHECK_FALSE(q.executeStep());  // stays done until reset
  }
}

TEST_CASE("database: numbered placeholders, RETURNING, changes and booleans") {
  for (auto backend : TempDb::Backends()) {
    CAPTURE(static_cast<int>(backend));
    TempDb t(backend);
    st::Database& db = *t.db;
    st::Exec(db, "CREATE TABLE seqs(id INTEGER PRIMARY KEY, name TEXT NOT NULL)");
    st::Statement ins(db, "INSERT INTO seqs(name) VALUES(?) RETURNING id");
    ins.bind(1, "a");
    REQUIRE(ins.executeStep());
    int64_t first = ins.getColumn(0).getInt64();
    ins.reset();
    ins.bind(1, "b");
    REQUIRE(ins.executeStep());
    CHECK(ins.getColumn(0).getInt64() == first + 1);

    st::Statement up(db, "UPDATE seqs SET name = ?2 WHERE name = ?1 OR ?1 = ''");
    up.bind(1, "");
    up.bind(2, "z");
    CHECK(up.exec() == 2);

    st::Statement ex(db, "SELECT EXISTS(SELECT 1 FROM seqs WHERE name = ?), COUNT(*) FROM seqs");
    ex.bind(1, "z");
    REQUIRE(ex.executeStep());
    CHECK(ex.getColumn(0).getInt() == 1);
    CHECK(ex.getColumn(0).getString() == "1");
    CHECK(ex.getColumn(1).getInt64() == 2);
  }
}

TEST_CASE("database: cached statements are reset and cleared on every use") {
  for (auto backend : TempDb::Backends()) {
    CAPTURE(static_cast<int>(backend));
    TempDb t(backend);
    st::Database& db = *t.db;
    MakeTable(db);
    for (int i = 0; i < 5; ++i) {
      st::Statement& ins = st::Cached(db, "INSERT INTO kv(k, n) VALUES(?, ?)");
      ins.bind(1, "k" + std::to_string(i));
      if (i % 2 == 0) ins.bind(2, i);  // odd rows: the cleared binding is NULL
      CHECK(ins.exec() == 1);
    }
    st::Statement& sum = st::Cached(db, "SELECT COUNT(n), SUM(n) FROM kv");
    REQUIRE(sum.executeStep());
    CHECK(sum.getColumn(0).getInt64() == 3);
    CHECK(sum.getColumn(1).getInt64() == 6);
  }
}

TEST_CASE("database: a failed transaction leaves nothing behind; nested calls join it") {
  for (auto backend : TempDb::Backends()) {
    CAPTURE(static_cast<int>(backend));
    TempDb t(backend);
    st::Database& db = *t.db;
    MakeTable(db);
    Status s = db.Transaction([&]() -> Status {
      st::Exec(db, "INSERT INTO kv(k) VALUES('a')");
      return db.Transaction([&]() -> Status {
        st::Exec(db, "INSERT INTO kv(k) VALUES('b')");
        return Status::DataError("no");
      });
    });
    CHECK(s.IsDataError());
    // A failing statement inside the body: rolled back, reported, not thrown.
    s = db.Transaction([&]() -> Status {
      st::Exec(db, "INSERT INTO kv(k) VALUES('c')");
      st::Exec(db, "INSERT INTO kv(k) VALUES('c')");
      return Status::OK();
    });
    CHECK_FALSE(s.ok());
    CHECK(db.Transaction([&]() -> Status {
               st::Exec(db, "INSERT INTO kv(k) VALUES('d')");
               return Status::OK();
             }).ok());
    int64_t n = -1;
    CHECK(db.Read([&]() -> Status {
               st::Statement q(db, "SELECT COUNT(*) FROM kv");
               q.executeStep();
               n = q.getColumn(0).getInt64();
               return Status::OK();
             }).ok());
    CHECK(n == 1);
  }
}

TEST_CASE("database: the schema is migrated to the newest version on both backends") {
  for (auto backend : TempDb::Backends()) {
    CAPTURE(static_cast<int>(backend));
    TempDb t(backend);
    CHECK(t.db->SchemaVersion() == st::Database::LatestSchemaVersion());
  }
}

TEST_CASE("database: BulkInsert appends rows with every value kind, escapes included") {
  for (auto backend : TempDb::Backends()) {
    CAPTURE(static_cast<int>(backend));
    TempDb t(backend);
    st::Database& db = *t.db;
    MakeTable(db);
    const int64_t big = std::numeric_limits<int64_t>::max();
    const std::string awkward = "tab\there\nnew line\\back\\slash\r\\N \"q\" 'a' ünï";
    Status s = db.Transaction([&] {
      st::BulkInsert rows(db, "kv", {"k", "n", "d", "t"});
      for (int i = 0; i < 3000; ++i) {
        rows.add("k" + std::to_string(i));
        rows.add(i == 0 ? big : int64_t{i});
        if (i % 2) rows.add(0.25 * i);
        else rows.add(nullptr);
        rows.add(i == 1 ? std::optional<std::string>() : std::optional<std::string>(awkward));
        rows.endRow();
      }
      CHECK(rows.finish() == 3000);
      return Status::OK();
    });
    REQUIRE(s.ok());
    st::Statement q(db, "SELECT COUNT(*), SUM(CASE WHEN t IS NULL THEN 1 ELSE 0 END) FROM kv");
    REQUIRE(q.executeStep());
    CHECK(q.getColumn(0).getInt64() == 3000);
    CHECK(q.getColumn(1).getInt64() == 1);
    st::Statement one(db, "SELECT n, d, t FROM kv WHERE k = ?");
    one.bind(1, "k0");
    REQUIRE(one.executeStep());
    CHECK(one.getColumn(0).getInt64() == big);
    CHECK(one.getColumn(1).isNull());
    CHECK(one.getColumn(2).getString() == awkward);
    CHECK(one.getColumn(0).getType() == st::ValueType::kInteger);
    CHECK(one.getColumn(1).getType() == st::ValueType::kNull);
    CHECK(one.getColumn(2).getType() == st::ValueType::kText);
    one.reset();
    one.bind(1, "k7");
    REQUIRE(one.executeStep());
    CHECK(one.getColumn(1).getDouble() == 1.75);
    CHECK(one.getColumn(1).getType() == st::ValueType::kReal);
  }
}

TEST_CASE("database: rows a failed transaction bulk-wrote are gone, and the connection still works") {
  for (auto backend : TempDb::Backends()) {
    CAPTURE(static_cast<int>(backend));
    TempDb t(backend);
    st::Database& db = *t.db;
    MakeTable(db);
    Status s = db.Transaction([&] {
      st::BulkInsert rows(db, "kv", {"k", "n"});
      rows.add("dup");
      rows.add(1);
      rows.endRow();
      rows.add("dup");
      rows.add(2);
      rows.endRow();
      rows.finish();  // the primary key refuses the second row
      return Status::OK();
    });
    CHECK_FALSE(s.ok());
    st::Statement q(db, "SELECT COUNT(*) FROM kv");
    REQUIRE(q.executeStep());
    CHECK(q.getColumn(0).getInt64() == 0);
  }
}
