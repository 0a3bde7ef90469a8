// Credit notes (SPEC 11): spreading an amount over the lines, whole lines,
// numbering, the cap at the invoice total and the effect on the invoice.
#include "billing/credit_notes.h"

#include <doctest/doctest.h>

#include "billing/check.h"
#include "billing/credits.h"
#include "billing/generate.h"
#include "billing/lifecycle.h"
#include "ingest/recorder.h"
#include "store/catalog_store.h"
#include "support/usage_events.h"

namespace meter::billing {
namespace {

using testing::At;

Invoice ThreeLines() {
  Invoice inv;
  inv.number = "INV-2026-000001";
  inv.currency = "USD";
  for (const char* a : {"10.00", "-5.00", "20.00", "0", "3.33"}) {
    InvoiceLine l;
    l.description = std::string("line ") + a;
    l.amount = Dec(a);
    inv.lines.push_back(l);
  }
  return inv;
}

TEST_CASE("billing.credit_notes: --amount spreads over the positive lines, the last takes the remainder") {
  auto lines = SpreadAmount(ThreeLines(), Dec("10"));
  REQUIRE(lines.ok());
  REQUIRE(lines->size() == 3);
  CHECK((*lines)[0].line == 1);
  CHECK((*lines)[0].amount == Dec("3.00"));   // 10 × 10 / 33.33 = 3.0003
  CHECK((*lines)[1].line == 3);
  CHECK((*lines)[1].amount == Dec("6.00"));   // 10 × 20 / 33.33 = 6.0006
  CHECK((*lines)[2].line == 5);
  CHECK((*lines)[2].amount == Dec("1.00"));   // the remainder
  Decimal sum;
  for (const auto& l : *lines) sum = sum + l.amount;
  CHECK(sum == Dec("10"));
  CHECK(SpreadAmount(ThreeLines(), Dec("0")).status().IsInvalidArgument());
  Invoice none;
  CHECK(SpreadAmount(none, Dec("1")).status().IsDenied());
}

TEST_CASE("billing.credit_notes: --line credits whole positive lines") {
  auto lines = CreditWholeLines(ThreeLines(), {3, 1});
  REQUIRE(lines.ok());
  CHECK((*lines)[0].amount == Dec("20"));
  CHECK((*lines)[1].amount == Dec("10"));
  CHECK(CreditWholeLines(ThreeLines(), {2}).status().IsInvalidArgument());  // negative
  CHECK(CreditWholeLines(ThreeLines(), {4}).status().IsInvalidArgument());  // zero
  CHECK(CreditWholeLines(ThreeLines(), {6}).status().IsInvalidArgument());  // no such line
  CHECK(CreditWholeLines(ThreeLines(), {1, 1}).status().IsInvalidArgument());
}

constexpr const char* kCatalog = R"({
  "currency": "USD", "tax": {"rate": "0.10"}, "invoice": {"credit_note_prefix": "CN-"},
  "meters": [{"key": "api_calls"}],
  "plans": [{"key": "basic", "base_price": "40", "charges": [{"meter": "api_calls", "unit_price": "0.01"}]}],
  "tenants": [{"id": "acme", "plan": "basic"}]})";

struct Fixture : testing::UsageDb {
  Fixture() : UsageDb(kCatalog, At("2026-01-01T00:00:00Z"), At("2026-03-01T00:00:00Z")) {}
  Invoice Finalized(const char* month) {
    auto r = GenerateInvoices(db, c,
        {.month = month, .tenant = "acme", .finalize = true, .now = At("2026-06-02T00:00:00Z")});
    REQUIRE(r.ok());
    return r->invoices.front();
  }
  Result<CreditNote> Credit(const std::string& inv, std::optional<Decimal> amount, std::vector<int> lines = {},
                            bool refund = false) {
    return IssueCreditNote(db, {inv, amount, lines, "wrong", refund}, At("2026-03-05T00:00:00Z"));
  }
};

