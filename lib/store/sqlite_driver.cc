#include "store/sqlite_driver.h"

#include <sqlite3.h>

#include <fmt/format.h>

namespace meter::store {

namespace {

bool IsWriteFailure(int extended_code) {
  switch (extended_code) {
    case SQLITE_IOERR_WRITE:
    case SQLITE_IOERR_FSYNC:
    case SQLITE_IOERR_TRUNCATE:
    case SQLITE_IOERR_SHMSIZE:
      return true;
    default:
      return false;
  }
}

}  // namespace

Status FromSqliteCode(int code, int extended_code, const std::string& what, const std::string& path) {
  switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(fmt::format(
          "database '{}' is locked by another process past the busy timeout; try again later "
          "(or raise METER_BUSY_TIMEOUT_MS)",
          path));
    case SQLITE_READONLY:
      return Status::IOError(fmt::format(
          "database '{}' is read-only; check the file's and its directory's permissions", path));
    case SQLITE_FULL:
      return Status::IOError(fmt::format("disk full while writing '{}'; free space and re-run (nothing was committed)", path));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::IOError(fmt::format(
          "database '{}' is corrupt or not a meter database; restore it from a backup", path));
    case SQLITE_CANTOPEN:
      return Status::IOError(fmt::format("cannot open database '{}': {}", path, what));
    case SQLITE_IOERR:
      // A failed write is nearly always a full disk or a file-size limit
      // (EFBIG); say so, since SQLite's own text is only "disk I/O error".
      if (IsWriteFailure(extended_code))
        return Status::IOError(fmt::format(
            "cannot write database '{}' (is the disk full or the file over a size limit?): {}; free space "
            "and re-run (the failed transaction was not committed)",
            path, what));
      [[fallthrough]];
    case SQLITE_PERM:
      return Status::IOError(fmt::format("I/O error on database '{}': {}", path, what));
    default:
      return Status::Internal(fmt::format("database '{}': {}", path, what));
  }
}

Status FromSqliteError(const SQLite::Exception& e, const std::string& path) {
  return FromSqliteCode(e.getErrorCode(), e.getExtendedErrorCode(), e.what(), path);
}

namespace {

class SqliteStatement : public StatementDriver {
 public:
  SqliteStatement(SqliteConnection& c, std::string_view sql) : c_(c) {
    int rc = sqlite3_prepare_v3(c.handle(), sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                                &s_, nullptr);
    if (rc != SQLITE_OK) c_.Throw(rc);
  }
  ~SqliteStatement() override { sqlite3_finalize(s_); }

  void BindNull(int i) override { Check(sqlite3_bind_null(s_, i)); }
  void BindInt64(int i, int64_t v) override { Check(sqlite3_bind_int64(s_, i, v)); }
  void BindDouble(int i, double v) override { Check(sqlite3_bind_double(s_, i, v)); }
  void BindText(int i, std::string_view v, bool copy) override {
    Check(sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), copy ? SQLITE_TRANSIENT : SQLITE_STATIC));
  }
  void ClearBindings() override { sqlite3_clear_bindings(s_); }

  bool Step() override {
    if (done_) return false;
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    done_ = true;
    if (rc != SQLITE_DONE) {
      try {
        c_.Throw(rc);
      } catch (...) {
        sqlite3_reset(s_);
        throw;
      }
    }
    // Reset at once so a finished statement holds no read lock.
    changes_ = sqlite3_changes64(c_.handle());
    sqlite3_reset(s_);
    return false;
  }
  int64_t Changes() override { return changes_; }
  void Reset() override {
    sqlite3_reset(s_);
    done_ = false;
    changes_ = 0;
  }
  int ColumnCount() override { return sqlite3_column_count(s_); }
  bool IsNull(int col) override { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
  int64_t Int64(int col) override { return sqlite3_column_int64(s_, col); }
  double Double(int col) override { return sqlite3_column_double(s_, col); }
  std::string_view Text(int col) override {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, col));
    if (!p) return {};
    return std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(s_, col)));
  }
  ValueType Type(int col) override {
    switch (sqlite3_column_type(s_, col)) {
      case SQLITE_NULL:
        return ValueType::kNull;
      case SQLITE_INTEGER:
        return ValueType::kInteger;
      case SQLITE_FLOAT:
        return ValueType::kReal;
      default:
        return ValueType::kText;
    }
  }
  std::string ColumnName(int col) override {
    const char* name = sqlite3_column_name(s_, col);
    return name ? name : "";
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK) c_.Throw(rc);
  }
  SqliteConnection& c_;
  sqlite3_stmt* s_ = nullptr;
  bool done_ = false;
  int64_t changes_ = 0;
};

