// db copy and db check (store/maintenance.h): a copy holds every row, a
// target holding data is refused untouched, and the integrity check names a
// missing table. SQLite to SQLite here, and SQLite to PostgreSQL and back
// when METER_TEST_PG_URL names a server; the e2e tests (test_db.py) cover
// the command.
#include <doctest/doctest.h>

#include "store/maintenance.h"
#include "store/statement.h"
#include "support/temp_db.h"

namespace st = meter::store;
using meter::Decimal;
using meter::NoProgress;
using meter::Status;
using meter::testing::TempDb;

namespace {

void Fill(st::Database& db) {
  Status s = db.Transaction([&] {
    st::Exec(db, "INSERT INTO tenants(id, name, created_at) VALUES('acme', 'Acme', 1), ('beta', 'Beta\tCo', 2)");
    st::Exec(db,
             "INSERT INTO invoices(id, tenant_id, month, timezone, period_start, period_end, status, currency, "
             "issue_date, due_date, tenant_name, tenant_email, subtotal, tax_name, tax_rate, tax, total, attributes, "
             "created_at, updated_at) VALUES "
             "('i1', 'acme', '2026-01', '', 0, 1, 'open', 'USD', 0, 0, 'Acme', '', '10.10', '', '0', '0', '10.10', "
             "'{}', 0, 0), "
             "('i2', 'beta', '2026-01', '', 0, 1, 'open', 'USD', 0, 0, 'Beta', '', '0.20', '', '0', '0', '0.20', "
             "'{}', 0, 0), "
             "('i3', 'beta', '2026-02', '', 0, 1, 'open', 'EUR', 0, 0, 'Beta', '', '5', '', '0', '0', '5', '{}', 0, 0)");
    st::Exec(db, "INSERT INTO webhook_endpoints(id, url, secret, created_at) VALUES(7, 'http://x', 's', 0)");
    return Status::OK();
  });
  REQUIRE(s.ok());
}

int64_t Count(st::Database& db, const char* table) {
  st::Statement q(db, std::string("SELECT COUNT(*) FROM ") + table);
  q.executeStep();
  return q.getColumn(0).getInt64();
}

}  // namespace

TEST_CASE("maintenance: invoice totals print as money in each currency's minor unit") {
  std::map<std::string, Decimal> totals;
  CHECK(st::InvoiceTotalsText(totals) == "none");
  totals["JPY"] = Decimal::FromInt(300);
  totals["KWD"] = *Decimal::Parse("1.5");
  totals["USD"] = *Decimal::Parse("16.5");
  CHECK(st::InvoiceTotalsText(totals) == "300 JPY, 1.500 KWD, 16.50 USD");
}

TEST_CASE("maintenance: a copy holds every row and the invoice totals, and ids continue") {
  for (auto backend : TempDb::Backends()) {
    CAPTURE(static_cast<int>(backend));
    TempDb from(TempDb::Backend::kSqlite), to(backend), back(TempDb::Backend::kSqlite);
    Fill(*from.db);
    auto report = st::CopyDatabase(*from.db, *to.db, NoProgress());
    REQUIRE_MESSAGE(report.ok(), report.status().message());
    REQUIRE(report->invoice_totals.size() == 2);
    CHECK(report->invoice_totals.at("EUR").ToString() == "5");
    CHECK(report->invoice_totals.at("USD").ToString() == "10.3");
    CHECK(st::InvoiceTotalsText(report->invoice_totals) == "5.00 EUR, 10.30 USD");
    CHECK(Count(*to.db, "tenants") == 2);
    CHECK(Count(*to.db, "invoices") == 3);
    CHECK(Count(*to.db, "events_legacy_identity") == 1);  // the source's row, not a second one
    st::Statement ins(*to.db, "INSERT INTO webhook_endpoints(url, secret, created_at) VALUES('http://y', 's', 0) "
                              "RETURNING id");
    REQUIRE(ins.executeStep());
    CHECK(ins.getColumn(0).getInt64() == 8);
    ins.reset();
    auto again = st::CopyDatabase(*to.db, *back.db, NoProgress());
    REQUIRE_MESSAGE(again.ok(), again.status().message());
    st::Statement q(*back.db, "SELECT name FROM tenants WHERE id = 'beta'");
    REQUIRE(q.executeStep());
    CHECK(q.getColumn(0).getString() == "Beta\tCo");
  }
}

TEST_CASE("maintenance: a target holding data is refused and left as it was") {
  for (auto backend : TempDb::Backends()) {
    CAPTURE(static_cast<int>(backend));
    TempDb from(TempDb::Backend::kSqlite), to(backend);
    Fill(*from.db);
    REQUIRE(to.db->Transaction([&] {
      st::Exec(*to.db, "INSERT INTO tenants(id, name, created_at) VALUES('zed', 'Zed', 1)");
      return Status::OK();
    }).ok());
    auto report = st::CopyDatabase(*from.db, *to.db, NoProgress());
    REQUIRE_FALSE(report.ok());
    CHECK(report.status().IsDenied());
    CHECK(report.status().message().find("not empty") != std::string::npos);
    CHECK(Count(*to.db, "tenants") == 1);
    CHECK(Count(*to.db, "invoices") == 0);
  }
}

TEST_CASE("maintenance: the integrity check passes a new database and names a missing table") {
  for (auto backend : TempDb::Backends()) {
    CAPTURE(static_cast<int>(backend));
    TempDb t(backend);
    auto ok = st::CheckIntegrity(*t.db);
    REQUIRE(ok.ok());
    CHECK(ok->problems.empty());
    CHECK(ok->tables > 10);
    st::Exec(*t.db, "DROP TABLE rate_buckets");
    auto bad = st::CheckIntegrity(*t.db);
    REQUIRE(bad.ok());
    REQUIRE(bad->problems.size() == 1);
    CHECK(bad->problems[0].subject == "rate_buckets");
  }
}
