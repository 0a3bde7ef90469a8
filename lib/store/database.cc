#include "store/database.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "store/pg_driver.h"
#include "store/pg_url.h"
#include "store/schema.h"
#include "store/sqlite_internal.h"

namespace meter::store {

Database::Impl::~Impl() {
  // Statements go before the connection they were prepared on.
  statements.clear();
}

Status StatusFromCurrentException(Database& db) {
  try {
    throw;
  } catch (const DbError& e) {
    return e.status();
  } catch (const SQLite::Exception& e) {
    return FromSqliteError(e, db.path());
  } catch (const std::bad_alloc&) {
    return Status::IOError("out of memory");
  } catch (const std::exception& e) {
    return Status::Internal(e.what());
  }
}

Statement& Cached(Database& db, std::string_view sql) {
  auto& cache = db.impl().statements;
  auto it = cache.find(sql);
  if (it == cache.end()) {
    it = cache.emplace(std::string(sql), std::make_unique<Statement>(db, sql)).first;
  } else {
    it->second->reset();
    it->second->clearBindings();
  }
  return *it->second;
}

SQLite::Database& Sql(Database& db) {
  auto* c = dynamic_cast<SqliteConnection*>(db.impl().conn.get());
  if (!c) throw DbError(Status::Internal("this operation is not available on this database backend yet"));
  return c->db();
}

SQLite::Statement& Prepared(Database& db, const std::string& sql) {
  SQLite::Database& handle = Sql(db);
  auto& cache = static_cast<SqliteConnection&>(*db.impl().conn).legacy_statements;
  auto it = cache.find(sql);
  if (it == cache.end()) {
    it = cache.emplace(sql, std::make_unique<SQLite::Statement>(handle, sql)).first;
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

Status CheckSqliteFile(const std::string& path, const OpenOptions& options) {
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
  return Status::OK();
}

}  // namespace

Database::Database(std::string path, std::unique_ptr<Impl> impl)
    : path_(std::move(path)), impl_(std::move(impl)) {}

Database::~Database() = default;

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, const OpenOptions& options) {
  bool postgres = IsPostgresUrl(path);
  // ":memory:" is SQLite's private in-memory database (no file): store
  // maintenance migrates one to learn what a new database holds.
  if (!postgres && path != ":memory:") METER_RETURN_IF_ERROR(CheckSqliteFile(path, options));
  std::string name = postgres ? MaskedUrl(path) : path;
  try {
    auto impl = std::make_unique<Impl>();
    impl->busy_timeout_ms = options.busy_timeout_ms;
    if (postgres) impl->conn = std::make_unique<PgConnection>(path, options);
    else impl->conn = std::make_unique<SqliteConnection>(path, options);
    std::unique_ptr<Database> db(new Database(name, std::move(impl)));
    // A server database without meter's tables is what a missing file is.
    int version = db->SchemaVersion();
    if (postgres && !options.create && version == 0) {
      return Status::NoInput(fmt::format(
          "database '{}' holds no meter schema; create it with 'meter --db URL init --catalog FILE'", name));
    }
    // Up to date (every command but the first after an upgrade): Migrate
    // would read the version again, a round trip on a server.
    if (version != LatestSchemaVersion()) METER_RETURN_IF_ERROR(Migrate(*db, options.read_only));
    return db;
  } catch (const DbError& e) {
    return e.status();
  } catch (const SQLite::Exception& e) {
    return FromSqliteError(e, path);
  }
}

namespace {

// Runs `body` between `begin` and COMMIT, rolling back when it fails or throws.
Status RunInTransaction(Database::Impl& impl, const std::function<void()>& begin, bool commit_on_error,
                        const std::function<Status()>& body) {
  begin();
  impl.transaction_depth = 1;
  Status st;
  try {
    st = body();
  } catch (...) {
    impl.transaction_depth = 0;
    impl.conn->Rollback();
    throw;
  }
  impl.transaction_depth = 0;
  if (!st.ok() && !commit_on_error) {
    impl.conn->Rollback();
    return st;
  }
  try {
    impl.conn->Commit();
  } catch (...) {
    impl.conn->Rollback();
    throw;
  }
  return st;
}

}  // namespace

Status Database::Transaction(const std::function<Status()>& body) {
  if (impl_->transaction_depth > 0) return body();
  return Guarded(*this, [&]() -> Status {
    return RunInTransaction(*impl_, [&] { impl_->conn->BeginWrite(); }, false, body);
  });
}

Status Database::Read(const std::function<Status()>& body) {
  if (impl_->transaction_depth > 0) return body();
  return Guarded(*this, [&]() -> Status {
    return RunInTransaction(*impl_, [&] { impl_->conn->BeginRead(); }, true, body);
  });
}

int Database::SchemaVersion() const { return impl_->conn->UserVersion(); }

int Database::LatestSchemaVersion() { return store::LatestSchemaVersion(); }

}  // namespace meter::store
