// Internal to lib/store: the SQLite side of Database. Included only by store
// implementation files, never by a public header.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <map>
#include <memory>
#include <string>

#include "store/database.h"

namespace meter::store {

struct Database::Impl {
  explicit Impl(SQLite::Database d) : db(std::move(d)) {}
  SQLite::Database db;
  int transaction_depth = 0;
  int busy_timeout_ms = 10000;
  std::string path;
  // Prepared statements reused across calls (hot paths: ingest, quota).
  std::map<std::string, std::unique_ptr<SQLite::Statement>, std::less<>> statements;
};

inline SQLite::Database& Sql(Database& db) { return db.impl().db; }

// A cached prepared statement for `sql`, reset with its bindings cleared.
SQLite::Statement& Prepared(Database& db, const std::string& sql);

// Turns a SQLite failure into the Status of SPEC section 1: Busy (75) for a
// lock held past the busy timeout, IOError (74) for read-only, full, corrupt
// or unopenable files, Internal otherwise.
Status FromSqliteError(const SQLite::Exception& e, const std::string& path);

// Runs `fn` (returning Status or Result<T>) and turns SQLite and standard
// exceptions into a Status, so none crosses the store boundary.
template <typename F>
auto Guarded(Database& db, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const SQLite::Exception& e) {
    return FromSqliteError(e, db.path());
  } catch (const std::bad_alloc&) {
    return Status::IOError("out of memory");
  } catch (const std::exception& e) {
    return Status::Internal(e.what());
  }
}

}  // namespace meter::store
