#include "store/invoice_migration.h"

#include <filesystem>

#include <doctest/doctest.h>

#include "store/invoice_store.h"
#include "support/temp_db.h"

namespace meter::store {
namespace {

// Opens a copy of a version-1 database from tests/e2e/fixtures/invoices_v1
// (made by the meter of commit 68070e7): opening migrates it.
std::unique_ptr<Database> OpenV1(const testing::TempDb& t, const char* name) {
  std::filesystem::path copy = t.dir / (std::string("v1-") + name);
  std::filesystem::copy_file(std::filesystem::path(METER_SOURCE_DIR) / "tests/e2e/fixtures/invoices_v1" / name, copy);
  auto db = Database::Open(copy.string(), OpenOptions{});
  REQUIRE(db.ok());
  return std::move(*db);
}

TEST_CASE("invoice_migration: version-1 documents become typed rows") {
  testing::TempDb t;
  auto db = OpenV1(t, "meter.db");
  CHECK(db->SchemaVersion() >= 2);
  auto all = InvoiceStore(*db).List({});
  REQUIRE(all.ok());
  REQUIRE(all->size() == 7);
  auto paid = InvoiceStore(*db).Find("INV-2026-000001");
  REQUIRE(paid.ok());
  CHECK(paid->status == "paid");
  CHECK(paid->paid_at.has_value());
  CHECK(paid->tenant_name == "Acme Inc");
  CHECK(paid->tax_rate == "0.1");
  CHECK(paid->total == "184.04");
  CHECK(paid->attributes == R"({"seller":{"address":"1 Billing Way, Springfield","name":"Meter & Co"}})");
  REQUIRE(paid->lines.size() == 5);
  CHECK(paid->lines[0].kind == "base");
  CHECK(paid->lines[1].quantity == "1500.5");  // written as a double, read from its text
  CHECK(paid->lines[1].attributes.find("\"pricing\":") != std::string::npos);
  CHECK(paid->lines[1].attributes.find("\"quantity\":") == std::string::npos);
  auto berlin = InvoiceStore(*db).Find("inv_globex_2026-01");
  REQUIRE(berlin.ok());
  CHECK(berlin->timezone == "Europe/Berlin");
  CHECK(berlin->status == "overdue");
}

TEST_CASE("invoice_migration: digits a double added are read as the decimal written") {
  // Version 1 stored the quantity 3328.325063 as 3328.3250629999998 and then
  // could not read its own invoice (issue 12).
  testing::TempDb t;
  auto db = OpenV1(t, "bricked.db");
  auto inv = InvoiceStore(*db).Find("inv_initech_2026-01");
  REQUIRE(inv.ok());
  REQUIRE(inv->lines.size() == 2);
  CHECK(inv->lines[1].quantity == "3328.325063");
}

}  // namespace
}  // namespace meter::store
