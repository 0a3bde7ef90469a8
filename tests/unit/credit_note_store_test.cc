// CreditNoteStore (store/credit_note_store.h): notes stored and read back
// field for field, by invoice and tenant in number order, and the number
// sequence per prefix and year, given back by a rollback.
#include <doctest/doctest.h>

#include "billing/generate.h"
#include "store/credit_note_store.h"
#include "support/usage_events.h"

namespace meter::store {
namespace {

using testing::At;

using testing::kTwoTenantsCatalog;

CreditNoteRecord Note(const char* number, const char* invoice, const char* tenant) {
  return {number, invoice, tenant, "USD", Dec("2"), Dec("0.2"), Dec("2.2"), "goodwill", true, "",
          R"([{"line":1,"amount":"2"}])", 42};
}

TEST_CASE("credit_note_store: notes read back, by invoice and tenant, numbers per prefix and year") {
  testing::UsageDb f(kTwoTenantsCatalog, At("2026-01-01T00:00:00Z"));
  REQUIRE(billing::GenerateInvoices(f.db, f.c, {.month = "2026-02", .tenant = "", .finalize = true,
                                                .now = At("2026-03-02T00:00:00Z")}).ok());
  CreditNoteStore s(f.db);
  auto take = [&](const char* prefix, int year) {
    int64_t n = 0;
    REQUIRE(f.db.Transaction([&]() -> Status {
      METER_ASSIGN_OR_RETURN(n, s.TakeNumber(prefix, year));
      return Status::OK();
    }).ok());
    return n;
  };
  CHECK(take("CN-", 2026) == 1);
  CHECK(take("CN-", 2026) == 2);
  CHECK(take("CN-", 2027) == 1);  // each year counts from 1
  CHECK(take("CR-", 2026) == 1);  // and each prefix
  // A rollback gives the number back.
  CHECK(!f.db.Transaction([&]() -> Status {
    METER_RETURN_IF_ERROR(s.TakeNumber("CN-", 2026).status());
    return Status::DataError("changed my mind");
  }).ok());
  CHECK(take("CN-", 2026) == 3);

  REQUIRE(f.db.Transaction([&]() -> Status {
    METER_RETURN_IF_ERROR(s.Insert(Note("CN-2026-000002", "inv_acme_2026-02", "acme")));
    METER_RETURN_IF_ERROR(s.Insert(Note("CN-2026-000001", "inv_acme_2026-02", "acme")));
    return s.Insert(Note("CN-2026-000003", "inv_beta_2026-02", "beta"));
  }).ok());
  auto one = s.Find("CN-2026-000001");
  REQUIRE(one.ok());
  CHECK(one->invoice_id == "inv_acme_2026-02");
  CHECK(one->tenant == "acme");
  CHECK(one->currency == "USD");
  CHECK(one->amount == Dec("2"));
  CHECK(one->tax == Dec("0.2"));
  CHECK(one->total == Dec("2.2"));
  CHECK(one->reason == "goodwill");
  CHECK(one->refunded);
  CHECK(one->grant_id.empty());
  CHECK(one->lines == R"([{"line":1,"amount":"2"}])");
  CHECK(one->created_at == 42);
  auto missing = s.Find("CN-2026-000009");
  CHECK(missing.status().IsNotFound());
  CHECK(missing.status().message().find("CN-2026-000009") != std::string::npos);
  auto acme = s.ForInvoice("inv_acme_2026-02");
  REQUIRE(acme->size() == 2);
  CHECK((*acme)[0].number == "CN-2026-000001");
  CHECK(s.List("beta")->size() == 1);
  auto all = s.List("");
  REQUIRE(all->size() == 3);
  CHECK((*all)[2].number == "CN-2026-000003");
}

}  // namespace
}  // namespace meter::store