TEST_CASE("billing.credit_notes: numbering, tax, amount due, paid, and the cap at the invoice total") {
  Fixture f;
  Invoice feb = f.Finalized("2026-02");  // 40 + 4 tax = 44 open
  CHECK(feb.total == Dec("44"));
  auto n1 = f.Credit(feb.number, Dec("10"));
  REQUIRE(n1.ok());
  CHECK(n1->number == "CN-2026-000001");
  CHECK(n1->tax == Dec("1"));
  CHECK(n1->total == Dec("11"));
  CHECK(n1->grant_id.empty());
  Invoice after = *GetInvoice(f.db, feb.number);
  CHECK(after.amount_due == Dec("33"));
  CHECK(after.status == "open");
  REQUIRE(after.credit_notes.size() == 1);
  CHECK(after.credit_notes[0].number == "CN-2026-000001");
  auto too_much = f.Credit(feb.number, Dec("31"));  // 11 + 34.10 > 44
  CHECK(too_much.status().IsDenied());
  CHECK(too_much.status().message().find("above its total") != std::string::npos);
  auto n2 = f.Credit(feb.number, Dec("30"));  // 33 due -> 0: paid
  REQUIRE(n2.ok());
  CHECK(n2->number == "CN-2026-000002");
  after = *GetInvoice(f.db, feb.number);
  CHECK(after.amount_due == Dec("0"));
  CHECK(after.status == "paid");
  CHECK(VoidInvoice(f.db, feb.number, "x", At("2026-03-06T00:00:00Z")).status().IsDenied());
  CHECK(CheckBilling(f.db)->problems.empty());
}

TEST_CASE("billing.credit_notes: on a paid invoice the total becomes a credit grant unless refunded") {
  Fixture f;
  Invoice feb = f.Finalized("2026-02");
  REQUIRE(MarkPaid(f.db, feb.number, At("2026-03-02T00:00:00Z"), At("2026-03-02T00:00:00Z")).ok());
  auto n = f.Credit(feb.number, std::nullopt, {1});
  REQUIRE(n.ok());
  CHECK(n->total == Dec("44"));
  REQUIRE(!n->grant_id.empty());
  CHECK(*CreditBalance(f.db, "acme", "USD", At("2026-03-05T00:00:00Z")) == Dec("44"));
  Invoice mar = f.Finalized("2026-03");  // 44 drawn from the credit: paid
  CHECK(mar.credits_applied == Dec("44"));
  CHECK(mar.amount_due == Dec("0"));
  CHECK(mar.status == "paid");
  Fixture g;
  Invoice feb2 = g.Finalized("2026-02");
  REQUIRE(MarkPaid(g.db, feb2.number, At("2026-03-02T00:00:00Z"), At("2026-03-02T00:00:00Z")).ok());
  auto refunded = g.Credit(feb2.number, Dec("5"), {}, true);
  REQUIRE(refunded.ok());
  CHECK(refunded->refunded);
  CHECK(refunded->grant_id.empty());
  CHECK(*CreditBalance(g.db, "acme", "USD", At("2026-03-05T00:00:00Z")) == Dec("0"));
  CHECK(CheckBilling(f.db)->problems.empty());
}

TEST_CASE("billing.credit_notes: drafts and void invoices are refused; requests need one of amount and lines") {
  Fixture f;
  auto r = GenerateInvoices(f.db, f.c, {.month = "2026-02", .tenant = "acme", .now = At("2026-03-02T00:00:00Z")});
  REQUIRE(r.ok());
  CHECK(f.Credit("inv_acme_2026-02", Dec("1")).status().IsDenied());
  CHECK(IssueCreditNote(f.db, {"inv_acme_2026-02", Dec("1"), {1}, "x", false}, 0).status().IsInvalidArgument());
  CHECK(IssueCreditNote(f.db, {"inv_acme_2026-02", std::nullopt, {}, "x", false}, 0).status().IsInvalidArgument());
  CHECK(IssueCreditNote(f.db, {"inv_acme_2026-02", Dec("1"), {}, "", false}, 0).status().IsInvalidArgument());
}

}  // namespace
}  // namespace meter::billing
