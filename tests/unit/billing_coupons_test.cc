// Coupons (SPEC 11): what each takes off, in order, and which apply to a
// month; applying and removing them on a real database.
#include "billing/coupons.h"

#include <doctest/doctest.h>

#include "billing/generate.h"
#include "billing/invoice.h"
#include "billing/invoice_record.h"
#include "billing/lifecycle.h"
#include "store/catalog_store.h"
#include "support/invoice_inputs.h"
#include "support/usage_events.h"

namespace meter::billing {
namespace {

using testing::At;

catalog::Coupon Percent(const char* code, const char* pct, catalog::CouponDuration d = catalog::CouponDuration::kForever) {
  catalog::Coupon c;
  c.code = code;
  c.percent_off = Dec(pct);
  c.duration = d;
  return c;
}

catalog::Coupon Amount(const char* code, const char* amount, catalog::CouponDuration d = catalog::CouponDuration::kOnce) {
  catalog::Coupon c;
  c.code = code;
  c.amount_off = Dec(amount);
  c.currency = "USD";
  c.duration = d;
  return c;
}

TEST_CASE("billing.coupons: line labels name the terms") {
  CHECK(CouponLabel(Percent("LAUNCH20", "20")) == "Coupon LAUNCH20 (20 %)");
  CHECK(CouponLabel(Percent("HALF", "12.5")) == "Coupon HALF (12.5 %)");
  CHECK(CouponLabel(Amount("WELCOME50", "50")) == "Coupon WELCOME50 (50.00 USD)");
}

TEST_CASE("billing.coupons: each applies to what the ones before it left, never below zero") {
  auto d = ComputeDiscounts({{1, Percent("P20", "20"), {}}, {2, Amount("A50", "50"), {}}}, Dec("100"), "USD");
  REQUIRE(d.ok());
  REQUIRE(d->size() == 2);
  CHECK((*d)[0].amount == Dec("20"));
  CHECK((*d)[1].amount == Dec("50"));
  // The other order: 50 off first, then 20 % of the 50 left.
  d = ComputeDiscounts({{1, Amount("A50", "50"), {}}, {2, Percent("P20", "20"), {}}}, Dec("100"), "USD");
  CHECK((*d)[1].amount == Dec("10"));
  // An amount larger than what is left takes only what is left; the next takes nothing and gets no line.
  d = ComputeDiscounts({{1, Amount("A50", "50"), {}}, {2, Percent("P20", "20"), {}}}, Dec("30"), "USD");
  REQUIRE(d->size() == 1);
  CHECK((*d)[0].amount == Dec("30"));
  // What is left of a once coupon is what it can take.
  d = ComputeDiscounts({{1, Amount("A50", "50"), Dec("12.5")}}, Dec("30"), "USD");
  CHECK((*d)[0].amount == Dec("12.5"));
  // Nothing to discount: no lines.
  CHECK(ComputeDiscounts({{1, Percent("P20", "20"), {}}}, Dec("0"), "USD")->empty());
  CHECK(ComputeDiscounts({{1, Amount("A50", "50"), {}}}, Dec("-5"), "USD")->empty());
  // A percentage share is rounded to the minor unit, half away from zero.
  d = ComputeDiscounts({{1, Percent("P", "12.5"), {}}}, Dec("0.99"), "USD");
  CHECK((*d)[0].amount == Dec("0.12"));
  d = ComputeDiscounts({{1, Percent("P", "10"), {}}}, Dec("0.05"), "USD");
  CHECK((*d)[0].amount == Dec("0.01"));
}

TEST_CASE("billing.coupons: an amount_off coupon meets only invoices in its own currency") {
  // A USD coupon on a EUR invoice (the tenant moved to a EUR plan) takes nothing and is
  // left for the USD invoices; a percentage meets every currency.
  CHECK(CouponMeets(Amount("A50", "50"), "USD"));
  CHECK_FALSE(CouponMeets(Amount("A50", "50"), "EUR"));
  CHECK(CouponMeets(Percent("P20", "20"), "EUR"));
  auto d = ComputeDiscounts({{1, Amount("A50", "50"), {}}, {2, Percent("P20", "20"), {}}}, Dec("100"), "EUR");
  REQUIRE(d.ok());
  REQUIRE(d->size() == 1);
  CHECK((*d)[0].code == "P20");
  CHECK((*d)[0].amount == Dec("20"));
}

TEST_CASE("billing.coupons: SPEC 11 order on an invoice: tax on the discounted subtotal") {
  catalog::Catalog c;
  c.currency = "USD";
  c.tax = {"VAT", Dec("0.10")};
  c.meters.push_back({"api_calls", "api_calls", "", "api_calls", {}, catalog::Aggregation::kSum, "quantity"});
  catalog::Plan p;
  p.key = "pro";
  p.name = "Pro";
  p.base_price = Dec("99.00");
  c.plans = {p};
  InvoiceInputs in;
  in.catalog = &c;
  in.tenant.id = "acme";
  in.period = *MonthPeriod("2026-02");
  testing::AddSegment(in, p, in.period.period, in.period.days);
  in.coupons = {{1, Percent("LAUNCH20", "20", catalog::CouponDuration::kRepeating), {}},
                {2, Amount("WELCOME50", "50"), {}}, {3, Amount("ZERO", "5"), {}}};
  in.coupons[2].amount_left = Dec("0.00001");  // takes 0.00001: still a line (exact, not rounded)
  auto inv = BuildInvoice(in);
  REQUIRE(inv.ok());
  REQUIRE(inv->lines.size() == 4);
  CHECK(inv->lines[1].kind == LineKind::kCoupon);
  CHECK(inv->lines[1].description == "Coupon LAUNCH20 (20 %)");
  CHECK(inv->lines[1].amount == Dec("-19.80"));
  CHECK(inv->lines[2].description == "Coupon WELCOME50 (50.00 USD)");
  CHECK(inv->lines[2].amount == Dec("-50"));
  CHECK(inv->subtotal == Dec("99"));
  CHECK(inv->discounted_subtotal == Dec("29.19999"));
  CHECK(inv->tax == Dec("2.92"));
  CHECK(inv->amount_due == inv->total);
  CHECK(inv->coupons_met == std::vector<int64_t>{1, 2, 3});
  nlohmann::json j = InvoiceToJson(*inv);
  CHECK(j["discounts"][0]["code"] == "LAUNCH20");
  CHECK(j["discounts"][0]["amount"] == "19.80");
  CHECK(j["discounted_subtotal"] == "29.20");
  CHECK(j["credits_applied"] == "0.00");
  CHECK(j["credit_notes"].empty());
  CHECK(j["lines"][1]["kind"] == "coupon");
  auto back = InvoiceFromRecord(InvoiceToRecord(*inv, 0, 0));
  REQUIRE(back.ok());
  CHECK(back->discounts.size() == 3);
  CHECK(back->discounts[0].description == "Coupon LAUNCH20 (20 %)");
  CHECK(back->lines[1].kind == LineKind::kCoupon);
  CHECK(back->lines[1].coupon == "LAUNCH20");
}

constexpr const char* kCatalog = R"({
  "currency": "USD", "tax": {"rate": "0.10"},
  "meters": [{"key": "api_calls"}],
  "plans": [{"key": "basic", "base_price": "40", "charges": [{"meter": "api_calls", "unit_price": "0.01"}]}],
  "tenants": [{"id": "acme", "plan": "basic"}, {"id": "globex", "plan": "basic"}],
  "coupons": [{"code": "WELCOME50", "amount_off": "50.00", "duration": "once"},
              {"code": "LAUNCH20", "percent_off": "20", "duration": "repeating", "months": 2},
              {"code": "ONEOFF", "percent_off": "10", "duration": "once", "max_redemptions": 1},
              {"code": "OLD", "percent_off": "10", "redeem_by": "2026-01-31"},
              {"code": "EURO", "amount_off": "5", "currency": "EUR"}]})";

