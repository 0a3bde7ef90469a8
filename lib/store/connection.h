// Internal to lib/store: the driver interface behind Database. One Connection
// per Database, implemented once per backend (sqlite_driver.cc, pg_driver.cc).
// Store code never sees these types: it uses Statement (statement.h).
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace meter::store {

enum class Backend { kSqlite, kPostgres };

// The type of one value of a result row, as the backend stores it.
enum class ValueType { kNull, kInteger, kReal, kText };

// The one exception type drivers throw. It carries the Status of SPEC section
// 1 the failure maps to; Guarded (statement.h) turns it back into that
// Status at the store boundary.
class DbError : public std::runtime_error {
 public:
  explicit DbError(Status status) : std::runtime_error(status.message()), status_(std::move(status)) {}
  const Status& status() const { return status_; }
  // The backend's own error class: the SQLSTATE on PostgreSQL ("40001"), the
  // extended result code in decimal on SQLite. Empty when unknown.
  std::string sqlstate;

 private:
  Status status_;
};

// One prepared statement of one driver. Parameter indexes are 1-based and
// column indexes 0-based, as in SQLite. Text passed to BindText with
// copy=false must outlive the next Step.
class StatementDriver {
 public:
  virtual ~StatementDriver() = default;
  virtual void BindNull(int index) = 0;
  virtual void BindInt64(int index, int64_t value) = 0;
  virtual void BindDouble(int index, double value) = 0;
  virtual void BindText(int index, std::string_view value, bool copy) = 0;
  virtual void ClearBindings() = 0;
  // Runs the statement on its first call and moves to the next row on each
  // call; false when there are no more rows.
  virtual bool Step() = 0;
  // Rows inserted, updated or deleted by the last run.
  virtual int64_t Changes() = 0;
  // Ready to run again with the same (or new) bindings.
  virtual void Reset() = 0;
  virtual int ColumnCount() = 0;
  virtual bool IsNull(int column) = 0;
  virtual int64_t Int64(int column) = 0;
  virtual double Double(int column) = 0;
  // Valid until the next Step or Reset.
  virtual std::string_view Text(int column) = 0;
  // The type of the value in `column` of the current row.
  virtual ValueType Type(int column) = 0;
  // The name of a result column (valid once the statement has run on
  // PostgreSQL, at once on SQLite).
  virtual std::string ColumnName(int column) = 0;
};

// Rows appended to one table in bulk: PostgreSQL's COPY FROM STDIN, a
// prepared INSERT on SQLite. Values are given column by column, in the order
// the columns were named, then EndRow. Nothing else may run on the
// connection until Finish; a writer destroyed before Finish abandons its
// rows (and, on PostgreSQL, fails the transaction around it).
class BulkWriter {
 public:
  virtual ~BulkWriter() = default;
  virtual void Null() = 0;
  virtual void Int64(int64_t value) = 0;
  virtual void Double(double value) = 0;
  virtual void Text(std::string_view value) = 0;
  virtual void EndRow() = 0;
  // Writes every row still buffered; returns how many rows were written.
  virtual int64_t Finish() = 0;
};

// One open connection. Exec runs SQL without parameters or results (DDL,
// BEGIN/COMMIT, several statements separated by ';').
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Backend backend() const = 0;
  virtual std::unique_ptr<StatementDriver> Prepare(std::string_view sql) = 0;
  virtual void Exec(std::string_view sql) = 0;
  // Starts appending rows to `table`'s `columns` (names as written in SQL).
  virtual std::unique_ptr<BulkWriter> Bulk(std::string_view table, const std::vector<std::string>& columns) = 0;
  // Starts a write transaction that excludes every other writer (SQLite's
  // BEGIN IMMEDIATE; on PostgreSQL a transaction-scoped advisory lock), or a
  // read-only snapshot.
  virtual void BeginWrite() = 0;
  virtual void BeginRead() = 0;
  virtual void Commit() = 0;
  // Never throws: used on error paths.
  virtual void Rollback() noexcept = 0;
  // The schema version stored in the database (0 for an empty one).
  virtual int UserVersion() = 0;
  virtual void SetUserVersion(int version) = 0;
};

}  // namespace meter::store