// A prepared INSERT run once per row; values are copied when bound.
class SqliteBulkWriter : public BulkWriter {
 public:
  SqliteBulkWriter(SqliteConnection& c, std::string_view table, const std::vector<std::string>& columns)
      : s_(c, InsertSql(table, columns)) {}
  void Null() override { s_.BindNull(++column_); }
  void Int64(int64_t v) override { s_.BindInt64(++column_, v); }
  void Double(double v) override { s_.BindDouble(++column_, v); }
  void Text(std::string_view v) override { s_.BindText(++column_, v, true); }
  void EndRow() override {
    s_.Step();
    s_.Reset();
    column_ = 0;
    ++rows_;
  }
  int64_t Finish() override { return rows_; }

 private:
  static std::string InsertSql(std::string_view table, const std::vector<std::string>& columns) {
    std::string names, values;
    for (const std::string& c : columns) {
      names += (names.empty() ? "" : ", ") + c;
      values += values.empty() ? "?" : ", ?";
    }
    return fmt::format("INSERT INTO {}({}) VALUES({})", table, names, values);
  }
  SqliteStatement s_;
  int column_ = 0;
  int64_t rows_ = 0;
};

SQLite::Database OpenFile(const std::string& path, const OpenOptions& options) {
  // No process-wide memory statistics: they take a global lock on every
  // SQLite allocation (about 5% of ingest's instructions). Must precede the
  // first connection; later calls are refused harmlessly.
  static const bool no_memstatus = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  (void)no_memstatus;
  // No bulk page-cache allocation per connection: SQLite's default writes a
  // header into each of 20 page-sized slots when the cache is first used, so
  // every process touched ~80 KB of fresh heap (20 page faults, about a
  // fifth of a quota check's own faults) before reading its first page.
  // Pages are still cached; each is allocated when it is read.
  static const bool no_bulk_cache = sqlite3_config(SQLITE_CONFIG_PAGECACHE, nullptr, 0, 0) == SQLITE_OK;
  (void)no_bulk_cache;
  int flags = options.read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE;
  // A Database is used by one thread at a time: SQLite need not lock the
  // connection around every call (about 6% of ingest's instructions).
  flags |= SQLITE_OPEN_NOMUTEX;
  try {
    return SQLite::Database(path, flags, options.busy_timeout_ms);
  } catch (const SQLite::Exception& e) {
    throw DbError(FromSqliteError(e, path));
  }
}

}  // namespace

SqliteConnection::SqliteConnection(const std::string& path, const OpenOptions& options)
    : path_(path), db_(OpenFile(path, options)) {
  db_.setBusyTimeout(options.busy_timeout_ms);
  // Reading the schema surfaces "file is not a database" here, not later.
  Exec("SELECT count(*) FROM sqlite_master");
  if (!options.read_only) {
    // A new file gets 16 KiB pages (the pragma does nothing to an existing
    // one): ingest writes each changed page to the log and again to the
    // file, and a quarter as many pages means far fewer of those writes
    // (1M events on 1,000 tenants and 12 meters: 1.6 -> 1.1 s of system
    // time, 5.0-5.3 -> 4.4-4.8 s; UUID ids, 2.1 -> 1.2 s). A quota check
    // pays about 0.3 ms more (5 %: larger pages to read and fault in); 32 KiB
    // pages saved ingest a little more but cost it three times that.
    Exec("PRAGMA page_size=16384");
    Exec("PRAGMA journal_mode=WAL");
    // FULL: a committed invoice or event survives power loss, not only a crash.
    Exec("PRAGMA synchronous=FULL");
  }
  Exec("PRAGMA foreign_keys=OFF");
  Exec("PRAGMA temp_store=MEMORY");
  Exec("PRAGMA cache_size=-65536");
}

void SqliteConnection::Throw(int rc) {
  int extended = sqlite3_extended_errcode(handle());
  DbError e(FromSqliteCode(rc, extended, sqlite3_errmsg(handle()), path_));
  e.sqlstate = std::to_string(extended);
  throw e;
}

std::unique_ptr<StatementDriver> SqliteConnection::Prepare(std::string_view sql) {
  return std::make_unique<SqliteStatement>(*this, sql);
}

std::unique_ptr<BulkWriter> SqliteConnection::Bulk(std::string_view table, const std::vector<std::string>& columns) {
  return std::make_unique<SqliteBulkWriter>(*this, table, columns);
}

void SqliteConnection::Exec(std::string_view sql) {
  std::string text(sql);
  int rc = sqlite3_exec(handle(), text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) Throw(rc);
}

void SqliteConnection::BeginWrite() { Exec("BEGIN IMMEDIATE"); }
void SqliteConnection::BeginRead() { Exec("BEGIN"); }
void SqliteConnection::Commit() { Exec("COMMIT"); }
void SqliteConnection::Rollback() noexcept {
  sqlite3_exec(handle(), "ROLLBACK", nullptr, nullptr, nullptr);
}

int SqliteConnection::UserVersion() {
  SqliteStatement q(*this, "PRAGMA user_version");
  q.Step();
  int v = static_cast<int>(q.Int64(0));
  q.Reset();
  return v;
}

void SqliteConnection::SetUserVersion(int version) { Exec(fmt::format("PRAGMA user_version={}", version)); }

}  // namespace meter::store
