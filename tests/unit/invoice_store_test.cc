#include "store/invoice_store.h"

#include <doctest/doctest.h>

#include "support/temp_db.h"

namespace meter::store {
namespace {

InvoiceLineRecord Line(const char* kind, const char* quantity, const char* amount) {
  InvoiceLineRecord l;
  l.kind = kind;
  l.description = std::string(kind) + " line";
  l.meter = std::string(kind) == "base" ? "" : "api_calls";
  l.plan = "pro";
  l.period = {100, 200};
  l.quantity = quantity;
  if (std::string(kind) == "usage") l.unit_price = "0.002";
  l.amount = amount;
  l.attributes = R"({"source":"sum"})";
  return l;
}

InvoiceRecord Draft(const char* id, const char* tenant, const char* month) {
  InvoiceRecord r;
  r.id = id;
  r.tenant = tenant;
  r.month = month;
  r.timezone = "Europe/Berlin";
  r.period = {100, 200};
  r.status = "draft";
  r.currency = "USD";
  r.issue_date = 300;
  r.due_date = 400;
  r.tenant_name = "Acme";
  r.subtotal = "10.00";
  r.tax_name = "VAT";
  r.tax_rate = "0.1";
  r.tax = "1.00";
  r.total = "11.00";
  r.attributes = R"({"seller":{"name":"S","address":""}})";
  r.created_at = 1;
  r.updated_at = 2;
  r.lines = {Line("base", "1", "9"), Line("usage", "3328.325063", "1")};
  return r;
}

TEST_CASE("invoice_store: an invoice and its lines read back as written") {
  testing::TempDb t;
  InvoiceStore s(*t.db);
  InvoiceRecord r = Draft("inv_a_2026-02", "a", "2026-02");
  REQUIRE(s.Insert(r).ok());
  auto found = s.Find("inv_a_2026-02");
  REQUIRE(found.ok());
  CHECK(*found == r);
  CHECK(s.Find("nope").status().IsNotFound());
  CHECK(s.Find("nope").status().message() == "no invoice with number or id 'nope'");
  // One live invoice per tenant and month.
  InvoiceRecord twin = Draft("inv_a_2026-02_x", "a", "2026-02");
  CHECK_FALSE(s.Insert(twin).ok());
}

TEST_CASE("invoice_store: Update replaces the lines; UpdateLifecycle leaves them and writes the attributes") {
  testing::TempDb t;
  InvoiceStore s(*t.db);
  InvoiceRecord r = Draft("inv_a_2026-02", "a", "2026-02");
  REQUIRE(s.Insert(r).ok());
  r.lines.pop_back();
  r.total = "9.90";
  REQUIRE(s.Update(r).ok());
  CHECK(*s.Find(r.id) == r);

  InvoiceRecord fin = r;
  fin.number = "INV-2026-000001";
  fin.status = "open";
  fin.finalized_at = 50;
  fin.events_seq = 7;
  fin.updated_at = 60;
  fin.total = "999.00";  // not a lifecycle field: not written
  fin.attributes = R"({"amount_due":"0.00"})";  // SPEC 11: changes after finalization
  fin.lines.clear();
  REQUIRE(s.UpdateLifecycle(fin).ok());
  auto got = s.Find("INV-2026-000001");
  REQUIRE(got.ok());
  CHECK(got->status == "open");
  CHECK(got->finalized_at == 50);
  CHECK(got->events_seq == 7);
  CHECK(got->attributes == fin.attributes);
  CHECK(got->total == "9.90");
  CHECK(got->lines == r.lines);
  fin.id = "nope";
  CHECK(s.UpdateLifecycle(fin).IsNotFound());
}

TEST_CASE("invoice_store: lists carry their lines, in order") {
  testing::TempDb t;
  InvoiceStore s(*t.db);
  REQUIRE(s.Insert(Draft("inv_b_2026-02", "b", "2026-02")).ok());
  REQUIRE(s.Insert(Draft("inv_a_2026-02", "a", "2026-02")).ok());
  InvoiceRecord jan = Draft("inv_a_2026-01", "a", "2026-01");
  jan.lines = {Line("usage", "1", "0.01"), Line("adjustment", "2", "0.02"), Line("base", "1", "5")};
  REQUIRE(s.Insert(jan).ok());
  auto all = s.List({});
  REQUIRE(all.ok());
  REQUIRE(all->size() == 3);
  CHECK((*all)[0].id == "inv_a_2026-01");
  CHECK((*all)[0].lines == jan.lines);
  CHECK((*all)[1].id == "inv_a_2026-02");
  CHECK((*all)[2].lines.size() == 2);
  auto feb_a = s.ForMonth("2026-02", "a");
  REQUIRE(feb_a.ok());
  REQUIRE(feb_a->size() == 1);
  CHECK((*feb_a)[0].lines.size() == 2);
  CHECK(s.List({"", "", "open"})->empty());
}

TEST_CASE("invoice_store: Delete takes the lines with the invoice") {
  testing::TempDb t;
  InvoiceStore s(*t.db);
  REQUIRE(s.Insert(Draft("inv_a_2026-02", "a", "2026-02")).ok());
  REQUIRE(s.Delete("inv_a_2026-02").ok());
  CHECK(s.Delete("inv_a_2026-02").IsNotFound());
  // A new invoice under the same id starts with no stale lines.
  InvoiceRecord again = Draft("inv_a_2026-02", "a", "2026-02");
  again.lines = {Line("base", "1", "9")};
  REQUIRE(s.Insert(again).ok());
  CHECK(s.Find("inv_a_2026-02")->lines.size() == 1);
}

}  // namespace
}  // namespace meter::store
