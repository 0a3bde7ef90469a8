#include "store/database.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "store/schema.h"
#include "store/sqlite_internal.h"

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

Status FromSqliteError(const SQLite::Exception& e, const std::string& path) {
  int code = e.getErrorCode() & 0xff;
  switch (code) {
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
      return Status::IOError(fmt::format("cannot open database '{}': {}", path, e.what()));
    case SQLITE_IOERR:
      // A failed write is nearly always a full disk or a file-size limit
      // (EFBIG); say so, since SQLite's own text is only "disk I/O error".
      if (IsWriteFailure(e.getExtendedErrorCode()))
        return Status::IOError(fmt::format(
            "cannot write database '{}' (is the disk full or the file over a size limit?): {}; free space "
            "and re-run (the failed transaction was not committed)",
            path, e.what()));
      [[fallthrough]];
    case SQLITE_PERM:
      return Status::IOError(fmt::format("I/O error on database '{}': {}", path, e.what()));
    default:
      return Status::Internal(fmt::format("database '{}': {}", path, e.what()));
  }
}

SQLite::Statement& Prepared(Database& db, const std::string& sql) {
  auto& cache = db.impl().statements;
  auto it = cache.find(sql);
  if (it == cache.end()) {
    it = cache.emplace(sql, std::make_unique<SQLite::Statement>(Sql(db), sql)).first;
  } else {
    it->second->reset();
    it->second->clearBindings();
  }
  return *it->second;
}

namespace {

Status CreateFileWithMode0600(const std::string& path) {
  int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0 && errno != EEXIST) {
    return Status::IOError(fmt::format("cannot create database '{}': {}", path, std::strerror(errno)));
  }
  if (fd >= 0) ::close(fd);
  return Status::OK();
}

Status Configure(Database::Impl& impl, bool read_only) {
  impl.db.setBusyTimeout(impl.busy_timeout_ms);
  // Reading the schema surfaces "file is not a database" here, not later.
  impl.db.exec("SELECT count(*) FROM sqlite_master");
  if (!read_only) {
    impl.db.exec("PRAGMA journal_mode=WAL");
    // FULL: a committed invoice or event survives power loss, not only a crash.
    impl.db.exec("PRAGMA synchronous=FULL");
  }
  impl.db.exec("PRAGMA foreign_keys=OFF");
  impl.db.exec("PRAGMA temp_store=MEMORY");
  impl.db.exec("PRAGMA cache_size=-65536");
  return Status::OK();
}

}  // namespace

Database::Database(std::string path, std::unique_ptr<Impl> impl)
    : path_(std::move(path)), impl_(std::move(impl)) {}

Database::~Database() {
  if (impl_) impl_->statements.clear();
}

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, const OpenOptions& options) {
  struct stat st;
  bool exists = ::stat(path.c_str(), &st) == 0;
  if (!exists && !options.create) {
    return Status::NoInput(fmt::format(
        "database '{}' does not exist; create it with 'meter --db {} init --catalog FILE'", path, path));
  }
  if (exists && S_ISDIR(st.st_mode)) {
    return Status::IOError(fmt::format("database path '{}' is a directory", path));
  }
  if (!exists) METER_RETURN_IF_ERROR(CreateFileWithMode0600(path));
  // No process-wide memory statistics: they take a global lock on every
  // SQLite allocation (about 5% of ingest's instructions). Must precede the
  // first connection; later calls are refused harmlessly.
  static const bool no_memstatus = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;
  (void)no_memstatus;
  try {
    int flags = options.read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE;
    // A Database is used by one thread at a time: SQLite need not lock the
    // connection around every call (about 6% of ingest's instructions).
    flags |= SQLITE_OPEN_NOMUTEX;
    auto impl = std::make_unique<Impl>(SQLite::Database(path, flags, options.busy_timeout_ms));
    impl->busy_timeout_ms = options.busy_timeout_ms;
    impl->path = path;
    METER_RETURN_IF_ERROR(Configure(*impl, options.read_only));
    std::unique_ptr<Database> db(new Database(path, std::move(impl)));
    METER_RETURN_IF_ERROR(Migrate(*db, options.read_only));
    return db;
  } catch (const SQLite::Exception& e) {
    return FromSqliteError(e, path);
  }
}

Status Database::Transaction(const std::function<Status()>& body) {
  if (impl_->transaction_depth > 0) return body();
  return Guarded(*this, [&]() -> Status {
    impl_->db.exec("BEGIN IMMEDIATE");
    impl_->transaction_depth = 1;
    Status st;
    try {
      st = body();
    } catch (...) {
      impl_->transaction_depth = 0;
      try { impl_->db.exec("ROLLBACK"); } catch (...) {}
      throw;
    }
    impl_->transaction_depth = 0;
    if (!st.ok()) {
      try { impl_->db.exec("ROLLBACK"); } catch (...) {}
      return st;
    }
    try {
      impl_->db.exec("COMMIT");
    } catch (...) {
      try { impl_->db.exec("ROLLBACK"); } catch (...) {}
      throw;
    }
    return Status::OK();
  });
}

Status Database::Read(const std::function<Status()>& body) {
  if (impl_->transaction_depth > 0) return body();
  return Guarded(*this, [&]() -> Status {
    impl_->db.exec("BEGIN");
    impl_->transaction_depth = 1;
    Status st;
    try {
      st = body();
    } catch (...) {
      impl_->transaction_depth = 0;
      try { impl_->db.exec("ROLLBACK"); } catch (...) {}
      throw;
    }
    impl_->transaction_depth = 0;
    impl_->db.exec("COMMIT");
    return st;
  });
}

int Database::SchemaVersion() const {
  return impl_->db.execAndGet("PRAGMA user_version").getInt();
}

int Database::LatestSchemaVersion() { return store::LatestSchemaVersion(); }

}  // namespace meter::store
