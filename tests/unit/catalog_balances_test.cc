// The balances block of the catalog (SPEC 11): coupons, credits.low_balance,
// invoice.credit_note_prefix.
#include <doctest/doctest.h>

#include <string>

#include "catalog/catalog.h"

namespace meter::catalog {
namespace {

std::string Doc(const std::string& coupons, const std::string& extra = "") {
  return R"({"currency": "USD", "meters": [], "plans": [], "coupons": )" + coupons + extra + "}";
}

TEST_CASE("catalog.balances: the SPEC coupons, defaults and settings") {
  auto c = ParseCatalog(Doc(R"([{"code": "LAUNCH20", "percent_off": "20", "duration": "repeating", "months": 3},
    {"code": "WELCOME50", "amount_off": "50.00", "currency": "USD", "duration": "once"},
    {"code": "ALWAYS", "percent_off": 5, "duration": "forever", "max_redemptions": 10, "redeem_by": "2026-06-30"}])",
                            R"(, "credits": {"low_balance": "10"}, "invoice": {"credit_note_prefix": "CRN-"})"));
  REQUIRE(c.ok());
  REQUIRE(c->coupons.size() == 3);
  const Coupon* launch = c->FindCoupon("LAUNCH20");
  REQUIRE(launch);
  CHECK(*launch->percent_off == Dec("20"));
  CHECK(launch->duration == CouponDuration::kRepeating);
  CHECK(launch->months == 3);
  CHECK(!launch->amount_off);
  const Coupon* welcome = c->FindCoupon("WELCOME50");
  CHECK(*welcome->amount_off == Dec("50"));
  CHECK(welcome->currency == "USD");
  CHECK(welcome->duration == CouponDuration::kOnce);
  CHECK(*c->FindCoupon("ALWAYS")->max_redemptions == 10);
  CHECK(c->FindCoupon("ALWAYS")->redeem_by == "2026-06-30");
  CHECK(*c->credits.low_balance == Dec("10"));
  CHECK(c->invoice.credit_note_prefix == "CRN-");
  CHECK(c->invoice.number_prefix == "INV-");
  CHECK(!c->FindCoupon("NOPE"));
}

TEST_CASE("catalog.balances: written back, the catalog parses to the same coupons") {
  auto c = ParseCatalog(Doc(R"([{"code": "A", "amount_off": "5", "duration": "forever"},
                                {"code": "B", "percent_off": "12.5", "duration": "repeating", "months": 2}])",
                            R"(, "credits": {"low_balance": "2.50"})"));
  REQUIRE(c.ok());
  CHECK(c->invoice.credit_note_prefix == "CN-");
  auto again = ParseCatalog(ToJson(*c).dump());
  REQUIRE(again.ok());
  REQUIRE(again->coupons.size() == 2);
  CHECK(again->coupons[0].currency == "USD");  // the catalog's currency by default
  CHECK(*again->coupons[1].percent_off == Dec("12.5"));
  CHECK(again->coupons[1].months == 2);
  CHECK(*again->credits.low_balance == Dec("2.5"));
  CHECK(again->invoice.credit_note_prefix == "CN-");
}

TEST_CASE("catalog.balances: bad coupons are refused naming the path") {
  struct Case {
    const char* coupons;
    const char* message;
  };
  const Case cases[] = {
      {R"([{"percent_off": "10"}])", "coupons[0].code: is required"},
      {R"([{"code": "X"}])", "coupons[0]: a coupon has exactly one of percent_off and amount_off"},
      {R"([{"code": "X", "percent_off": "10", "amount_off": "1"}])", "exactly one"},
      {R"([{"code": "X", "percent_off": "101"}])", "coupons[0].percent_off: at most 100"},
      {R"([{"code": "X", "percent_off": "0"}])", "coupons[0].percent_off: must be greater than zero"},
      {R"([{"code": "X", "amount_off": "-5"}])", "coupons[0].amount_off: must be greater than zero"},
      {R"([{"code": "X", "percent_off": "5", "duration": "repeating"}])", "coupons[0].months"},
      {R"([{"code": "X", "percent_off": "5", "duration": "once", "months": 2}])", "only a repeating coupon"},
      {R"([{"code": "X", "percent_off": "5", "duration": "weekly"}])", "not once, repeating or forever"},
      {R"([{"code": "X", "percent_off": "5", "currency": "USD"}])", "only an amount_off coupon has a currency"},
      {R"([{"code": "X", "percent_off": "5", "redeem_by": "2026-02-30"}])", "coupons[0].redeem_by"},
      {R"([{"code": "X", "percent_off": "5", "max_redemptions": 1.5}])", "coupons[0].max_redemptions"},
      {R"([{"code": "X", "percent_off": "5"}, {"code": "X", "amount_off": "1"}])", "coupons[1].code: duplicate"},
      {R"({"code": "X"})", "coupons: expected an array"},
  };
  for (const auto& k : cases) {
    CAPTURE(k.coupons);
    auto c = ParseCatalog(Doc(k.coupons));
    REQUIRE(!c.ok());
    CHECK(c.status().IsDataError());
    CHECK(c.status().message().find(k.message) != std::string::npos);
  }
  auto low = ParseCatalog(Doc("[]", R"(, "credits": {"low_balance": "-1"})"));
  CHECK(!low.ok());
}

}  // namespace
}  // namespace meter::catalog
