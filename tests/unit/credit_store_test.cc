// CreditStore (store/credit_store.h): grants read back exact, per-tenant
// ledger numbering, the draws of one invoice, expiry candidates, voiding and
// the low-balance flag; writes join the caller's transaction and go with it.
#include "store/credit_store.h"

#include <doctest/doctest.h>

#include "support/usage_events.h"

namespace meter::store {
namespace {

using testing::At;

using testing::kTwoTenantsCatalog;

CreditGrantRecord Grant(const char* id, const char* tenant, const char* amount, Timestamp created,
                        std::optional<Timestamp> expires = std::nullopt, int64_t priority = 0) {
  CreditGrantRecord g;
  g.id = id;
  g.tenant = tenant;
  g.currency = "USD";
  g.amount = Dec(amount);
  g.remaining = Dec(amount);
  g.priority = priority;
  g.expires_at = expires;
  g.reason = "prepaid";
  g.source = "manual";
  g.created_at = created;
  return g;
}

TEST_CASE("credit_store: grants read back exact, oldest first, per tenant") {
  testing::UsageDb f(kTwoTenantsCatalog);
  CreditStore s(f.db);
  REQUIRE(f.db.Transaction([&]() -> Status {
    METER_RETURN_IF_ERROR(s.InsertGrant(Grant("g2", "acme", "0.000001", 20, At("2026-03-01T00:00:00Z"), 5)));
    METER_RETURN_IF_ERROR(s.InsertGrant(Grant("g1", "acme", "12345678901234.56", 10)));
    return s.InsertGrant(Grant("g3", "beta", "7.25", 30));
  }).ok());
  auto acme = s.Grants("acme");
  REQUIRE(acme.ok());
  REQUIRE(acme->size() == 2);
  CHECK((*acme)[0].id == "g1");
  CHECK((*acme)[0].amount.ToString() == "12345678901234.56");
  CHECK(!(*acme)[0].expires_at);
  CHECK((*acme)[1].id == "g2");
  CHECK((*acme)[1].remaining.ToString() == "0.000001");
  CHECK((*acme)[1].priority == 5);
  CHECK((*acme)[1].expires_at == At("2026-03-01T00:00:00Z"));
  CHECK(s.Grants("")->size() == 3);
  CHECK(s.Grants("nobody")->empty());
  // An id is taken once, whoever asks.
  Status again = f.db.Transaction([&] { return s.InsertGrant(Grant("g1", "beta", "1", 40)); });
  CHECK(again.IsDenied());
  CHECK(s.FindGrant("g1")->value().tenant == "acme");
  CHECK(!s.FindGrant("g9")->has_value());
}

TEST_CASE("credit_store: the ledger numbers each tenant's entries 1, 2, 3") {
  testing::UsageDb f(kTwoTenantsCatalog);
  CreditStore s(f.db);
  auto append = [&](const char* tenant, const char* kind, const char* amount, const char* invoice = "") {
    int64_t seq = 0;
    REQUIRE(f.db.Transaction([&]() -> Status {
      METER_ASSIGN_OR_RETURN(seq, s.AppendLedger({tenant, 0, "g1", kind, Dec(amount), invoice, "", 100}));
      return Status::OK();
    }).ok());
    return seq;
  };
  CHECK(append("acme", "grant", "50") == 1);
  CHECK(append("beta", "grant", "5") == 1);
  CHECK(append("acme", "draw", "20.50", "inv_acme_2026-02") == 2);
  CHECK(append("acme", "draw", "-3.25", "inv_acme_2026-02") == 3);  // given back by a voided invoice
  CHECK(append("acme", "draw", "1", "inv_acme_2026-03") == 4);
  auto ledger = s.Ledger("acme");
  REQUIRE(ledger.ok());
  REQUIRE(ledger->size() == 4);
  CHECK((*ledger)[2].amount.ToString() == "-3.25");
  CHECK((*ledger)[3].seq == 4);
  auto all = s.Ledger("");
  REQUIRE(all->size() == 5);
  CHECK((*all)[4].tenant == "beta");  // by tenant, then seq
  auto draws = s.DrawsForInvoice("inv_acme_2026-02");
  REQUIRE(draws->size() == 2);
  CHECK((*draws)[0].amount.ToString() == "20.5");
  CHECK((*draws)[1].seq == 3);
}

TEST_CASE("credit_store: expiry candidates, voiding, and a rolled-back write leaves nothing") {
  testing::UsageDb f(kTwoTenantsCatalog);
  CreditStore s(f.db);
  Timestamp march = At("2026-03-01T00:00:00Z");
  REQUIRE(f.db.Transaction([&]() -> Status {
    METER_RETURN_IF_ERROR(s.InsertGrant(Grant("old", "acme", "10", 1, march)));
    METER_RETURN_IF_ERROR(s.InsertGrant(Grant("spent", "acme", "10", 2, march)));
    METER_RETURN_IF_ERROR(s.InsertGrant(Grant("later", "acme", "10", 3, march + 1)));
    METER_RETURN_IF_ERROR(s.InsertGrant(Grant("voided", "beta", "10", 4, march)));
    METER_RETURN_IF_ERROR(s.SetRemaining("spent", Dec("0")));
    return s.MarkVoided("voided", 50, "entered twice");
  }).ok());
  auto expired = s.ExpiredWithRemaining(march);  // expires_at <= now: no longer usable
  REQUIRE(expired.ok());
  REQUIRE(expired->size() == 1);
  CHECK((*expired)[0].id == "old");
  CHECK(s.ExpiredWithRemaining(march - 1)->empty());
  auto v = s.FindGrant("voided")->value();
  CHECK(v.voided_at == 50);
  CHECK(v.void_reason == "entered twice");

  Status failed = f.db.Transaction([&]() -> Status {
    METER_RETURN_IF_ERROR(s.SetRemaining("old", Dec("4")));
    METER_RETURN_IF_ERROR(s.AppendLedger({"acme", 0, "old", "draw", Dec("6"), "inv_x", "", 60}).status());
    return Status::DataError("the finalization failed after the draw");
  });
  CHECK(failed.IsDataError());
  CHECK(s.FindGrant("old")->value().remaining.ToString() == "10");
  CHECK(s.Ledger("acme")->empty());
}

TEST_CASE("credit_store: the low-balance flag per tenant") {
  testing::UsageDb f(kTwoTenantsCatalog);
  CreditStore s(f.db);
  CHECK(s.LowNotified("acme").value() == false);
  REQUIRE(f.db.Transaction([&] { return s.SetLowNotified("acme", true); }).ok());
  CHECK(s.LowNotified("acme").value() == true);
  CHECK(s.LowNotified("beta").value() == false);
  REQUIRE(f.db.Transaction([&] { return s.SetLowNotified("acme", false); }).ok());
  CHECK(s.LowNotified("acme").value() == false);
}

}  // namespace
}  // namespace meter::store
