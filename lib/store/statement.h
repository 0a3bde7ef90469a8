// Internal to lib/store: the backend-neutral statement API every store uses.
// Included only by store implementation files, never by a public header.
//
// Database::Open (database.h) picks the driver: a postgresql:// or
// postgres:// URL opens PostgreSQL (pg_driver.h), anything else a SQLite file
// (sqlite_driver.h). Database::path() is then the URL with its password
// masked. Database::Transaction excludes every other writer on both (SQLite:
// BEGIN IMMEDIATE; PostgreSQL: a per-schema transaction-scoped advisory
// lock); Database::Read is a read-only snapshot.
//
//   Statement& q = Cached(db_, "SELECT name FROM tenants WHERE id=?");
//   q.bind(1, id);
//   while (q.executeStep()) names.push_back(q.getColumn(0).getString());
//
// One SQL text runs on both SQLite and PostgreSQL: write placeholders as `?`
// or `?N` (rewritten to `$N` for PostgreSQL) and only SQL both engines accept
// (ON CONFLICT instead of INSERT OR IGNORE/REPLACE, COALESCE instead of
// IFNULL, RETURNING instead of last_insert_rowid, IS NOT DISTINCT FROM
// instead of `IS ?`, CASE instead of two-argument MAX/MIN; a parameter that
// may be NULL is used typed before `IS NULL`: `(status=?1 OR ?1 IS NULL)`,
// as PostgreSQL takes its type from its first use). Where the engines
// differ, branch on Dialect(db). Failures throw DbError, which Guarded turns
// into the Status of SPEC section 1.
#pragma once

#include <concepts>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/connection.h"
#include "store/database.h"

namespace meter::store {

struct Database::Impl {
  std::unique_ptr<Connection> conn;
  int transaction_depth = 0;
  int busy_timeout_ms = 10000;
  // Statements reused across calls (hot paths: ingest, quota), by SQL text.
  std::map<std::string, std::unique_ptr<class Statement>, std::less<>> statements;
  ~Impl();
};

// One column of the current row. NULL reads as 0 or "".
class Column {
 public:
  Column(StatementDriver* s, int index) : s_(s), i_(index) {}
  bool isNull() const { return s_->IsNull(i_); }
  int64_t getInt64() const { return s_->Int64(i_); }
  int getInt() const { return static_cast<int>(s_->Int64(i_)); }
  double getDouble() const { return s_->Double(i_); }
  std::string getString() const { return std::string(s_->Text(i_)); }
  // Valid until the statement steps again.
  std::string_view getText() const { return s_->Text(i_); }
  // The value, or nullopt for NULL.
  std::optional<int64_t> getOptionalInt64() const {
    return isNull() ? std::nullopt : std::optional<int64_t>(getInt64());
  }
  // The type the backend stored the value with.
  ValueType getType() const { return s_->Type(i_); }

 private:
  StatementDriver* s_;
  int i_;
};

// A prepared statement on one Database, with the method names SQLiteCpp's
// Statement has, so store code reads the same on either backend.
class Statement {
 public:
  Statement(Database& db, std::string_view sql) : d_(db.impl().conn->Prepare(sql)) {}
  Statement(Statement&&) = default;
  Statement& operator=(Statement&&) = default;

  template <std::integral T>
  void bind(int index, T value) { d_->BindInt64(index, static_cast<int64_t>(value)); }
  void bind(int index, double value) { d_->BindDouble(index, value); }
  void bind(int index, const std::string& value) { d_->BindText(index, value, true); }
  void bind(int index, std::string_view value) { d_->BindText(index, value, true); }
  void bind(int index, const char* value) { d_->BindText(index, value, true); }
  void bind(int index, std::nullptr_t) { d_->BindNull(index); }
  // Binds NULL.
  void bind(int index) { d_->BindNull(index); }
  template <typename T>
  void bind(int index, const std::optional<T>& value) {
    if (value) bind(index, *value);
    else d_->BindNull(index);
  }
  // Binds text without copying it: `value` must outlive the next step.
  void bindNoCopy(int index, std::string_view value) { d_->BindText(index, value, false); }

  // Runs the statement (first call) or moves to the next row; false when no
  // row is left.
  bool executeStep() { return d_->Step(); }
  // Runs the statement to its end and returns the rows it changed.
  int exec() {
    while (d_->Step()) {
    }
    return static_cast<int>(d_->Changes());
  }
  Column getColumn(int index) { return Column(d_.get(), index); }
  int getColumnCount() { return d_->ColumnCount(); }
  // A result column's name (on PostgreSQL once the statement has run).
  std::string getColumnName(int index) { return d_->ColumnName(index); }
  void reset() { d_->Reset(); }
  void clearBindings() { d_->ClearBindings(); }

 private:
  std::unique_ptr<StatementDriver> d_;
};

// Appends rows to one table in bulk (COPY on PostgreSQL, a prepared INSERT
// on SQLite), inside the caller's transaction:
//
//   BulkInsert rows(db, "usage_unique_days", {"tenant_id", "meter", "day", "data"});
//   for (...) { rows.add(t); rows.add(m); rows.add(d); rows.add(text); rows.endRow(); }
//   rows.finish();
//
// Nothing else may run on `db` between the constructor and finish().
class BulkInsert {
 public:
  BulkInsert(Database& db, std::string_view table, const std::vector<std::string>& columns)
      : w_(db.impl().conn->Bulk(table, columns)) {}
  template <std::integral T>
  void add(T value) { w_->Int64(static_cast<int64_t>(value)); }
  void add(double value) { w_->Double(value); }
  void add(std::string_view value) { w_->Text(value); }
  void add(const std::string& value) { w_->Text(value); }
  void add(const char* value) { w_->Text(value); }
  void add(std::nullptr_t) { w_->Null(); }
  template <typename T>
  void add(const std::optional<T>& value) {
    if (value) add(*value);
    else w_->Null();
  }
  void endRow() { w_->EndRow(); }
  // Writes what is buffered; returns the rows written.
  int64_t finish() { return w_->Finish(); }

 private:
  std::unique_ptr<BulkWriter> w_;
};

// A statement for `sql` kept for the Database's lifetime and reset, with its
// bindings cleared, on every call: for statements run many times.
Statement& Cached(Database& db, std::string_view sql);

// Runs SQL that takes no parameters and returns no rows.
inline void Exec(Database& db, std::string_view sql) { db.impl().conn->Exec(sql); }

// Which engine `db` runs on, for the few statements whose SQL differs.
inline Backend Dialect(Database& db) { return db.impl().conn->backend(); }

// Runs `fn` (returning Status or Result<T>) and turns driver and standard
// exceptions into a Status, so none crosses the store boundary.
Status StatusFromCurrentException(Database& db);
template <typename F>
auto Guarded(Database& db, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (...) {
    return StatusFromCurrentException(db);
  }
}

}  // namespace meter::store
