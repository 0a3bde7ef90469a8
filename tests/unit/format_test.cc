#include "core/format.h"

#include <doctest/doctest.h>

namespace meter {
namespace {

TEST_CASE("GroupThousands groups the whole part only") {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {{"0", "0"}, {"999", "999"}, {"1000", "1,000"}, {"1234567.891", "1,234,567.891"},
                        {"-9500", "-9,500"}, {"100000.00", "100,000.00"}, {"+1000", "+1,000"}, {"", ""},
                        {"abc", "abc"}, {"12a34", "12a34"}, {"-", "-"}, {".5", ".5"}};
  for (const Case& c : cases) {
    CAPTURE(c.in);
    CHECK(GroupThousands(c.in) == c.out);
  }
}

TEST_CASE("Thousands prints every digit of a quantity, grouped") {
  CHECK(Thousands(Dec("9500")) == "9,500");
  CHECK(Thousands(Dec("-20")) == "-20");
  CHECK(Thousands(Dec("1234.5")) == "1,234.5");
  CHECK(Thousands(Dec("1000000000.123456")) == "1,000,000,000.123456");
  CHECK(Thousands(Dec("12345678901.234567")) == "12,345,678,901.234567");
  CHECK(Thousands(Dec("3328.325063")) == "3,328.325063");
  CHECK(Thousands(int64_t{1000000}) == "1,000,000");
  CHECK(Thousands(int64_t{-1}) == "-1");
}

TEST_CASE("MoneyText and PriceText use the currency's minor unit") {
  CHECK(MoneyText(Dec("1234.5"), "USD") == "1,234.50");
  CHECK(MoneyText(Dec("24.75"), "USD") == "24.75");
  CHECK(MoneyText(Dec("1500"), "JPY") == "1,500");
  CHECK(MoneyText(Dec("1234.5"), "KWD") == "1,234.500");
  CHECK(MoneyText(Dec("-1234.5"), "EUR") == "-1,234.50");
  CHECK(PriceText(Dec("1200"), "USD") == "1,200.00");
  CHECK(PriceText(Dec("0.002"), "USD") == "0.002");
  CHECK(PriceText(Dec("1000.000012"), "EUR") == "1,000.000012");
  CHECK(CurrencyAmount(Dec("24.75"), "USD") == "USD 24.75");
  CHECK(CurrencyAmount(Dec("100000"), "JPY") == "JPY 100,000");
}

TEST_CASE("PercentText writes a rate with all its digits") {
  CHECK(PercentText(Dec("0.1")) == "10%");
  CHECK(PercentText(Dec("0.075")) == "7.5%");
  CHECK(PercentText(Dec("0.992")) == "99.2%");
  CHECK(PercentText(Dec("0")) == "0%");
  CHECK(PercentText(Dec("1.25")) == "125%");
}

}  // namespace
}  // namespace meter
