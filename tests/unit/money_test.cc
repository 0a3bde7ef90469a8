#include "core/money.h"

#include <string>

#include <doctest/doctest.h>

namespace meter {
namespace {

Money M(const char* amount, const char* currency = "USD") { return Money(Dec(amount), currency); }

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

TEST_CASE("Money defaults and accessors") {
  CHECK(Money().currency() == "USD");
  CHECK(Money().amount().IsZero());
  CHECK(Money::Zero("EUR") == Money(Decimal(), "EUR"));
  CHECK_FALSE(M("1", "USD") == M("1", "EUR"));
  CHECK(M("1.50") == M("1.5"));
}

TEST_CASE("Add and Sub keep the currency") {
  CHECK(M("10.00").Add(M("12.50")).value() == M("22.5"));
  CHECK(M("10", "EUR").Sub(M("12.5", "EUR")).value() == M("-2.5", "EUR"));
}

TEST_CASE("Mixing currencies is refused") {
  Result<Money> sum = M("1", "USD").Add(M("1", "EUR"));
  REQUIRE_FALSE(sum.ok());
  CHECK(sum.status().IsInvalidArgument());
  CHECK(sum.status().message() == "cannot add EUR to USD");
  Result<Money> diff = M("1", "USD").Sub(M("1", "JPY"));
  REQUIRE_FALSE(diff.ok());
  CHECK(diff.status().message() == "cannot subtract JPY from USD");
  // The same code in a different case is a different currency: data should be normalised first.
  CHECK_FALSE(M("1", "USD").Add(M("1", "usd")).ok());
}

TEST_CASE("Money overflow is refused") {
  Result<Money> sum = M("100000000000000000000").Add(M("100000000000000000000"));
  REQUIRE_FALSE(sum.ok());
  CHECK(sum.status().message().find("amount out of range") != std::string::npos);
  CHECK_FALSE(M("100000000000000000000").Mul(Dec("100000000000000000000")).ok());
  CHECK_FALSE(M("-100000000000000000000").Sub(M("100000000000000000000")).ok());
}

TEST_CASE("RoundedToMinor rounds half away from zero to the currency's places") {
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
    Result<Money> r = M(c.amount, c.currency).RoundedToMinor();
    REQUIRE(r.ok());
    CHECK(r->amount() == Dec(c.rounded));
    CHECK(r->currency() == c.currency);
  }
}

TEST_CASE("ToString prints the currency's minor-unit places") {
  CHECK(M("24.75").ToString() == "24.75");
  CHECK(M("10").ToString() == "10.00");
  CHECK(M("0.005").ToString() == "0.01");
  CHECK(M("-0.001").ToString() == "0.00");
  CHECK(M("1500", "JPY").ToString() == "1500");
  CHECK(M("1.5", "KWD").ToString() == "1.500");
}

TEST_CASE("Mul prices usage exactly") {
  CHECK(M("0.000001").Mul(Dec("1000000")).value().ToString() == "1.00");
  Result<Money> r = M("0.333333333").Mul(Dec("3"));
  REQUIRE(r.ok());
  CHECK(r->amount() == Dec("0.999999999"));
  CHECK(r->RoundedToMinor().value() == M("1"));
  CHECK(M("0.00001").Mul(Dec("123457")).value().ToString() == "1.23");  // 1.23457
  CHECK(M("2", "EUR").Mul(Dec("-1.5")).value() == M("-3", "EUR"));
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
  Money subtotal = Money::Zero("USD");
  for (const Line& l : lines) {
    Money amount = M(l.price).Mul(Dec(l.quantity)).value().RoundedToMinor().value();
    CHECK(amount.ToString() == l.amount);
    subtotal = subtotal.Add(amount).value();
  }
  const Money tax = subtotal.Mul(Dec("0.10")).value().RoundedToMinor().value();
  const Money total = subtotal.Add(tax).value();
  CHECK(subtotal.ToString() == "22.50");
  CHECK(tax.ToString() == "2.25");
  CHECK(total.ToString() == "24.75");
}

}  // namespace
}  // namespace meter

namespace meter {
namespace {

TEST_CASE("GroupThousands groups the whole part only") {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {{"0", "0"}, {"999", "999"}, {"1000", "1,000"}, {"1234567.891", "1,234,567.891"},
                        {"-9500", "-9,500"}, {"100000.00", "100,000.00"}, {"+1000", "+1,000"}, {"", ""},
                        {"abc", "abc"}, {"12a34", "12a34"}};
  for (const Case& c : cases) {
    CAPTURE(c.in);
    CHECK(GroupThousands(c.in) == c.out);
  }
}

}  // namespace
}  // namespace meter
