#include "store/maintenance.h"

#include <algorithm>
#include <array>
#include <map>

#include <fmt/format.h>

#include "core/decimal.h"
#include "core/money.h"
#include "store/dialect.h"
#include "store/statement.h"

namespace meter::store {
namespace {

// The tables in `db`'s schema (PostgreSQL: the current schema, without the
// version table), sorted by name.
std::vector<std::string> TablesIn(Database& db) {
  const char* sql =
      Dialect(db) == Backend::kPostgres
          ? "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
            "AND table_type = 'BASE TABLE' AND table_name <> 'meter_schema' ORDER BY table_name"
          : "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
            "ORDER BY name";
  Statement q(db, sql);
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

// The columns of `table`, in their order.
std::vector<std::string> ColumnsOf(Database& db, const std::string& table) {
  Statement q(db, Dialect(db) == Backend::kPostgres
                      ? "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                        "AND table_name = ? ORDER BY ordinal_position"
                      : "SELECT name FROM pragma_table_info(?) ORDER BY cid");
  q.bind(1, table);
  std::vector<std::string> out;
  while (q.executeStep()) out.push_back(q.getColumn(0).getString());
  return out;
}

int64_t CountRows(Database& db, const std::string& table) {
  Statement q(db, "SELECT COUNT(*) FROM " + QuoteIdentifier(table));
  q.executeStep();
  return q.getColumn(0).getInt64();
}

// What a database this build creates holds before anyone writes to it: its
// tables, their columns, and the rows the migrations themselves insert.
struct Layout {
  std::map<std::string, std::vector<std::string>> columns;
  std::map<std::string, int64_t> seeded_rows;
};

Result<Layout> FreshLayout() {
  OpenOptions options;
  options.create = true;
  METER_ASSIGN_OR_RETURN(auto fresh, Database::Open(":memory:", options));
  Layout layout;
  METER_RETURN_IF_ERROR(Guarded(*fresh, [&]() -> Status {
    for (const std::string& t : TablesIn(*fresh)) {
      layout.columns[t] = ColumnsOf(*fresh, t);
      layout.seeded_rows[t] = CountRows(*fresh, t);
    }
    return Status::OK();
  }));
  return layout;
}

// Problems with `db`'s tables against the layout of this build: a missing
// table or column.
std::vector<IntegrityProblem> LayoutProblems(Database& db, const Layout& layout) {
  std::vector<IntegrityProblem> out;
  std::vector<std::string> tables = TablesIn(db);
  for (const auto& [table, columns] : layout.columns) {
    if (!std::binary_search(tables.begin(), tables.end(), table)) {
      out.push_back({table, "table is missing"});
      continue;
    }
    std::vector<std::string> have = ColumnsOf(db, table);
    for (const std::string& c : columns)
      if (std::find(have.begin(), have.end(), c) == have.end())
        out.push_back({table, fmt::format("column '{}' is missing", c)});
  }
  return out;
}

// Copies every row of one table, `columns` by name, streaming: a SQLite
// statement steps row by row; on PostgreSQL a cursor fetches batches, so a
// large table never sits in memory whole.
int64_t CopyTable(Database& from, Database& to, const std::string& table, const std::vector<std::string>& columns,
                  int64_t total, ProgressSink& progress) {
  std::string list;
  for (const std::string& c : columns) list += (list.empty() ? "" : ", ") + QuoteIdentifier(c);
  std::string select = fmt::format("SELECT {} FROM {}", list, QuoteIdentifier(table));
  progress.Begin("copy " + table, static_cast<uint64_t>(total), "rows");
  BulkInsert rows(to, QuoteIdentifier(table), columns);
  int64_t done = 0;
  auto copy_row = [&](Statement& q) {
    for (int i = 0; i < static_cast<int>(columns.size()); ++i) {
      Column c = q.getColumn(i);
      switch (c.getType()) {
        case ValueType::kNull: rows.add(nullptr); break;
        case ValueType::kInteger: rows.add(c.getInt64()); break;
        case ValueType::kReal: rows.add(c.getDouble()); break;
        case ValueType::kText: rows.add(c.getText()); break;
      }
    }
    rows.endRow();
    progress.Update(static_cast<uint64_t>(++done));
  };
  if (Dialect(from) == Backend::kPostgres) {
    Exec(from, "DECLARE meter_copy NO SCROLL CURSOR FOR " + select);
    for (;;) {
      Statement batch(from, "FETCH FORWARD 5000 FROM meter_copy");
      int n = 0;
      while (batch.executeStep()) {
        copy_row(batch);
        ++n;
      }
      if (n == 0) break;
    }
    Exec(from, "CLOSE meter_copy");
  } else {
    Statement q(from, select);
    while (q.executeStep()) copy_row(q);
  }
  int64_t written = rows.finish();
  progress.End();
  return written;
}

// On PostgreSQL, copied identity keys kept their values: move each identity
// sequence past its table's largest key so the next insert does not collide.
void AdvanceSequences(Database& to) {
  if (Dialect(to) != Backend::kPostgres) return;
  Statement q(to,
              "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = "
              "current_schema() AND is_identity = 'YES' ORDER BY table_name");
  std::vector<std::pair<std::string, std::string>> identities;
  while (q.executeStep()) identities.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
  for (const auto& [table, column] : identities) {
    Statement s(to, fmt::format("SELECT setval(pg_get_serial_sequence(?, ?), GREATEST(COALESCE(MAX({0}), 0), 1), "
                                "MAX({0}) IS NOT NULL) FROM {1}",
                                QuoteIdentifier(column), QuoteIdentifier(table)));
    s.bind(1, QuoteIdentifier(table));
    s.bind(2, column);
    s.exec();
  }
}

// The sum of the invoice totals per currency, exact.
Result<std::map<std::string, Decimal>> InvoiceTotals(Database& db) {
  std::map<std::string, Decimal> sums;
  Statement q(db, "SELECT currency, total FROM invoices");
  while (q.executeStep()) {
    std::string currency = q.getColumn(0).getString();
    auto total = Decimal::Parse(q.getColumn(1).getText());
    if (!total.ok()) return total.status().WithContext("invoice total");
    auto sum = sums[currency].Add(*total);
    if (!sum.ok()) return sum.status();
    sums[currency] = *sum;
  }
  return sums;
}

}  // namespace

std::string InvoiceTotalsText(const std::map<std::string, Decimal>& totals) {
  std::string out;
  for (const auto& [currency, sum] : totals) out += (out.empty() ? "" : ", ") + MoneyString(sum, currency) + " " + currency;
  return out.empty() ? "none" : out;
}

Result<CopyReport> CopyDatabase(Database& from, Database& to, ProgressSink& progress) {
  METER_ASSIGN_OR_RETURN(Layout layout, FreshLayout());
  if (from.SchemaVersion() != to.SchemaVersion()) {
    return Status::IOError(fmt::format("'{}' has schema version {} but '{}' has {}; open both with this meter first",
                                       from.path(), from.SchemaVersion(), to.path(), to.SchemaVersion()));
  }
  CopyReport report;
  Status st = from.Read([&]() -> Status {
    return Guarded(from, [&]() -> Status {
      for (const std::string& side : {std::string("from"), std::string("to")}) {
        Database& db = side == "from" ? from : to;
        auto problems = LayoutProblems(db, layout);
        if (!problems.empty()) {
          return Status::IOError(fmt::format("database '{}' lacks meter's layout ({}: {}); run 'meter db check' on it",
                                             db.path(), problems[0].subject, problems[0].message));
        }
      }
      std::map<std::string, int64_t> source_counts;
      for (const auto& [table, columns] : layout.columns) source_counts[table] = CountRows(from, table);
      METER_ASSIGN_OR_RETURN(auto source_totals, InvoiceTotals(from));
      return to.Transaction([&]() -> Status {
        return Guarded(to, [&]() -> Status {
          for (const auto& [table, seeded] : layout.seeded_rows) {
            int64_t n = CountRows(to, table);
            if (n > seeded) {
              return Status::Denied(fmt::format(
                  "target database '{}' is not empty (table {} holds {} row(s)); db copy writes only into a new "
                  "database: give another file or schema",
                  to.path(), table, n));
            }
          }
          // Rows the migrations wrote into the new target come from the
          // source instead.
          for (const auto& [table, seeded] : layout.seeded_rows)
            if (seeded > 0) Exec(to, "DELETE FROM " + QuoteIdentifier(table));
          for (const auto& [table, columns] : layout.columns) {
            int64_t written = CopyTable(from, to, table, columns, source_counts[table], progress);
            int64_t there = CountRows(to, table);
            if (written != source_counts[table] || there != source_counts[table]) {
              return Status::IOError(fmt::format(
                  "copy check failed: table {} has {} row(s) in '{}' but {} in '{}'; nothing was committed", table,
                  source_counts[table], from.path(), there, to.path()));
            }
            report.tables.push_back({table, there});
            report.rows += there;
          }
          AdvanceSequences(to);
          METER_ASSIGN_OR_RETURN(auto target_totals, InvoiceTotals(to));
          if (target_totals != source_totals) {
            return Status::IOError(fmt::format(
                "copy check failed: invoice totals are {} in '{}' but {} in '{}'; nothing was committed",
                InvoiceTotalsText(source_totals), from.path(), InvoiceTotalsText(target_totals), to.path()));
          }
          report.invoice_totals = std::move(target_totals);
          return Status::OK();
        });
      });
    });
  });
  if (!st.ok()) return st;
  return report;
}

namespace {

void SqliteChecks(Database& db, IntegrityReport& report) {
  Statement q(db, "PRAGMA integrity_check");
  while (q.executeStep()) {
    std::string line = q.getColumn(0).getString();
    if (line != "ok") report.problems.push_back({"database", line});
  }
}

void PostgresChecks(Database& db, IntegrityReport& report) {
  {
    Statement q(db,
                "SELECT c.relname, t.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
                "WHERE n.nspname = current_schema() AND NOT (i.indisvalid AND i.indisready) ORDER BY 1");
    while (q.executeStep())
      report.problems.push_back({q.getColumn(0).getString(),
                                 fmt::format("index on {} is invalid (a failed CREATE INDEX CONCURRENTLY?); "
                                             "REINDEX it",
                                             q.getColumn(1).getString())});
  }
  {
    Statement q(db,
                "SELECT table_name, column_name, pg_get_serial_sequence(quote_ident(table_name), column_name) "
                "FROM information_schema.columns WHERE table_schema = current_schema() AND is_identity = 'YES' "
                "AND table_name <> 'meter_schema' ORDER BY table_name");
    std::vector<std::array<std::string, 3>> identities;
    while (q.executeStep())
      identities.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getString()});
    for (const auto& [table, column, sequence] : identities) {
      Statement s(db, fmt::format("SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END, "
                                  "(SELECT COALESCE(MAX({}), 0) FROM {}) FROM {}",
                                  QuoteIdentifier(column), QuoteIdentifier(table), sequence));
      s.executeStep();
      int64_t next = s.getColumn(0).getInt64(), max = s.getColumn(1).getInt64();
      if (next <= max)
        report.problems.push_back({table, fmt::format("the next {} would be {} but {} is taken; run SELECT "
                                                      "setval('{}', {})",
                                                      column, next, max, sequence, max)});
    }
  }
  std::string amcheck;
  {
    Statement q(db,
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                "WHERE e.extname = 'amcheck'");
    if (q.executeStep()) amcheck = q.getColumn(0).getString();
  }
  if (amcheck.empty()) {
    report.skipped.push_back(
        "B-tree index structure: the amcheck extension is not installed in this database (CREATE EXTENSION "
        "amcheck enables it)");
    return;
  }
  std::vector<std::string> indexes;
  {
    Statement q(db,
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace "
                "JOIN pg_am a ON a.oid = c.relam WHERE n.nspname = current_schema() AND a.amname = 'btree' "
                "AND i.indisvalid ORDER BY 1");
    while (q.executeStep()) indexes.push_back(q.getColumn(0).getString());
  }
  for (const std::string& index : indexes) {
    // A failing check aborts only its savepoint.
    Exec(db, "SAVEPOINT meter_check");
    try {
      Statement s(db, fmt::format("SELECT {}.bt_index_check(?::regclass)", QuoteIdentifier(amcheck)));
      s.bind(1, QuoteIdentifier(index));
      s.exec();
      Exec(db, "RELEASE SAVEPOINT meter_check");
    } catch (const DbError& e) {
      Exec(db, "ROLLBACK TO SAVEPOINT meter_check");
      report.problems.push_back({index, e.status().message()});
    }
  }
}

}  // namespace

Result<IntegrityReport> CheckIntegrity(Database& db) {
  METER_ASSIGN_OR_RETURN(Layout layout, FreshLayout());
  IntegrityReport report;
  bool postgres = Dialect(db) == Backend::kPostgres;
  report.backend = postgres ? "postgresql" : "sqlite";
  Status st = db.Read([&]() -> Status {
    return Guarded(db, [&]() -> Status {
      report.problems = LayoutProblems(db, layout);
      report.tables = static_cast<int64_t>(layout.columns.size());
      if (postgres) PostgresChecks(db, report);
      else SqliteChecks(db, report);
      return Status::OK();
    });
  });
  if (!st.ok()) return st;
  return report;
}

}  // namespace meter::store
