#include "core/money.h"

#include <string>

#include <doctest/doctest.h>

namespace meter {
namespace {

TEST_CASE("MinorUnitDigits follows ISO 4217") {
  struct Case {
    const char* currency;
    int digits;
  };
  const Case cases[] = {
      {"USD", 2}, {"EUR", 2}, {"GBP", 2}, {"CHF", 2}, {"JPY", 0}, {"KRW", 0}, {"VND", 0},
      {"CLP", 0}, {"ISK", 0}, {"BHD", 3}, {"KWD", 3}, {"OMR", 3}, {"JOD", 3}, {"TND", 3},
      {"IQD", 3}, {"LYD", 3}, {"CLF", 4}, {"jpy", 0}, {"kwd", 3}, {"XYZ", 2}, {"", 2},
      {"JP", 2},  {"JPYY", 2},
  };
  for (const Case& c : cases) {
    CAPTURE(c.currency);
    CHECK(MinorUnitDigits(c.currency) == c.digits);
  }
}

TEST_CASE("RoundToMinor rounds half away from zero to the currency's places") {
  struct Case {
    const char* amount;
    const char* currency;
    const char* rounded;
  };
  const Case cases[] = {
      {"0.005", "USD", "0.01"},    {"0.0049999", "USD", "0"},  {"-0.005", "USD", "-0.01"},
      {"24.745", "EUR", "24.75"},  {"2.5", "JPY", "3"},        {"-2.5", "JPY", "-3"},
      {"1.0005", "KWD", "1.001"},  {"1.0004", "BHD", "1"},     {"0.00005", "CLF", "0.0001"},
      {"10", "USD", "10"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.amount);
    CAPTURE(c.currency);
    Result<Decimal> r = RoundToMinor(Dec(c.amount), c.currency);
    REQUIRE(r.ok());
    CHECK(*r == Dec(c.rounded));
  }
}

TEST_CASE("MoneyString prints the currency's minor-unit places") {
  CHECK(MoneyString(Dec("24.75"), "USD") == "24.75");
  CHECK(MoneyString(Dec("10"), "USD") == "10.00");
  CHECK(MoneyString(Dec("0.005"), "USD") == "0.01");
  CHECK(MoneyString(Dec("-0.001"), "USD") == "0.00");
  CHECK(MoneyString(Dec("1500"), "JPY") == "1500");
  CHECK(MoneyString(Dec("1.5"), "KWD") == "1.500");
  CHECK(MoneyString(Dec("1234567.5"), "USD") == "1234567.50");  // no separators: JSON and CSV
}

TEST_CASE("PriceString keeps a price's own places, at least the minor unit's") {
  CHECK(PriceString(Dec("99"), "USD") == "99.00");
  CHECK(PriceString(Dec("0.002"), "USD") == "0.002");
  CHECK(PriceString(Dec("0.000012"), "EUR") == "0.000012");
  CHECK(PriceString(Dec("120"), "JPY") == "120");
  CHECK(PriceString(Dec("0.5"), "JPY") == "0.5");
  CHECK(PriceString(Dec("2.5"), "BHD") == "2.500");
}

TEST_CASE("ProrateToMinor rounds the exact quotient once") {
  CHECK(ProrateToMinor(Dec("99"), Dec("10"), Dec("31"), "USD")->ToString(2) == "31.94");  // 31.9354...
  CHECK(*ProrateToMinor(Dec("1000"), Dec("10"), Dec("31"), "JPY") == Dec("323"));          // 322.58...
  CHECK(*ProrateToMinor(Dec("10"), Dec("1"), Dec("3"), "KWD") == Dec("3.333"));
  // 0.125 exactly is half: away from zero, not to even.
  CHECK(*ProrateToMinor(Dec("0.25"), Dec("1"), Dec("2"), "USD") == Dec("0.13"));
  CHECK_FALSE(ProrateToMinor(Dec("1"), Dec("1"), Dec("0"), "USD").ok());
}

TEST_CASE("Prices times usage round once, from the exact product") {
  CHECK(MoneyString(Dec("0.000001") * Dec("1000000"), "USD") == "1.00");
  Decimal third = Dec("0.333333333") * Dec("3");
  CHECK(third == Dec("0.999999999"));
  CHECK(*RoundToMinor(third, "USD") == Dec("1"));
  CHECK(MoneyString(Dec("0.00001") * Dec("123457"), "USD") == "1.23");  // 1.23457
}

// SPEC section 7: lines rounded once each, tax rounded once, all exact.
TEST_CASE("The SPEC invoice worked example") {
  struct Line {
    const char* quantity;
    const char* price;
    const char* amount;
  };
  const Line lines[] = {
      {"5000", "0.002", "10.00"},  // email_analysis
      {"200", "0.05", "10.00"},    // video_understanding
      {"1000", "0.001", "1.00"},   // audio_transcription
      {"500", "0.003", "1.50"},    // text_to_speech
  };
  Decimal subtotal;
  for (const Line& l : lines) {
    Decimal amount = *RoundToMinor(Dec(l.price) * Dec(l.quantity), "USD");
    CHECK(MoneyString(amount, "USD") == l.amount);
    subtotal = subtotal + amount;
  }
  const Decimal tax = *RoundToMinor(subtotal * Dec("0.10"), "USD");
  const Decimal total = subtotal + tax;
  CHECK(MoneyString(subtotal, "USD") == "22.50");
  CHECK(MoneyString(tax, "USD") == "2.25");
  CHECK(MoneyString(total, "USD") == "24.75");
}

}  // namespace
}  // namespace meter

