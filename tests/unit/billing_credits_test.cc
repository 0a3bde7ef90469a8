// Prepaid credits (SPEC 11): grants, draw order, expiry, voids, the ledger
// and its check, the low-balance message, on a real database.
#include "billing/credits.h"

#include <doctest/doctest.h>

#include "store/catalog_store.h"
#include "store/webhook_store.h"
#include "support/usage_events.h"

namespace meter::billing {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "currency": "USD", "credits": {"low_balance": "10"},
  "meters": [{"key": "api_calls"}],
  "plans": [{"key": "basic", "base_price": "40"}],
  "webhooks": [{"url": "http://127.0.0.1:9/hooks", "secret": "whsec_dGVzdA=="}],
  "tenants": [{"id": "acme", "plan": "basic", "timezone": "America/New_York"}, {"id": "globex", "plan": "basic"}]})";

// A grant request in the tenant's currency, fields in declaration order.
GrantRequest Request(std::string tenant, Decimal amount, std::string expires, int64_t priority, std::string reason,
                     std::string id) {
  GrantRequest r;
  r.tenant = std::move(tenant);
  r.amount = amount;
  r.expires = std::move(expires);
  r.priority = priority;
  r.reason = std::move(reason);
  r.id = std::move(id);
  return r;
}

struct Fixture : testing::UsageDb {
  Fixture() : UsageDb(kCatalog, At("2026-01-01T00:00:00Z")) {}
  store::CreditGrantRecord Grant(const char* id, const char* amount, const char* expires = "", int64_t priority = 0,
                                 const char* at = "2026-01-05T00:00:00Z", const char* tenant = "acme") {
    auto g = GrantCredit(db, c, Request(tenant, Dec(amount), expires, priority, "test", id), At(at));
    REQUIRE(g.ok());
    return *g;
  }
  Decimal Draw(const char* amount, const char* at, const char* invoice = "inv_1") {
    Decimal drawn;
    REQUIRE(db.Transaction([&]() -> Status {
      METER_ASSIGN_OR_RETURN(drawn, DrawCredits(db, c, "acme", "USD", Dec(amount), invoice, invoice, At(at)));
      return Status::OK();
    }).ok());
    return drawn;
  }
  Decimal Remaining(const char* id) { return (*store::CreditStore(db).FindGrant(id))->remaining; }
  int Messages(const char* type) {
    auto m = store::WebhookStore(db).ListDeliveries({});
    int n = 0;
    for (const auto& d : *m) n += d.type == type;
    return n;
  }
};

TEST_CASE("billing.credits: grants are idempotent by id and refuse bad input") {
  Fixture f;
  auto g = f.Grant("g1", "25.00", "2026-03-31");
  CHECK(g.currency == "USD");
  CHECK(g.remaining == Dec("25"));
  // Through the end of March 31 in New York: 04:00 UTC on April 1 (EDT).
  CHECK(*g.expires_at == At("2026-04-01T04:00:00Z"));
  auto again = GrantCredit(f.db, f.c, Request("acme", Dec("25"), "", 0, "again", "g1"), At("2026-01-06T00:00:00Z"));
  REQUIRE(again.ok());
  CHECK(again->created_at == At("2026-01-05T00:00:00Z"));
  CHECK(GrantCredit(f.db, f.c, Request("acme", Dec("30"), "", 0, "", "g1"), 0).status().IsDenied());
  CHECK(GrantCredit(f.db, f.c, Request("nobody", Dec("1"), "", 0, "", ""), 0).status().IsNotFound());
  CHECK(GrantCredit(f.db, f.c, Request("acme", Dec("0"), "", 0, "", ""), 0).status().IsInvalidArgument());
  CHECK(GrantCredit(f.db, f.c, Request("acme", Dec("1.001"), "", 0, "", ""), 0).status().IsInvalidArgument());
  CHECK(GrantCredit(f.db, f.c, Request("acme", Dec("1"), "2026-02-30", 0, "", ""), 0).status().IsInvalidArgument());
  CHECK(store::CreditStore(f.db).Ledger("acme")->size() == 1);
}

