// Database: the one handle on meter's storage.
//
// The only SQL in meter lives under lib/store/. Domain code talks to the
// per-domain stores (catalog_store.h, event_store.h, ...) which take a
// Database&; none of their declarations shows a SQLite type, so another
// backend (PostgreSQL for users who outgrow one machine) can sit behind the
// same interfaces. A Database is used by one thread at a time.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "core/status.h"

namespace meter::store {

struct OpenOptions {
  // Create the file (mode 0600) when it does not exist; otherwise a missing
  // file is refused with Status::NoInput naming `meter init`.
  bool create = false;
  // Open without write access; migrations are not run.
  bool read_only = false;
  // How long a write waits for another process's lock before Status::Busy.
  int busy_timeout_ms = 10000;
};

class Database {
 public:
  // Opens the SQLite file at `path` in WAL mode with a busy timeout and
  // migrates its schema forward to the current version inside a transaction.
  // Refuses a corrupt or non-database file, or one written by a newer meter,
  // with Status::IOError.
  static Result<std::unique_ptr<Database>> Open(const std::string& path, const OpenOptions& options);

  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs `body` in one write transaction (BEGIN IMMEDIATE, so concurrent
  // writers queue on the busy timeout instead of deadlocking). Commits when
  // body returns OK; rolls back when it returns an error or throws. Nested
  // calls join the outer transaction. SQLite errors become Status values:
  // Busy when locked past the timeout, IOError for read-only, full or corrupt
  // files.
  Status Transaction(const std::function<Status()>& body);

  // Runs `body` in one read transaction: a consistent snapshot for reports.
  Status Read(const std::function<Status()>& body);

  // The schema version stored in the file after migration.
  int SchemaVersion() const;
  // The newest schema version this build knows.
  static int LatestSchemaVersion();
  const std::string& path() const { return path_; }

  // For the store implementations only (lib/store/sqlite_internal.h).
  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  Database(std::string path, std::unique_ptr<Impl> impl);
  std::string path_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meter::store
