#include "core/decimal.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <doctest/doctest.h>

namespace meter {
namespace {

constexpr __int128 kMaxRaw = static_cast<__int128>(~static_cast<unsigned __int128>(0) >> 1);

// The checked result as canonical text, or "error: <message>".
std::string Show(const Result<Decimal>& r) {
  return r.ok() ? r->ToString() : "error: " + r.status().message();
}

bool IsOutOfRange(const Result<Decimal>& r) {
  return !r.ok() && r.status().IsInvalidArgument() &&
         r.status().message().find("out of range") != std::string::npos;
}

TEST_CASE("Parse accepts plain decimal notation") {
  struct Case {
    const char* text;
    const char* canonical;
  };
  const Case cases[] = {
      {"0", "0"},
      {"12", "12"},
      {"+3", "3"},
      {"-0.5", "-0.5"},
      {"0.000001", "0.000001"},
      {"1.50", "1.5"},
      {"100", "100"},
      {"007", "7"},
      {"-0", "0"},
      {"-0.000", "0"},
      {"24.750000000", "24.75"},
      {"0.000000000000000001", "0.000000000000000001"},
      {"-0.000000000000000001", "-0.000000000000000001"},
      {"123456789012345678.123456789012345678", "123456789012345678.123456789012345678"},
      {"170141183460469231731", "170141183460469231731"},
      {"170141183460469231731.687303715884105727", "170141183460469231731.687303715884105727"},
      {"-170141183460469231731.687303715884105727", "-170141183460469231731.687303715884105727"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    Result<Decimal> d = Decimal::Parse(c.text);
    REQUIRE(d.ok());
    CHECK(d->ToString() == c.canonical);
    CHECK(Decimal::Parse(d->ToString()).value() == *d);  // canonical text round-trips
  }
  CHECK(Dec("170141183460469231731.687303715884105727").raw() == kMaxRaw);
  CHECK(Dec("-170141183460469231731.687303715884105727").raw() == -kMaxRaw);
  CHECK(Dec("0.000000000000000001").raw() == 1);
  CHECK(Dec("1").raw() == static_cast<__int128>(1'000'000'000'000'000'000));
}

TEST_CASE("Parse refuses everything else, saying why") {
  struct Case {
    const char* text;
    const char* message_part;
  };
  const Case cases[] = {
      {"", "empty string is not a decimal number"},
      {"1e3", "'1e3' is not a decimal number"},
      {"1E3", "'1E3' is not a decimal number"},
      {"NaN", "'NaN' is not a decimal number"},
      {"inf", "'inf' is not a decimal number"},
      {"-", "'-' is not a decimal number"},
      {"+", "'+' is not a decimal number"},
      {".", "'.' is not a decimal number"},
      {".5", "'.5' is not a decimal number"},
      {"5.", "'5.' is not a decimal number"},
      {"-.5", "'-.5' is not a decimal number"},
      {" 1", "' 1' is not a decimal number"},
      {"1 ", "'1 ' is not a decimal number"},
      {"1,5", "'1,5' is not a decimal number"},
      {"1,000", "'1,000' is not a decimal number"},
      {"1.2.3", "'1.2.3' is not a decimal number"},
      {"--1", "'--1' is not a decimal number"},
      {"+-1", "'+-1' is not a decimal number"},
      {"0x10", "'0x10' is not a decimal number"},
      {"$5", "'$5' is not a decimal number"},
      {"1_000", "'1_000' is not a decimal number"},
      {"0.0000000000000000001", "'0.0000000000000000001' has more than 18 decimal places"},
      {"1.0000000000000000000", "has more than 18 decimal places"},
      {"200000000000000000000", "amount out of range: '200000000000000000000'"},
      {"-200000000000000000000", "amount out of range: '-200000000000000000000'"},
      {"170141183460469231731.687303715884105728", "amount out of range"},  // max + 1 unit
      {"-170141183460469231731.687303715884105728", "amount out of range"},  // -2^127 itself
      {"999999999999999999999999999999999999999999", "amount out of range"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    Result<Decimal> d = Decimal::Parse(c.text);
    REQUIRE_FALSE(d.ok());
    CHECK(d.status().IsInvalidArgument());
    CHECK(d.status().message().find(c.message_part) != std::string::npos);
  }
}

TEST_CASE("Parse keeps messages about long text to one short line") {
  const std::string text(300, '9');
  Result<Decimal> d = Decimal::Parse(text);
  REQUIRE_FALSE(d.ok());
  CHECK(d.status().message().size() < 100);
  CHECK(d.status().message().find("...") != std::string::npos);
}

TEST_CASE("ToString with places rounds half away from zero") {
  struct Case {
    const char* value;
    int places;
    const char* text;
  };
  const Case cases[] = {
      {"24.75", 2, "24.75"},     {"10", 2, "10.00"},        {"3", 0, "3"},
      {"0.005", 2, "0.01"},      {"0.0049999", 2, "0.00"},  {"-0.005", 2, "-0.01"},
      {"-0.0049999", 2, "0.00"}, {"-0.001", 2, "0.00"},     {"2.5", 0, "3"},
      {"-2.5", 0, "-3"},         {"2.4999", 0, "2"},        {"0.999", 2, "1.00"},
      {"-0.1", 0, "0"},          {"1.5", 18, "1.500000000000000000"},
      {"0.000000000000000001", 17, "0.00000000000000000"},
      {"0.000000000000000005", 17, "0.00000000000000001"},
      {"170141183460469231731.687303715884105727", 0, "170141183460469231732"},
      {"-170141183460469231731.687303715884105727", 2, "-170141183460469231731.69"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.value);
    CAPTURE(c.places);
    CHECK(Dec(c.value).ToString(c.places) == c.text);
  }
  CHECK(Decimal().ToString(2) == "0.00");
  CHECK(Decimal().ToString() == "0");
}

// Decimal text was written digit by digit in 128-bit arithmetic into
// strings grown a character at a time; it is now written into one buffer
// in 64-bit arithmetic where the value allows. This is the old way, kept
// to compare against at every number of places, around the 64-bit edge of
// the whole part and at the ends of the range.
std::string ReferenceText(__int128 raw, int places) {
  unsigned __int128 mag = raw < 0 ? static_cast<unsigned __int128>(0) - static_cast<unsigned __int128>(raw)
                                  : static_cast<unsigned __int128>(raw);
  auto digits = [](unsigned __int128 v) {
    std::string s;
    do {
      s.insert(s.begin(), static_cast<char>('0' + static_cast<int>(v % 10)));
      v /= 10;
    } while (v != 0);
    return s;
  };
  const unsigned __int128 scale = 1'000'000'000'000'000'000ull;
  std::string out = raw < 0 && mag != 0 ? "-" : "";
  out += digits(mag / scale);
  if (places == 0) return out;
  std::string frac = digits(mag % scale);
  frac.insert(0, 18 - frac.size(), '0');
  return out + "." + frac.substr(0, static_cast<size_t>(places));
}

TEST_CASE("ToString writes the same text as digit-by-digit formatting") {
  std::vector<__int128> raws = {0, 1, -1, 9, 10, 999'999'999'999'999'999, 1'000'000'000'000'000'000,
                                kMaxRaw, -kMaxRaw};
  const __int128 edge = static_cast<__int128>(std::numeric_limits<uint64_t>::max()) * 1'000'000'000'000'000'000;
  for (__int128 d = -3'000'000'000'000'000'000; d <= 3'000'000'000'000'000'000; d += 500'000'000'000'000'001)
    for (__int128 base : {edge, -edge}) raws.push_back(base + d);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 20000; ++i) {
    auto hi = static_cast<unsigned __int128>(rng()) << 64 | rng();
    raws.push_back(static_cast<__int128>(hi >> (rng() % 127 + 1)) * (i % 2 ? 1 : -1));
  }
  for (__int128 raw : raws) {
    Decimal d = Decimal::FromRaw(raw);
    CHECK(d.ToString() == ReferenceText(raw, d.FractionalDigits()));
    for (int places = 0; places <= 18; ++places) {
      auto r = d.Round(places, Rounding::kHalfAwayFromZero);
      if (!r.ok()) continue;  // rounding up past the top of the range
      CHECK(d.ToString(places) == ReferenceText(r->raw(), places));
    }
  }
}

TEST_CASE("Round in each mode") {
  struct Case {
    const char* value;
    int places;
    Rounding mode;
    const char* expected;
  };
  using R = Rounding;
  const Case cases[] = {
      {"0.005", 2, R::kHalfAwayFromZero, "0.01"},
      {"0.0049999", 2, R::kHalfAwayFromZero, "0"},
      {"-0.005", 2, R::kHalfAwayFromZero, "-0.01"},
      {"-0.0049999", 2, R::kHalfAwayFromZero, "0"},
      {"0.015", 2, R::kHalfAwayFromZero, "0.02"},  // not banker's rounding
      {"0.025", 2, R::kHalfAwayFromZero, "0.03"},
      {"1.2", 0, R::kUp, "2"},
      {"-1.2", 0, R::kUp, "-2"},
      {"1.8", 0, R::kDown, "1"},
      {"-1.8", 0, R::kDown, "-1"},
      {"1.000000000000000001", 0, R::kUp, "2"},
      {"1.000000000000000001", 0, R::kDown, "1"},
      {"1.000000000000000001", 18, R::kUp, "1.000000000000000001"},
      {"5", 0, R::kUp, "5"},
      {"0", 0, R::kUp, "0"},
      {"0.999999999", 2, R::kHalfAwayFromZero, "1"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.value);
    CAPTURE(c.places);
    CHECK(Show(Dec(c.value).Round(c.places, c.mode)) == c.expected);
  }
  CHECK(Dec("2.5").Round(0).value() == Dec("3"));  // the default mode is half away from zero
}

TEST_CASE("Round refuses bad places and overflow at the very top") {
  CHECK(Decimal::FromRaw(kMaxRaw).Round(0, Rounding::kUp).status().IsInvalidArgument());
  CHECK(IsOutOfRange(Decimal::FromRaw(kMaxRaw).Round(0, Rounding::kHalfAwayFromZero)));
  CHECK(Decimal::FromRaw(kMaxRaw).Round(0, Rounding::kDown).ok());
  CHECK(Decimal::FromRaw(-kMaxRaw).Round(18, Rounding::kUp).value().raw() == -kMaxRaw);
  CHECK(Dec("1").Round(19).status().message().find("between 0 and 18") != std::string::npos);
  CHECK_FALSE(Dec("1").Round(-1).ok());
}

TEST_CASE("Add and Sub are exact and refuse overflow") {
  CHECK(Dec("0.1") + Dec("0.2") == Dec("0.3"));
  CHECK(Dec("1250500") - Dec("1000000") == Dec("250500"));
  CHECK(Dec("-1.5") + Dec("1.5") == Decimal());
  CHECK(Show(Dec("100000000000000000000").Add(Dec("100000000000000000000"))) ==
        "error: amount out of range: 100000000000000000000 + 100000000000000000000");
  CHECK(IsOutOfRange(Dec("-100000000000000000000").Sub(Dec("100000000000000000000"))));
  CHECK(IsOutOfRange(Decimal::FromRaw(kMaxRaw).Add(Decimal::FromRaw(1))));
  // -kMaxRaw - 1 would be -2^127, which cannot be negated: also out of range.
  CHECK(IsOutOfRange(Decimal::FromRaw(-kMaxRaw).Sub(Decimal::FromRaw(1))));
  CHECK(Decimal::FromRaw(kMaxRaw).Sub(Decimal::FromRaw(kMaxRaw)).value().IsZero());
}

TEST_CASE("Mul is exact for prices times quantities") {
  CHECK(Dec("1000000") * Dec("0.000001") == Dec("1"));
  CHECK((Dec("1000000") * Dec("0.000001")).ToString(2) == "1.00");
  const Decimal third = Dec("3") * Dec("0.333333333");
  CHECK(third == Dec("0.999999999"));
  CHECK(third.ToString(2) == "1.00");
  CHECK(Dec("5000") * Dec("0.002") == Dec("10"));
  CHECK(Dec("0.123456789") * Dec("0.987654321") == Dec("0.121932631112635269"));
  CHECK(Dec("-1.5") * Dec("2") == Dec("-3"));
  CHECK(Dec("-1.5") * Dec("-2") == Dec("3"));
  CHECK(Dec("0") * Dec("-2") == Decimal());
  CHECK(Dec("123456789.123456789") * Dec("1000") == Dec("123456789123.456789"));
}

TEST_CASE("Mul rounds half away from zero at the 18th place") {
  CHECK(Dec("0.000000000000000001") * Dec("0.5") == Dec("0.000000000000000001"));
  CHECK(Dec("-0.000000000000000001") * Dec("0.5") == Dec("-0.000000000000000001"));
  CHECK(Dec("0.000000000000000001") * Dec("0.49") == Decimal());
  CHECK(Dec("0.000000000000000003") * Dec("0.5") == Dec("0.000000000000000002"));
}

TEST_CASE("Mul refuses overflow instead of wrapping") {
  const Decimal big = Dec("100000000000000000000");  // 1e20
  Result<Decimal> p = big.Mul(big);
  CHECK(IsOutOfRange(p));
  CHECK(p.status().message() == "amount out of range: 100000000000000000000 * 100000000000000000000");
  CHECK(IsOutOfRange(Dec("-100000000000000000000").Mul(Dec("2"))));
  CHECK(IsOutOfRange(Decimal::FromRaw(kMaxRaw).Mul(Dec("1.000000000000000001"))));
  CHECK(Decimal::FromRaw(kMaxRaw).Mul(Dec("1")).value().raw() == kMaxRaw);
  CHECK(Decimal::FromRaw(kMaxRaw).Mul(Dec("-1")).value().raw() == -kMaxRaw);
  // The integer parts overflow only when multiplied by 10^18.
  CHECK(IsOutOfRange(Dec("20000000000").Mul(Dec("20000000000"))));
}

TEST_CASE("MulDiv rounds the exact quotient once") {
  CHECK(Show(Dec("99").MulDiv(Dec("14"), Dec("28"), 2, Rounding::kHalfAwayFromZero)) == "49.5");
  CHECK(Dec("99").MulDiv(Dec("14"), Dec("28"), 2, Rounding::kHalfAwayFromZero)->ToString(2) == "49.50");
  // 1/3 of 100 for 2 days of 3: rounding 33.333... then multiplying would give 66.66.
  CHECK(Show(Dec("100").MulDiv(Dec("2"), Dec("3"), 2, Rounding::kHalfAwayFromZero)) == "66.67");
  CHECK(Show(Dec("-100").MulDiv(Dec("2"), Dec("3"), 2, Rounding::kHalfAwayFromZero)) == "-66.67");
  CHECK(Show(Dec("100").MulDiv(Dec("-2"), Dec("-3"), 2, Rounding::kDown)) == "66.66");
  CHECK(Show(Dec("1").MulDiv(Dec("1"), Dec("8"), 2, Rounding::kHalfAwayFromZero)) == "0.13");
  CHECK(Show(Dec("1").MulDiv(Dec("1"), Dec("3"), 18, Rounding::kHalfAwayFromZero)) == "0.333333333333333333");
  CHECK(Show(Dec("2").MulDiv(Dec("1"), Dec("3"), 18, Rounding::kHalfAwayFromZero)) == "0.666666666666666667");
  CHECK(Show(Dec("2").MulDiv(Dec("1"), Dec("3"), 18, Rounding::kDown)) == "0.666666666666666666");
}

TEST_CASE("MulDiv uses the 256-bit product when it exceeds 128 bits") {
  // 1e20 * 1e20 overflows on its own, but / 1e20 brings it back into range.
  const Decimal big = Dec("100000000000000000000");
  CHECK(big.MulDiv(big, big, 2, Rounding::kHalfAwayFromZero).value() == big);
  CHECK(Show(big.MulDiv(Dec("150000000000000000000"), Dec("160000000000000000000"), 0,
                        Rounding::kHalfAwayFromZero)) == "93750000000000000000");
  // Checked against Python's decimal module at 200 digits.
  const Decimal a = Dec("-123456789012345678.123456789012345678"), n = Dec("98765432109876543.21"),
                d = Dec("170000000000000000000.000000000000000007");
  CHECK(Show(a.MulDiv(n, d, 18, Rounding::kHalfAwayFromZero)) == "-71725077139424.584974582424858388");
  CHECK(Show(a.MulDiv(n, d, 18, Rounding::kUp)) == "-71725077139424.584974582424858388");
  CHECK(Show(a.MulDiv(n, d, 18, Rounding::kDown)) == "-71725077139424.584974582424858387");
  CHECK(Show(a.MulDiv(n, d, 2, Rounding::kHalfAwayFromZero)) == "-71725077139424.58");
  CHECK(Show(a.MulDiv(n, d, 2, Rounding::kUp)) == "-71725077139424.59");
  CHECK(Show(Dec("170000000000000000000").MulDiv(Dec("3"), Dec("7"), 18, Rounding::kDown)) ==
        "72857142857142857142.857142857142857142");
  CHECK(Show(Dec("170000000000000000000").MulDiv(Dec("3"), Dec("7"), 18, Rounding::kUp)) ==
        "72857142857142857142.857142857142857143");
  CHECK(Show(Decimal::FromRaw(kMaxRaw).MulDiv(Decimal::FromRaw(kMaxRaw), Decimal::FromRaw(kMaxRaw), 18,
                                              Rounding::kUp)) == Decimal::FromRaw(kMaxRaw).ToString());
  CHECK(IsOutOfRange(big.MulDiv(big, Dec("1"), 2, Rounding::kHalfAwayFromZero)));
  CHECK(IsOutOfRange(Dec("1").MulDiv(Dec("1"), Dec("0.000000000000000001"), 0, Rounding::kDown)) == false);
  CHECK(IsOutOfRange(Dec("1000").MulDiv(Dec("1000"), Dec("0.000000000000000001"), 0, Rounding::kDown)));
}

TEST_CASE("MulDiv agrees with Mul on the 18th place") {
  // Two independent algorithms: Mul splits into integer and fractional parts,
  // MulDiv divides a 256-bit product. Deterministic pseudo-random operands.
  uint64_t state = 0x9E3779B97F4A7C15ull;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return state;
  };
  // Magnitudes below 2^127 with a bit length spread evenly over 0..127. The
  // shift comes from the high bits: an LCG's low bits repeat quickly.
  auto raw = [&next] {
    const unsigned __int128 wide = static_cast<unsigned __int128>(next()) << 64 | next();
    return static_cast<__int128>(wide >> (1 + (next() >> 32) % 127));
  };
  int in_range = 0;
  for (int i = 0; i < 5000; ++i) {
    const __int128 a_raw = raw(), b_raw = raw();
    const Decimal a = Decimal::FromRaw(i % 2 ? a_raw : -a_raw), b = Decimal::FromRaw(i % 3 ? b_raw : -b_raw);
    Result<Decimal> mul = a.Mul(b);
    Result<Decimal> muldiv = a.MulDiv(b, Dec("1"), 18, Rounding::kHalfAwayFromZero);
    CAPTURE(a.ToString());
    CAPTURE(b.ToString());
    REQUIRE(mul.ok() == muldiv.ok());
    if (mul.ok()) {
      CHECK(*mul == *muldiv);
      ++in_range;
    }
  }
  CHECK(in_range > 2500);  // both outcomes were exercised
  CHECK(in_range < 4900);
}

TEST_CASE("Div") {
  CHECK(Show(Dec("10").Div(Dec("3"), 2, Rounding::kHalfAwayFromZero)) == "3.33");
  CHECK(Show(Dec("10").Div(Dec("3"), 2, Rounding::kUp)) == "3.34");
  CHECK(Show(Dec("10").Div(Dec("3"), 2, Rounding::kDown)) == "3.33");
  CHECK(Show(Dec("-10").Div(Dec("3"), 2, Rounding::kUp)) == "-3.34");
  const Decimal units = Dec("1250500") - Dec("1000000");
  CHECK(units == Dec("250500"));
  CHECK(Show(units.Div(Dec("1000"), 0, Rounding::kUp)) == "251");
  CHECK(Show(units.Div(Dec("1000"), 0, Rounding::kDown)) == "250");
  CHECK(Show(units.Div(Dec("1000"), 0, Rounding::kHalfAwayFromZero)) == "251");  // 250.5
  CHECK(Show(Dec("250000").Div(Dec("1000"), 0, Rounding::kUp)) == "250");
  CHECK(Show(Dec("1").Div(Dec("0.000001"), 0, Rounding::kDown)) == "1000000");
}

TEST_CASE("Div and MulDiv refuse zero divisors and bad places") {
  Result<Decimal> q = Dec("10").Div(Decimal(), 2, Rounding::kHalfAwayFromZero);
  REQUIRE_FALSE(q.ok());
  CHECK(q.status().IsInvalidArgument());
  CHECK(q.status().message().find("division by zero") != std::string::npos);
  CHECK_FALSE(Dec("10").MulDiv(Dec("1"), Dec("0"), 2, Rounding::kUp).ok());
  CHECK_FALSE(Dec("10").Div(Dec("3"), 19, Rounding::kUp).ok());
}

TEST_CASE("FromInt and FromScaled") {
  CHECK(Decimal::FromInt(0) == Decimal());
  CHECK(Decimal::FromInt(-42).ToString() == "-42");
  CHECK(Decimal::FromInt(std::numeric_limits<int64_t>::max()).ToString() == "9223372036854775807");
  CHECK(Decimal::FromInt(std::numeric_limits<int64_t>::min()).ToString() == "-9223372036854775808");
  CHECK(Decimal::FromScaled(12345, 2) == Dec("123.45"));
  CHECK(Decimal::FromScaled(-5, 3) == Dec("-0.005"));
  CHECK(Decimal::FromScaled(7, 0) == Dec("7"));
  CHECK(Decimal::FromScaled(1, 18).raw() == 1);
}

TEST_CASE("IsInteger, FractionalDigits and sign queries") {
  CHECK(Dec("100").IsInteger());
  CHECK(Dec("-3").IsInteger());
  CHECK_FALSE(Dec("1.5").IsInteger());
  CHECK_FALSE(Dec("-0.000000000000000001").IsInteger());
  CHECK(Dec("100").FractionalDigits() == 0);
  CHECK(Dec("1.5").FractionalDigits() == 1);
  CHECK(Dec("-0.001").FractionalDigits() == 3);
  CHECK(Dec("1.10").FractionalDigits() == 1);
  CHECK(Dec("0.000000000000000001").FractionalDigits() == 18);
  CHECK(Dec("-2").IsNegative());
  CHECK(Dec("-2").Abs() == Dec("2"));
  CHECK(Dec("-2").Negated() == Dec("2"));
  CHECK(Dec("0.00").IsZero());
  CHECK(Dec("-0.5") < Dec("0.25"));
  CHECK(Dec("1.50") == Dec("1.5"));
}

TEST_CASE("ToInt64 truncates toward zero") {
  CHECK(Dec("1.9").ToInt64().value() == 1);
  CHECK(Dec("-1.9").ToInt64().value() == -1);
  CHECK(Dec("9223372036854775807.99").ToInt64().value() == std::numeric_limits<int64_t>::max());
  CHECK(Dec("-9223372036854775808").ToInt64().value() == std::numeric_limits<int64_t>::min());
  Result<int64_t> big = Dec("9223372036854775808").ToInt64();
  REQUIRE_FALSE(big.ok());
  CHECK(big.status().message().find("does not fit in a 64-bit integer") != std::string::npos);
  CHECK_FALSE(Dec("-9223372036854775809").ToInt64().ok());
}

TEST_CASE("ToScaledInt64") {
  CHECK(Dec("1.5").ToScaledInt64(6).value() == 1500000);
  CHECK(Dec("-24.75").ToScaledInt64(2).value() == -2475);
  CHECK(Dec("3").ToScaledInt64(0).value() == 3);
  CHECK(Dec("0.000000000000000001").ToScaledInt64(18).value() == 1);
  Result<int64_t> inexact = Dec("1.2345").ToScaledInt64(2);
  REQUIRE_FALSE(inexact.ok());
  CHECK(inexact.status().message() == "1.2345 has more than 2 decimal places");
  Result<int64_t> big = Dec("10").ToScaledInt64(18);  // 1e19 > int64 max
  REQUIRE_FALSE(big.ok());
  CHECK(big.status().message().find("does not fit in a 64-bit integer") != std::string::npos);
  CHECK(Dec("9.223372036854775807").ToScaledInt64(18).value() == std::numeric_limits<int64_t>::max());
  CHECK_FALSE(Dec("1").ToScaledInt64(19).ok());
}

}  // namespace
}  // namespace meter
