// A fresh meter database in its own temporary directory, removed afterwards:
// for unit tests of code that reads and writes the store.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>

#include <doctest/doctest.h>

#include "store/database.h"

namespace meter::testing {

struct TempDb {
  TempDb() {
    static int counter = 0;
    dir = std::filesystem::temp_directory_path() /
          ("meter_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
    store::OpenOptions o;
    o.create = true;
    auto opened = store::Database::Open((dir / "meter.db").string(), o);
    REQUIRE(opened.ok());
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
