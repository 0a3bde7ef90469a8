// Internal to lib/store: legacy SQLiteCpp access, kept while the stores move
// to the backend-neutral Statement (statement.h). Works on SQLite databases
// only; new code uses Statement, Cached and Exec instead.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include "store/database.h"
#include "store/sqlite_driver.h"
#include "store/statement.h"

namespace meter::store {

// The SQLite connection under `db`. Throws DbError on another backend.
SQLite::Database& Sql(Database& db);

// A cached SQLiteCpp statement for `sql`, reset with its bindings cleared.
// Legacy: use Cached() (statement.h), which works on every backend.
SQLite::Statement& Prepared(Database& db, const std::string& sql);

}  // namespace meter::store