TEST_CASE("billing.credits: draw order is earliest expiry (none last), then priority, then oldest") {
  Fixture f;
  f.Grant("never", "10");
  f.Grant("late", "10", "2026-12-31");
  f.Grant("early_low", "10", "2026-06-30", 0, "2026-01-01T00:00:00Z");
  f.Grant("early_high", "10", "2026-06-30", 5, "2026-01-03T00:00:00Z");
  f.Grant("early_low_newer", "10", "2026-06-30", 0, "2026-01-04T00:00:00Z");
  CHECK(f.Draw("15", "2026-02-01T00:00:00Z") == Dec("15"));
  CHECK(f.Remaining("early_high") == Dec("0"));
  CHECK(f.Remaining("early_low") == Dec("5"));
  CHECK(f.Remaining("early_low_newer") == Dec("10"));
  CHECK(f.Draw("100", "2026-02-01T00:00:00Z", "inv_2") == Dec("35"));  // only what there is
  CHECK(f.Remaining("never") == Dec("0"));
  CHECK(*CreditBalance(f.db, "acme", "USD", At("2026-02-01T00:00:00Z")) == Dec("0"));
  CHECK(CheckLedgers(f.db)->empty());
}

TEST_CASE("billing.credits: expired and voided grants give nothing; expiry and void are ledger entries") {
  Fixture f;
  f.Grant("soon", "20", "2026-01-31");
  f.Grant("other", "5");
  CHECK(*CreditBalance(f.db, "acme", "USD", At("2026-01-31T12:00:00Z")) == Dec("25"));
  CHECK(*CreditBalance(f.db, "acme", "USD", At("2026-02-01T05:00:00Z")) == Dec("5"));  // past midnight in New York
  CHECK(f.Draw("8", "2026-02-01T06:00:00Z") == Dec("5"));
  auto expired = ExpireCredits(f.db, At("2026-02-01T06:00:00Z"));
  REQUIRE(expired.ok());
  REQUIRE(expired->size() == 1);
  CHECK(expired->front().remaining == Dec("20"));
  CHECK(ExpireCredits(f.db, At("2026-02-02T00:00:00Z"))->empty());  // idempotent
  CHECK(f.Messages("credits.expired") == 1);
  f.Grant("v", "7");
  auto voided = VoidGrant(f.db, "v", "mistake", At("2026-02-03T00:00:00Z"));
  REQUIRE(voided.ok());
  CHECK(VoidGrant(f.db, "v", "again", 0).status().IsDenied());
  CHECK(VoidGrant(f.db, "nope", "", 0).status().IsNotFound());
  CHECK(*CreditBalance(f.db, "acme", "USD", At("2026-02-03T00:00:00Z")) == Dec("0"));
  auto ledger = *store::CreditStore(f.db).Ledger("acme");
  std::vector<std::string> kinds;
  for (const auto& e : ledger) kinds.push_back(e.kind);
  CHECK(kinds == std::vector<std::string>{"grant", "grant", "draw", "expiry", "grant", "void"});
  CHECK(CheckLedgers(f.db)->empty());
}

TEST_CASE("billing.credits: a voided invoice gives its draws back") {
  Fixture f;
  f.Grant("a", "10");
  f.Draw("6", "2026-02-01T00:00:00Z", "inv_x");
  REQUIRE(f.db.Transaction([&] { return ReturnDraws(f.db, "inv_x", "INV-1", At("2026-02-02T00:00:00Z")); }).ok());
  CHECK(f.Remaining("a") == Dec("10"));
  REQUIRE(f.db.Transaction([&] { return ReturnDraws(f.db, "inv_x", "INV-1", At("2026-02-02T00:00:00Z")); }).ok());
  CHECK(f.Remaining("a") == Dec("10"));  // given back once
  CHECK(CheckLedgers(f.db)->empty());
}

TEST_CASE("billing.credits: balance_low is queued once per crossing") {
  Fixture f;
  f.Grant("a", "30");
  f.Draw("15", "2026-02-01T00:00:00Z");  // 15 left: above 10
  CHECK(f.Messages("credits.balance_low") == 0);
  f.Draw("6", "2026-02-02T00:00:00Z");  // 9 left: crosses
  CHECK(f.Messages("credits.balance_low") == 1);
  f.Draw("1", "2026-02-03T00:00:00Z");  // still below: no second message
  CHECK(f.Messages("credits.balance_low") == 1);
  f.Grant("b", "20", "", 0, "2026-02-04T00:00:00Z");  // back above: re-armed
  f.Draw("25", "2026-02-05T00:00:00Z");
  CHECK(f.Messages("credits.balance_low") == 2);
}

TEST_CASE("billing.credits: CheckLedgers finds a grant whose remaining disagrees with its entries") {
  Fixture f;
  f.Grant("a", "10");
  REQUIRE(store::CreditStore(f.db).SetRemaining("a", Dec("12")).ok());
  auto problems = CheckLedgers(f.db);
  REQUIRE(problems.ok());
  REQUIRE(problems->size() >= 1);
  CHECK(problems->front().message.find("grant a: remaining 12") != std::string::npos);
}

}  // namespace
}  // namespace meter::billing
