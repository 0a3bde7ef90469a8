// Internal to lib/store: the SQLite driver (the default backend, one file).
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <map>
#include <memory>
#include <string>

#include "store/connection.h"
#include "store/database.h"

namespace meter::store {

// Turns a SQLite result code into the Status of SPEC section 1: Busy (75) for
// a lock held past the busy timeout, IOError (74) for read-only, full,
// corrupt or unopenable files, Internal otherwise.
Status FromSqliteCode(int code, int extended_code, const std::string& what, const std::string& path);
Status FromSqliteError(const SQLite::Exception& e, const std::string& path);

class SqliteConnection : public Connection {
 public:
  // Opens (and, unless read-only, configures: WAL, synchronous=FULL) the file.
  // Throws DbError.
  SqliteConnection(const std::string& path, const OpenOptions& options);
  Backend backend() const override { return Backend::kSqlite; }
  std::unique_ptr<StatementDriver> Prepare(std::string_view sql) override;
  void Exec(std::string_view sql) override;
  std::unique_ptr<BulkWriter> Bulk(std::string_view table, const std::vector<std::string>& columns) override;
  void BeginWrite() override;
  void BeginRead() override;
  void Commit() override;
  void Rollback() noexcept override;
  int UserVersion() override;
  void SetUserVersion(int version) override;

  SQLite::Database& db() { return db_; }
  sqlite3* handle() { return db_.getHandle(); }
  const std::string& path() const { return path_; }
  // Throws the DbError for result code `rc` on this connection.
  [[noreturn]] void Throw(int rc);

 private:
  std::string path_;
  SQLite::Database db_;

 public:
  // Legacy SQLiteCpp statements (Prepared() in sqlite_internal.h); declared
  // after db_ so they are finalized before it closes.
  std::map<std::string, std::unique_ptr<SQLite::Statement>, std::less<>> legacy_statements;
};

}  // namespace meter::store