struct Fixture : testing::UsageDb {
  Fixture() : UsageDb(kCatalog, At("2026-01-01T00:00:00Z"), At("2026-03-01T00:00:00Z")) {}
  Status Apply(const char* tenant, const char* code, const char* from = "2026-02-10T00:00:00Z") {
    const catalog::Tenant& t = c.tenants[std::string(tenant) == "acme" ? 0 : 1];
    return ApplyCoupon(db, c, t, code, At(from), At("2026-02-10T00:00:00Z")).status();
  }
  Invoice Generate(const char* month, bool finalize) {
    auto r = GenerateInvoices(db, c,
        {.month = month, .tenant = "acme", .finalize = finalize, .now = At("2026-06-02T00:00:00Z")});
    REQUIRE(r.ok());
    return r->invoices.front();
  }
};

TEST_CASE("billing.coupons: refusals say why") {
  Fixture f;
  CHECK(f.Apply("acme", "NOPE").message().find("unknown coupon 'NOPE'") != std::string::npos);
  CHECK(f.Apply("acme", "OLD").message().find("expired") != std::string::npos);
  CHECK(f.Apply("acme", "EURO").message().find("is in EUR but tenant acme is billed in USD") != std::string::npos);
  CHECK(f.Apply("acme", "ONEOFF").ok());
  Status again = f.Apply("acme", "ONEOFF");
  CHECK(again.IsDenied());
  CHECK(again.message().find("already has coupon ONEOFF") != std::string::npos);
  Status exhausted = f.Apply("globex", "ONEOFF");
  CHECK(exhausted.IsDenied());
  CHECK(exhausted.message().find("exhausted") != std::string::npos);
  CHECK(RemoveCoupon(f.db, "acme", "ONEOFF", At("2026-02-11T00:00:00Z")).ok());
  CHECK(RemoveCoupon(f.db, "acme", "ONEOFF", At("2026-02-11T00:00:00Z")).IsNotFound());
}

