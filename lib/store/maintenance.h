// Whole-database maintenance (SPEC section 12): `meter db copy` moves every
// table of one database into another (SQLite file or PostgreSQL schema, in
// either direction) and checks the result; `meter db check` runs the
// backend's own integrity checks. Meter's tables are the ones its migrations
// create (store/schema.h), whatever else a server schema holds.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/decimal.h"
#include "core/progress.h"
#include "core/status.h"
#include "store/database.h"

namespace meter::store {

struct TableCount {
  std::string table;
  int64_t rows = 0;
};

struct CopyReport {
  // Every table copied, in name order, with its rows (the same on both sides).
  std::vector<TableCount> tables;
  int64_t rows = 0;
  // The sum of the invoice totals per currency, exact, the same on both sides.
  std::map<std::string, Decimal> invoice_totals;
};

// The totals as one line of money, each to its currency's minor unit:
// "16.50 USD, 300 JPY"; "none" when there are none.
std::string InvoiceTotalsText(const std::map<std::string, Decimal>& totals);

// Copies every row of every meter table of `from` into `to`, one pass per
// table, in one read snapshot of `from` and one transaction on `to`, then
// checks, before that transaction commits, that each table holds as many rows
// on both sides and that the invoice totals per currency are equal. Identity
// keys keep their values (and PostgreSQL's sequences continue after them).
// Both databases must be at the same schema version (open them with
// Database::Open, which migrates). Refuses with Denied, writing nothing, a
// target that already holds data (rows beyond what a new database has);
// IOError, leaving the target as it was, when a check fails. Reports each
// table's progress (label "copy <table>", unit "rows") to `progress`.
Result<CopyReport> CopyDatabase(Database& from, Database& to, ProgressSink& progress);

struct IntegrityProblem {
  std::string subject;  // the table or index concerned, or "database"
  std::string message;
};

struct IntegrityReport {
  std::string backend;  // "sqlite" or "postgresql"
  int64_t tables = 0;   // meter tables checked
  std::vector<IntegrityProblem> problems;
  // Checks this server could not run and why (e.g. amcheck not installed).
  std::vector<std::string> skipped;
};

// The backend's integrity checks, in one read snapshot. Both: every meter
// table and column exists. SQLite: PRAGMA integrity_check (pages, indexes,
// constraints). PostgreSQL: every index of meter's tables is valid, every
// identity sequence is past its table's largest key (else the next insert
// would collide), and, when the amcheck extension is installed, each B-tree
// index's structure (bt_index_check). Problems are listed, not returned as
// errors; an error means the checks could not run.
Result<IntegrityReport> CheckIntegrity(Database& db);

}  // namespace meter::store
