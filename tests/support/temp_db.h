// A fresh meter database, removed afterwards: for unit tests of code that
// reads and writes the store. SQLite (a file in its own temporary directory)
// unless METER_TEST_BACKEND=postgresql, or asked for by name; PostgreSQL
// databases are fresh schemas on the server METER_TEST_PG_URL names.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "store/database.h"

namespace meter::testing {

struct TempDb {
  enum class Backend { kSqlite, kPostgres };

  static bool PostgresAvailable() {
    const char* url = std::getenv("METER_TEST_PG_URL");
    return url && *url;
  }
  // SQLite, and PostgreSQL too when a server is there: for tests whose body
  // runs once per backend.
  static std::vector<Backend> Backends() {
    std::vector<Backend> out = {Backend::kSqlite};
    if (PostgresAvailable()) out.push_back(Backend::kPostgres);
    return out;
  }
  static Backend DefaultBackend() {
    const char* b = std::getenv("METER_TEST_BACKEND");
    return b && std::string(b) == "postgresql" ? Backend::kPostgres : Backend::kSqlite;
  }

  TempDb() : TempDb(DefaultBackend()) {}
  explicit TempDb(Backend backend) {
    static int counter = 0;
    std::string unique = std::to_string(::getpid()) + "_" + std::to_string(counter++);
    dir = std::filesystem::temp_directory_path() / ("meter_test_" + unique);
    std::filesystem::create_directories(dir);
    std::string where = (dir / "meter.db").string();
    if (backend == Backend::kPostgres) {
      REQUIRE_MESSAGE(PostgresAvailable(), "METER_TEST_PG_URL is not set");
      std::string url = std::getenv("METER_TEST_PG_URL");
      where = url + (url.find('?') == std::string::npos ? "?" : "&") + "schema=unit_" + unique;
    }
    store::OpenOptions o;
    o.create = true;
    auto opened = store::Database::Open(where, o);
    REQUIRE_MESSAGE(opened.ok(), opened.status().message());
    db = std::move(*opened);
  }
  ~TempDb() {
    db.reset();
    std::filesystem::remove_all(dir);
  }
  TempDb(const TempDb&) = delete;
  TempDb& operator=(const TempDb&) = delete;

  std::filesystem::path dir;
  std::unique_ptr<store::Database> db;
};

}  // namespace meter::testing