TEST_CASE("billing.coupons: once carries its unused amount; repeating stops after its months") {
  Fixture f;
  REQUIRE(f.Apply("acme", "WELCOME50").ok());
  REQUIRE(f.Apply("acme", "LAUNCH20", "2026-02-20T00:00:00Z").ok());
  CHECK(f.Generate("2026-01", false).discounts.empty());  // before the coupons' first period
  Invoice feb = f.Generate("2026-02", true);             // 40 - 40 (WELCOME50) ; LAUNCH20 meets 0
  REQUIRE(feb.discounts.size() == 1);
  CHECK(feb.discounts[0].amount == Dec("40"));
  CHECK(feb.total == Dec("0"));
  CHECK(feb.status == "paid");  // nothing due at finalization
  Invoice mar = f.Generate("2026-03", true);  // 10 left of WELCOME50, then 20 % of 30
  REQUIRE(mar.discounts.size() == 2);
  CHECK(mar.discounts[0].code == "WELCOME50");
  CHECK(mar.discounts[0].amount == Dec("10"));
  CHECK(mar.discounts[1].amount == Dec("6"));
  CHECK(mar.discounted_subtotal == Dec("24"));
  CHECK(mar.tax == Dec("2.4"));
  Invoice apr = f.Generate("2026-04", false);  // LAUNCH20's 2 months were Feb and Mar
  CHECK(apr.discounts.empty());
  CHECK(apr.total == Dec("44"));
}

TEST_CASE("billing.coupons: removing stops it from the next draft; voiding gives a once coupon back") {
  Fixture f;
  REQUIRE(f.Apply("acme", "ONEOFF").ok());
  Invoice feb = f.Generate("2026-02", true);
  REQUIRE(feb.discounts.size() == 1);
  CHECK(feb.discounts[0].amount == Dec("4"));
  CHECK(feb.status == "open");
  CHECK(f.Generate("2026-03", false).discounts.empty());  // used by February
  REQUIRE(VoidInvoice(f.db, feb.number, "wrong", At("2026-03-02T00:00:00Z")).ok());
  Invoice reissued = f.Generate("2026-02", false);
  CHECK(reissued.id == "inv_acme_2026-02_2");
  CHECK(reissued.discounts.size() == 1);  // the voided invoice gave it back
  CHECK(RemoveCoupon(f.db, "acme", "ONEOFF", At("2026-03-05T00:00:00Z")).ok());
  CHECK(f.Generate("2026-02", false).discounts.empty());
}

}  // namespace
}  // namespace meter::billing
