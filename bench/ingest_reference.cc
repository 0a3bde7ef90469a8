// The reference of SPEC section 9's ingest benchmark: a minimal C++ program
// that parses native NDJSON usage records with simdjson and inserts them into
// SQLite with one prepared statement in one transaction, into a table with a
// unique index on the id. No validation, no counters, no rejects.
//
// It gets the same table shape and connection settings as meter's own
// database (WAL, 64 MiB page cache, synchronous=FULL), so the ratio measures
// what meter adds, not a difference in tuning.
//
//   bench_ingest_reference INPUT.ndjson DB
// prints one JSON line: {"events","seconds","events_per_second"}.
#include <simdjson.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <string>
#include <string_view>

#include "core/time.h"

namespace {

using simdjson::ondemand::object;

constexpr const char* kSchema = R"(CREATE TABLE IF NOT EXISTS events(
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, tenant_id TEXT NOT NULL, metric TEXT NOT NULL,
    ts INTEGER NOT NULL, quantity INTEGER NOT NULL, user_id TEXT, operation TEXT, status TEXT,
    latency_ms INTEGER, cost TEXT, properties TEXT, ingested_at INTEGER NOT NULL))";

void BindText(sqlite3_stmt* st, int i, std::string_view v) {
  if (v.empty()) sqlite3_bind_null(st, i);
  else sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

void Exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    std::exit(74);
  }
}

// Binds one record's fields; returns false for a record it cannot read.
bool BindRecord(object obj, sqlite3_stmt* st) {
  std::string_view id, tenant, metric, ts, user, op, status, cost, props;
  double quantity = 1;
  int64_t latency = -1;
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    auto v = field.value();
    if (key == "id") { if (v.get_string().get(id)) return false; }
    else if (key == "tenant") { if (v.get_string().get(tenant)) return false; }
    else if (key == "metric") { if (v.get_string().get(metric)) return false; }
    else if (key == "timestamp") { if (v.get_string().get(ts)) return false; }
    else if (key == "quantity") { if (v.get_double().get(quantity)) return false; }
    else if (key == "user") { if (v.get_string().get(user)) return false; }
    else if (key == "operation") { if (v.get_string().get(op)) return false; }
    else if (key == "status") { if (v.get_string().get(status)) return false; }
    else if (key == "latency_ms") { if (v.get_int64().get(latency)) return false; }
    else if (key == "cost") { if (v.get_string().get(cost)) return false; }
    else if (key == "properties") {
      object p;
      if (v.get_object().get(p) || p.raw_json().get(props)) return false;
    }
  }
  auto t = meter::ParseRfc3339(ts);
  if (!t.ok()) return false;
  BindText(st, 1, id);
  BindText(st, 2, tenant);
  BindText(st, 3, metric);
  sqlite3_bind_int64(st, 4, *t);
  sqlite3_bind_int64(st, 5, static_cast<int64_t>(quantity * 1000000));
  BindText(st, 6, user);
  BindText(st, 7, op);
  BindText(st, 8, status);
  if (latency >= 0) sqlite3_bind_int64(st, 9, latency);
  else sqlite3_bind_null(st, 9);
  BindText(st, 10, cost);
  BindText(st, 11, props);
  sqlite3_bind_int64(st, 12, 0);
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s INPUT.ndjson DB\n", argv[0]);
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  sqlite3* db = nullptr;
  if (sqlite3_open(argv[2], &db) != SQLITE_OK) return 74;
  Exec(db, "PRAGMA journal_mode=WAL");
  Exec(db, "PRAGMA synchronous=FULL");
  Exec(db, "PRAGMA cache_size=-65536");
  Exec(db, kSchema);
  Exec(db, "CREATE UNIQUE INDEX IF NOT EXISTS events_id ON events(id)");
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db,
      "INSERT OR IGNORE INTO events(id, tenant_id, metric, ts, quantity, user_id, operation, status, "
      "latency_ms, cost, properties, ingested_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)", -1, &insert, nullptr);

  simdjson::padded_string input;
  if (simdjson::padded_string::load(argv[1]).get(input)) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 66;
  }
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document_stream stream;
  if (parser.iterate_many(input).get(stream)) return 65;
  int64_t events = 0;
  Exec(db, "BEGIN");
  for (auto doc : stream) {
    object obj;
    if (doc.get_object().get(obj)) continue;
    if (!BindRecord(obj, insert)) continue;
    if (sqlite3_step(insert) != SQLITE_DONE) return 74;
    sqlite3_reset(insert);
    sqlite3_clear_bindings(insert);
    ++events;
  }
  Exec(db, "COMMIT");
  sqlite3_finalize(insert);
  sqlite3_close(db);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"events\":%lld,\"seconds\":%.3f,\"events_per_second\":%.0f}\n",
              static_cast<long long>(events), seconds, events / seconds);
  return 0;
}
