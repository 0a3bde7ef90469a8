// Internal to lib/store: the PostgreSQL driver (libpq), chosen by a
// postgresql:// or postgres:// database URL.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "store/connection.h"
#include "store/database.h"

struct pg_conn;
struct pg_result;

namespace meter::store {

class PgConnection : public Connection {
 public:
  // Connects and selects the URL's schema (creating it when options.create).
  // Throws DbError: Unavailable (69) naming host and port when no server
  // answers within the connect timeout, IOError (74) naming the user when
  // the server refuses the login.
  PgConnection(const std::string& url, const OpenOptions& options);
  ~PgConnection() override;

  Backend backend() const override { return Backend::kPostgres; }
  std::unique_ptr<StatementDriver> Prepare(std::string_view sql) override;
  void Exec(std::string_view sql) override;
  std::unique_ptr<BulkWriter> Bulk(std::string_view table, const std::vector<std::string>& columns) override;
  void BeginWrite() override;
  void BeginRead() override;
  void Commit() override;
  void Rollback() noexcept override;
  int UserVersion() override;
  void SetUserVersion(int version) override;

  pg_conn* handle() { return conn_; }
  // The URL with its password masked: the name used in every message.
  const std::string& display() const { return display_; }
  // Throws the DbError for a failed result (which it frees), or for the
  // connection's own error when `res` is null.
  [[noreturn]] void Throw(pg_result* res);
  // Checks `res` has status COMMAND_OK, TUPLES_OK or COPY_IN; throws otherwise.
  pg_result* Check(pg_result* res);
  // A fresh name for a server-side prepared statement.
  std::string NextStatementName() { return "m" + std::to_string(++statements_); }

 private:
  pg_conn* conn_ = nullptr;
  std::string display_;
  // The key of the writer lock (pg_advisory_xact_lock(kLockClass, key)):
  // one per schema, so separate meter databases on one server do not wait
  // for each other.
  int32_t lock_key_ = 0;
  // meter_schema exists (tables are not dropped under a running meter), so
  // UserVersion need not ask again.
  bool version_table_seen_ = false;
  int64_t statements_ = 0;
};

}  // namespace meter::store
