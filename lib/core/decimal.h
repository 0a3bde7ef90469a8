// Decimal: an exact signed decimal number for money and quantities.
//
// The value is a 128-bit integer count of 10^-18 units, so every number with up
// to 18 decimal places and an absolute value below 1.7e20 is held exactly, and
// the product of two numbers with up to 9 decimal places each (a price times a
// quantity) is exact. There is no constructor from float or double: binary
// floating point never enters money. Arithmetic that would overflow returns a
// Status instead of wrapping. Rounding happens only where a caller asks for it,
// with a named mode.
#pragma once

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace meter {

enum class Rounding {
  kHalfAwayFromZero,  // 0.005 -> 0.01, -0.005 -> -0.01 (money, SPEC section 1)
  kUp,                // away from zero: 1.2 -> 2 (whole packages)
  kDown,              // toward zero: 1.8 -> 1
};

class Decimal {
 public:
  static constexpr int kScaleDigits = 18;

  // Zero.
  constexpr Decimal() = default;
  // An exact integer.
  static Decimal FromInt(int64_t v);
  // The raw count of 10^-18 units; for storage layers that keep the raw value.
  static Decimal FromRaw(__int128 raw) { Decimal d; d.raw_ = raw; return d; }
  // n * 10^-places, e.g. FromScaled(12345, 2) == 123.45. places in [0, 18].
  static Decimal FromScaled(int64_t n, int places);

  // Parses "12", "-0.5", "0.000001", "+3", "007": plain decimal notation only
  // ([+-]digits[.digits]), at most 18 fractional digits. Refuses, with an
  // InvalidArgument naming the text: empty strings, exponents ("1e3"), "NaN",
  // spaces, separators ("1,000"), a bare "." edge (".5" and "5.", as in JSON),
  // more than 18 decimals, and magnitudes beyond about 1.7e20 ("amount out of
  // range: ...").
  static Result<Decimal> Parse(std::string_view text);

  // Canonical text: no exponent, no trailing fractional zeros, "-" for
  // negatives, "0" for zero ("1.5", "-0.001", "100").
  std::string ToString() const;
  // Text with exactly `places` fractional digits, rounded half away from zero
  // ("24.75", "10.00", "3"). places in [0, 18].
  std::string ToString(int places) const;

  // Checked arithmetic: a Status (InvalidArgument, "amount out of range ...")
  // instead of wrapping on overflow.
  Result<Decimal> Add(const Decimal& o) const;
  Result<Decimal> Sub(const Decimal& o) const;
  // Exact when the exact product has at most 18 decimal places; otherwise
  // rounded half away from zero at the 18th place.
  Result<Decimal> Mul(const Decimal& o) const;
  // this * num / den, rounded to `places` decimal places with `mode`, computed
  // from the exact quotient (no intermediate rounding). den must not be zero.
  Result<Decimal> MulDiv(const Decimal& num, const Decimal& den, int places, Rounding mode) const;
  // this / o rounded to `places` with `mode`; o must not be zero.
  Result<Decimal> Div(const Decimal& o, int places, Rounding mode) const;

  // Rounded to `places` decimal places (0..18) with `mode`. Never overflows
  // for values in range except kUp at the very top, which returns a Status.
  Result<Decimal> Round(int places, Rounding mode = Rounding::kHalfAwayFromZero) const;

  Decimal Negated() const { return FromRaw(-raw_); }
  Decimal Abs() const { return raw_ < 0 ? Negated() : *this; }
  bool IsZero() const { return raw_ == 0; }
  bool IsNegative() const { return raw_ < 0; }
  bool IsInteger() const;
  // Digits after the decimal point in the canonical text (0 for integers).
  int FractionalDigits() const;
  // The integer part, truncated toward zero; requires it to fit in int64.
  Result<int64_t> ToInt64() const;
  // The value times 10^places, which must be an integer that fits in int64
  // (e.g. 1.5 with places 6 -> 1500000); otherwise a Status saying why.
  Result<int64_t> ToScaledInt64(int places) const;

  __int128 raw() const { return raw_; }

  friend auto operator<=>(const Decimal& a, const Decimal& b) { return a.raw_ <=> b.raw_; }
  friend bool operator==(const Decimal& a, const Decimal& b) { return a.raw_ == b.raw_; }

 private:
  __int128 raw_ = 0;
};

// Unchecked helpers for values already known to be in range (tests, constants).
// Abort the process on overflow, which would be a bug in the caller.
Decimal operator+(const Decimal& a, const Decimal& b);
Decimal operator-(const Decimal& a, const Decimal& b);
Decimal operator*(const Decimal& a, const Decimal& b);

// Parses a literal known to be valid (tests, constants); aborts otherwise.
Decimal Dec(std::string_view literal);

}  // namespace meter
