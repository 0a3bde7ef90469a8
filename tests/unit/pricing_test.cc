#include "billing/pricing.h"

#include <string>

#include <doctest/doctest.h>

namespace meter::billing {
namespace {

using catalog::Charge;
using catalog::ChargeModel;
using catalog::Tier;

Charge PerUnit(const char* price, const char* included = "0") {
  Charge c;
  c.meter = "api_calls";
  c.model = ChargeModel::kPerUnit;
  c.unit_price = Dec(price);
  c.included = Dec(included);
  return c;
}

Charge Package(const char* size, const char* price, const char* included) {
  Charge c;
  c.meter = "llm_tokens";
  c.model = ChargeModel::kPackage;
  c.package_size = Dec(size);
  c.package_price = Dec(price);
  c.included = Dec(included);
  return c;
}

// Tiers 1-100 at 0.10, 101-500 at 0.08 (+5 flat), over 500 at 0.05 (+10 flat).
Charge Tiered(ChargeModel model, const char* included = "0") {
  Charge c;
  c.meter = "storage_gb";
  c.model = model;
  c.included = Dec(included);
  c.tiers = {Tier{Dec("100"), Dec("0.10"), Dec("0")}, Tier{Dec("500"), Dec("0.08"), Dec("5")},
             Tier{std::nullopt, Dec("0.05"), Dec("10")}};
  return c;
}

std::string Amount(const Charge& c, const char* quantity, bool overage = true, const char* currency = "USD") {
  auto p = PriceCharge(c, Dec(quantity), overage, currency);
  REQUIRE(p.ok());
  return p->amount.ToString(currency == std::string("JPY") ? 0 : 2);
}

TEST_CASE("pricing: the SPEC worked example lines") {
  CHECK(Amount(PerUnit("0.002"), "5000") == "10.00");
  CHECK(Amount(PerUnit("0.05"), "200") == "10.00");
  CHECK(Amount(PerUnit("0.001"), "1000") == "1.00");
  CHECK(Amount(PerUnit("0.003"), "500") == "1.50");
}

TEST_CASE("pricing: per_unit bills units beyond included") {
  auto p = PriceCharge(PerUnit("0.02", "1000"), Dec("1250"), true);
  REQUIRE(p.ok());
  CHECK(p->billable == Dec("250"));
  CHECK(p->amount.ToString(2) == "5.00");
  CHECK(Amount(PerUnit("0.02", "1000"), "1000") == "0.00");
  CHECK(Amount(PerUnit("0.02", "1000"), "999.5") == "0.00");
  CHECK(Amount(PerUnit("0.02", "1000"), "1000.5") == "0.01");
}

TEST_CASE("pricing: package rounds billable units up to whole packages") {
  auto p = PriceCharge(Package("1000", "0.01", "1000000"), Dec("1250500"), true);
  REQUIRE(p.ok());
  CHECK(p->billable == Dec("250500"));
  CHECK(p->packages == Dec("251"));
  CHECK(p->amount.ToString(2) == "2.51");
  CHECK(Amount(Package("1000", "0.01", "1000000"), "1404123") == "4.05");
  CHECK(Amount(Package("1000", "0.01", "1000000"), "1001000") == "0.01");
  CHECK(Amount(Package("1000", "0.01", "1000000"), "1001001") == "0.02");
  CHECK(Amount(Package("1000", "0.01", "1000000"), "1000000") == "0.00");
}

TEST_CASE("pricing: graduated and volume on the same tiers, hand-computed") {
  struct Case {
    const char* quantity;
    const char* graduated;
    const char* volume;
  };
  const Case cases[] = {
      {"0", "0.00", "0.00"},        // nothing used: no tier reached, no flat fee
      {"1", "0.10", "0.10"},
      {"100", "10.00", "10.00"},    // exactly on the first bound: all in tier 1
      {"101", "15.08", "13.08"},    // graduated 10 + 0.08 + 5; volume 101 x 0.08 + 5
      {"500", "47.00", "45.00"},    // graduated 10 + 32 + 5; volume 500 x 0.08 + 5
      {"501", "57.05", "35.05"},    // graduated 47 + 0.05 + 10; volume 501 x 0.05 + 10
      {"1000", "82.00", "60.00"},   // graduated 47 + 25 + 10; volume 50 + 10
      {"100.5", "15.04", "13.04"},  // fractional units: 10 + 0.5 x 0.08 + 5; 100.5 x 0.08 + 5
  };
  for (const Case& c : cases) {
    CAPTURE(c.quantity);
    CHECK(Amount(Tiered(ChargeModel::kGraduated), c.quantity) == c.graduated);
    CHECK(Amount(Tiered(ChargeModel::kVolume), c.quantity) == c.volume);
  }
}

TEST_CASE("pricing: graduated tier breakdown") {
  auto p = PriceCharge(Tiered(ChargeModel::kGraduated), Dec("501"), true);
  REQUIRE(p.ok());
  REQUIRE(p->tiers.size() == 3);
  CHECK(p->tiers[0].quantity == Dec("100"));
  CHECK(p->tiers[0].amount == Dec("10"));
  CHECK(p->tiers[1].from == Dec("100"));
  CHECK(p->tiers[1].quantity == Dec("400"));
  CHECK(p->tiers[1].amount == Dec("37"));
  CHECK(p->tiers[2].quantity == Dec("1"));
  CHECK(p->tiers[2].applied);
  CHECK_FALSE(p->tiers[2].up_to.has_value());
  auto v = PriceCharge(Tiered(ChargeModel::kVolume), Dec("100"), true);
  REQUIRE(v.ok());
  CHECK(v->tiers[0].applied);
  CHECK_FALSE(v->tiers[1].applied);
  CHECK(v->tiers[1].quantity.IsZero());
}

TEST_CASE("pricing: included units come off before the tiers") {
  // 150 used, 50 included: 100 billable, all in the first tier.
  CHECK(Amount(Tiered(ChargeModel::kGraduated, "50"), "150") == "10.00");
  CHECK(Amount(Tiered(ChargeModel::kVolume, "50"), "151") == "13.08");
  CHECK(Amount(Tiered(ChargeModel::kGraduated, "50"), "40") == "0.00");
}

TEST_CASE("pricing: the sample catalog's standard plan (cyberdyne)") {
  Charge storage;
  storage.meter = "storage_gb";
  storage.model = ChargeModel::kGraduated;
  storage.tiers = {Tier{Dec("100"), Dec("0"), Dec("0")}, Tier{std::nullopt, Dec("0.50"), Dec("0")}};
  CHECK(Amount(storage, "131.5") == "15.75");
  CHECK(Amount(storage, "100") == "0.00");
  Charge users;
  users.meter = "active_users";
  users.model = ChargeModel::kVolume;
  users.tiers = {Tier{Dec("25"), Dec("0"), Dec("0")}, Tier{std::nullopt, Dec("5.00"), Dec("0")}};
  CHECK(Amount(users, "40") == "200.00");
  CHECK(Amount(users, "25") == "0.00");
  CHECK(Amount(users, "26") == "130.00");
}

TEST_CASE("pricing: without overage nothing beyond included is billed") {
  auto p = PriceCharge(PerUnit("0.02", "1000"), Dec("5000"), false);
  REQUIRE(p.ok());
  CHECK(p->billable.IsZero());
  CHECK(p->amount.IsZero());
  CHECK(Amount(Tiered(ChargeModel::kGraduated), "1000", false) == "0.00");
  CHECK(Amount(Package("1000", "0.01", "0"), "5000", false) == "0.00");
}

TEST_CASE("pricing: each line is rounded once, half away from zero") {
  CHECK(Amount(PerUnit("0.005"), "1") == "0.01");
  CHECK(Amount(PerUnit("0.0049999"), "1") == "0.00");
  CHECK(Amount(PerUnit("0.000001"), "1000000") == "1.00");
  CHECK(Amount(PerUnit("0.333333333"), "3") == "1.00");
  CHECK(Amount(PerUnit("0.00001"), "150") == "0.00");
  CHECK(Amount(PerUnit("0.00001"), "500") == "0.01");
  // Two tiers worth 0.005 each: the exact sum 0.01 is rounded, not each tier.
  Charge c;
  c.model = ChargeModel::kGraduated;
  c.tiers = {Tier{Dec("1"), Dec("0.005"), Dec("0")}, Tier{std::nullopt, Dec("0.005"), Dec("0")}};
  auto p = PriceCharge(c, Dec("2"), true);
  REQUIRE(p.ok());
  CHECK(p->exact_amount == Dec("0.01"));
  CHECK(p->amount.ToString(2) == "0.01");
  c.tiers = {Tier{Dec("1"), Dec("0.004"), Dec("0")}, Tier{std::nullopt, Dec("0.004"), Dec("0")}};
  CHECK(Amount(c, "2") == "0.01");  // 0.008 -> 0.01; per-tier rounding would give 0.00
}

TEST_CASE("pricing: the currency's minor unit") {
  CHECK(Amount(PerUnit("0.5"), "3", true, "JPY") == "2");
  auto p = PriceCharge(PerUnit("0.0005"), Dec("1"), true, "KWD");
  REQUIRE(p.ok());
  CHECK(p->amount == Dec("0.001"));
}

TEST_CASE("pricing: overflow is refused, never wrapped") {
  auto p = PriceCharge(PerUnit("1000000000"), Dec("1000000000000"), true);
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().message().find("amount out of range") != std::string::npos);
  CHECK(p.status().message().find("api_calls") != std::string::npos);
  auto g = PriceCharge(Package("1", "10000000000", "0"), Dec("100000000000"), true);
  REQUIRE_FALSE(g.ok());
  CHECK(g.status().message().find("amount out of range") != std::string::npos);
}

TEST_CASE("pricing: a negative quantity is refused") {
  auto p = PriceCharge(PerUnit("1"), Dec("-1"), true);
  REQUIRE_FALSE(p.ok());
  CHECK(p.status().IsInvalidArgument());
}

TEST_CASE("pricing: base price prorated by day") {
  CHECK(ProrateBase(Dec("99"), 14, 28)->ToString(2) == "49.50");
  CHECK(ProrateBase(Dec("99"), 28, 28)->ToString(2) == "99.00");
  CHECK(ProrateBase(Dec("99"), 10, 31)->ToString(2) == "31.94");  // 31.9354... rounded once
  CHECK(ProrateBase(Dec("29"), 0, 30)->ToString(2) == "0.00");
  CHECK_FALSE(ProrateBase(Dec("99"), 29, 28).ok());
  CHECK_FALSE(ProrateBase(Dec("99"), 1, 0).ok());
}

// The public pricing examples issue 16 takes as test values (Lago's and
// Orb's docs): volume tiers and graduated tiers on the same bounds.
TEST_CASE("pricing: issue 16 worked figures, volume and graduated") {
  Charge volume;
  volume.meter = "seats";
  volume.model = ChargeModel::kVolume;
  volume.tiers = {Tier{Dec("5"), Dec("7"), Dec("0")}, Tier{Dec("10"), Dec("6.5"), Dec("0")},
                  Tier{std::nullopt, Dec("6"), Dec("0")}};
  CHECK(PriceCharge(volume, Dec("5"), true)->amount.ToString(2) == "35.00");
  CHECK(PriceCharge(volume, Dec("6"), true)->amount.ToString(2) == "39.00");
  CHECK(PriceCharge(volume, Dec("20"), true)->amount.ToString(2) == "120.00");
  Charge graduated;
  graduated.meter = "api_calls";
  graduated.model = ChargeModel::kGraduated;
  graduated.tiers = {Tier{Dec("1000"), Dec("0.10"), Dec("0")}, Tier{Dec("10000"), Dec("0.05"), Dec("0")},
                     Tier{std::nullopt, Dec("0.01"), Dec("0")}};
  CHECK(PriceCharge(graduated, Dec("15000"), true)->amount.ToString(2) == "600.00");
  Charge as_volume = graduated;
  as_volume.model = ChargeModel::kVolume;
  CHECK(PriceCharge(as_volume, Dec("15000"), true)->amount.ToString(2) == "150.00");
}

}  // namespace
}  // namespace meter::billing
