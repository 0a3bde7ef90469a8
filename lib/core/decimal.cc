#include "core/decimal.h"

#include <array>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

namespace meter {
namespace {

using u128 = unsigned __int128;

constexpr __int128 kMaxRaw = static_cast<__int128>(~u128{0} >> 1);
// Magnitudes stop at kMaxRaw, not 2^127, so that every value can be negated:
// the raw value -2^127 is never produced.
constexpr u128 kMaxMag = static_cast<u128>(kMaxRaw);
constexpr u128 kScale = 1'000'000'000'000'000'000ull;  // 10^kScaleDigits

constexpr std::array<uint64_t, 19> MakePow10() {
  std::array<uint64_t, 19> p{};
  p[0] = 1;
  for (size_t i = 1; i < p.size(); ++i) p[i] = p[i - 1] * 10;
  return p;
}
constexpr std::array<uint64_t, 19> kPow10 = MakePow10();

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "meter: fatal: %s\n", msg.c_str());
  std::abort();
}

Decimal OrDie(const Result<Decimal>& r) {
  if (!r.ok()) Die(r.status().message());
  return *r;
}

bool ValidPlaces(int places) { return places >= 0 && places <= Decimal::kScaleDigits; }

Status BadPlaces(int places) {
  return Status::InvalidArgument(fmt::format("decimal places must be between 0 and 18, got {}", places));
}

// Callers of the unchecked entry points promise valid places; breaking that is a bug.
void RequirePlaces(int places) {
  if (!ValidPlaces(places)) Die(BadPlaces(places).message());
}

// |v| without overflow, also for -2^127.
u128 Mag(__int128 v) { return v < 0 ? u128{0} - static_cast<u128>(v) : static_cast<u128>(v); }

Status OutOfRange(const std::string& what) {
  return Status::InvalidArgument("amount out of range: " + what);
}

Status OutOfRange(const Decimal& a, const char* op, const Decimal& b) {
  return OutOfRange(fmt::format("{} {} {}", a.ToString(), op, b.ToString()));
}

// The signed value of a magnitude, or false when it does not fit.
bool FromMag(bool negative, u128 mag, Decimal* out) {
  if (mag > kMaxMag) return false;
  const auto v = static_cast<__int128>(mag);
  *out = Decimal::FromRaw(negative ? -v : v);
  return true;
}

// Text of a magnitude (raw units) with its first `places` fractional digits:
// written backwards into one buffer, the fraction and (almost always) the
// whole part in 64-bit arithmetic, and copied out once (invoice rendering
// formats a few million amounts).
std::string Format(bool negative, u128 mag, int places) {
  char buf[64];
  char* end = buf + sizeof buf;
  char* p = end;
  if (places > 0) {
    uint64_t frac = static_cast<uint64_t>(mag % kScale) / kPow10[Decimal::kScaleDigits - places];
    for (int k = 0; k < places; ++k, frac /= 10) *--p = static_cast<char>('0' + frac % 10);
    *--p = '.';
  }
  u128 whole = mag / kScale;
  if (whole <= std::numeric_limits<uint64_t>::max()) {
    uint64_t w = static_cast<uint64_t>(whole);
    do *--p = static_cast<char>('0' + w % 10); while ((w /= 10) != 0);
  } else {
    do *--p = static_cast<char>('0' + static_cast<int>(whole % 10)); while ((whole /= 10) != 0);
  }
  if (negative && mag != 0) *--p = '-';
  return std::string(p, end);
}

// Whether q + r/d (0 <= r < d), cut down to a multiple of 10^k leaving `rest`
// (= q mod 10^k), moves one step away from zero under `mode`.
bool RoundsAway(u128 rest, u128 r, u128 d, int k, Rounding mode) {
  switch (mode) {
    case Rounding::kDown:
      return false;
    case Rounding::kUp:
      return rest != 0 || r != 0;
    case Rounding::kHalfAwayFromZero:
      // With k > 0 the half step 5*10^(k-1) is an integer and r/d < 1, so the
      // fraction r/d can never carry `rest` across it.
      if (k > 0) return rest >= kPow10[k] / 2;
      return r >= d - r;  // 2r >= d, without overflowing
  }
  return false;
}

// The magnitude q + r/d (0 <= r < d) rounded to a multiple of 10^k with
// `mode`; false when the result does not fit in 128 bits.
bool RoundMagnitude(u128 q, u128 r, u128 d, int k, Rounding mode, u128* out) {
  const u128 step = kPow10[k];
  u128 whole = q / step;
  if (RoundsAway(q % step, r, d, k, mode) && __builtin_add_overflow(whole, 1, &whole)) return false;
  return !__builtin_mul_overflow(whole, step, out);
}

// Unsigned 256-bit arithmetic, just enough for an exact a * b / d.
struct U256 {
  u128 hi = 0;
  u128 lo = 0;
};

U256 MulWide(u128 a, u128 b) {
  constexpr u128 kLow = ~uint64_t{0};
  const u128 a0 = a & kLow, a1 = a >> 64, b0 = b & kLow, b1 = b >> 64;
  const u128 p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  // Three values below 2^64 each: the middle column cannot overflow.
  const u128 mid = (p00 >> 64) + (p01 & kLow) + (p10 & kLow);
  return U256{p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64), (mid << 64) | (p00 & kLow)};
}

// n / d and n % d; false when the quotient needs more than 128 bits.
bool DivWide(const U256& n, u128 d, u128* q, u128* r) {
  if (n.hi >= d) return false;
  if (n.hi == 0) {  // the common case: native division
    *q = n.lo / d;
    *r = n.lo % d;
    return true;
  }
  // Shift-subtract long division over the low half; rem < d throughout.
  u128 rem = n.hi, quo = 0;
  for (int i = 127; i >= 0; --i) {
    const bool carry = (rem >> 127) != 0;
    rem = (rem << 1) | ((n.lo >> i) & 1);
    quo <<= 1;
    if (carry || rem >= d) {
      rem -= d;  // wraps back to the true remainder when `carry` was set
      quo |= 1;
    }
  }
  *q = quo;
  *r = rem;
  return true;
}

bool AllDigits(std::string_view s) {
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// The text as quoted in a message, cut short so the message stays one line.
std::string Quoted(std::string_view text) {
  constexpr size_t kMax = 48;
  if (text.size() <= kMax) return fmt::format("'{}'", text);
  return fmt::format("'{}...'", text.substr(0, kMax));
}

Status NotANumber(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("an empty string is not a decimal number");
  return Status::InvalidArgument(
      fmt::format("{} is not a decimal number (expected plain notation such as -12.50)", Quoted(text)));
}

// Appends decimal digits to a magnitude; false on overflow.
bool AppendDigits(std::string_view digits, u128* mag) {
  for (char c : digits) {
    if (__builtin_mul_overflow(*mag, 10, mag) || __builtin_add_overflow(*mag, c - '0', mag)) return false;
  }
  return true;
}

}  // namespace

Decimal Decimal::FromInt(int64_t v) {
  // |v| * 10^18 < 9.3e36, far inside the 128-bit range.
  return FromRaw(static_cast<__int128>(v) * static_cast<__int128>(kScale));
}

Decimal Decimal::FromScaled(int64_t n, int places) {
  RequirePlaces(places);
  return FromRaw(static_cast<__int128>(n) * kPow10[kScaleDigits - places]);
}

Result<Decimal> Decimal::Parse(std::string_view text) {
  std::string_view s = text;
  const bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  const size_t dot = s.find('.');
  const std::string_view int_part = s.substr(0, dot);
  const std::string_view frac_part = dot == std::string_view::npos ? "" : s.substr(dot + 1);
  // Digits on both sides of a '.', as in JSON: ".5" and "5." are refused.
  if (int_part.empty() || (dot != std::string_view::npos && frac_part.empty()) ||
      !AllDigits(int_part) || !AllDigits(frac_part)) {
    return NotANumber(text);
  }
  if (frac_part.size() > static_cast<size_t>(kScaleDigits)) {
    return Status::InvalidArgument(
        fmt::format("{} has more than {} decimal places", Quoted(text), kScaleDigits));
  }
  // Pad the fraction to 18 digits so the digits read straight into raw units.
  const std::string padded = std::string(frac_part) + std::string(kScaleDigits - frac_part.size(), '0');
  u128 mag = 0;
  Decimal out;
  if (!AppendDigits(int_part, &mag) || !AppendDigits(padded, &mag) || !FromMag(negative, mag, &out)) {
    return OutOfRange(Quoted(text));
  }
  return out;
}

std::string Decimal::ToString() const { return Format(raw_ < 0, Mag(raw_), FractionalDigits()); }

std::string Decimal::ToString(int places) const {
  RequirePlaces(places);
  u128 mag = 0;
  // Cannot fail: |raw| <= 2^127 leaves room for one more step of <= 10^18.
  RoundMagnitude(Mag(raw_), 0, 1, kScaleDigits - places, Rounding::kHalfAwayFromZero, &mag);
  return Format(raw_ < 0, mag, places);
}

Result<Decimal> Decimal::Add(const Decimal& o) const {
  __int128 sum = 0;
  if (__builtin_add_overflow(raw_, o.raw_, &sum) || sum < -kMaxRaw) return OutOfRange(*this, "+", o);
  return FromRaw(sum);
}

Result<Decimal> Decimal::Sub(const Decimal& o) const {
  __int128 diff = 0;
  if (__builtin_sub_overflow(raw_, o.raw_, &diff) || diff < -kMaxRaw) return OutOfRange(*this, "-", o);
  return FromRaw(diff);
}

// With a = ai*S + af and b = bi*S + bf (S = 10^18, af, bf < S), the raw product
// a*b/S = ai*bi*S + ai*bf + af*bi + af*bf/S: only the last term is inexact, so
// rounding it rounds the whole product, and no term needs more than 128 bits.
Result<Decimal> Decimal::Mul(const Decimal& o) const {
  const u128 a = Mag(raw_), b = Mag(o.raw_);
  const u128 ai = a / kScale, af = a % kScale, bi = b / kScale, bf = b % kScale;
  const u128 tail = af * bf;  // < 10^36
  u128 sum = tail / kScale + (tail % kScale >= kScale / 2 ? 1 : 0);
  u128 whole = 0;
  Decimal out;
  // ai <= 1.7e20 and bf < 1e18, so ai*bf and af*bi fit; their sums may not.
  if (__builtin_mul_overflow(ai, bi, &whole) || __builtin_mul_overflow(whole, kScale, &whole) ||
      __builtin_add_overflow(sum, whole, &sum) || __builtin_add_overflow(sum, ai * bf, &sum) ||
      __builtin_add_overflow(sum, af * bi, &sum) || !FromMag((raw_ < 0) != (o.raw_ < 0), sum, &out)) {
    return OutOfRange(*this, "*", o);
  }
  return out;
}

// The raw result is raw * num.raw / den.raw (the scales cancel); it is computed
// as an exact quotient and remainder in 256 bits and rounded once.
Result<Decimal> Decimal::MulDiv(const Decimal& num, const Decimal& den, int places, Rounding mode) const {
  if (den.IsZero()) {
    return Status::InvalidArgument(fmt::format("division by zero: {} * {} / 0", ToString(), num.ToString()));
  }
  if (!ValidPlaces(places)) return BadPlaces(places);
  const u128 d = Mag(den.raw_);
  u128 q = 0, r = 0, mag = 0;
  Decimal out;
  const bool negative = ((raw_ < 0) != (num.raw_ < 0)) != (den.raw_ < 0);
  if (!DivWide(MulWide(Mag(raw_), Mag(num.raw_)), d, &q, &r) ||
      !RoundMagnitude(q, r, d, kScaleDigits - places, mode, &mag) || !FromMag(negative, mag, &out)) {
    return OutOfRange(fmt::format("{} * {} / {}", ToString(), num.ToString(), den.ToString()));
  }
  return out;
}

Result<Decimal> Decimal::Div(const Decimal& o, int places, Rounding mode) const {
  return MulDiv(FromInt(1), o, places, mode);
}

Result<Decimal> Decimal::Round(int places, Rounding mode) const {
  if (!ValidPlaces(places)) return BadPlaces(places);
  u128 mag = 0;
  Decimal out;
  if (!RoundMagnitude(Mag(raw_), 0, 1, kScaleDigits - places, mode, &mag) || !FromMag(raw_ < 0, mag, &out)) {
    return OutOfRange(fmt::format("{} rounded to {} places", ToString(), places));
  }
  return out;
}

bool Decimal::IsInteger() const { return raw_ % static_cast<__int128>(kScale) == 0; }

int Decimal::FractionalDigits() const {
  u128 frac = Mag(raw_) % kScale;
  if (frac == 0) return 0;
  int digits = kScaleDigits;
  for (; frac % 10 == 0; frac /= 10) --digits;
  return digits;
}

Result<int64_t> Decimal::ToInt64() const {
  const __int128 whole = raw_ / static_cast<__int128>(kScale);  // truncates toward zero
  if (whole > std::numeric_limits<int64_t>::max() || whole < std::numeric_limits<int64_t>::min()) {
    return OutOfRange(ToString() + " does not fit in a 64-bit integer");
  }
  return static_cast<int64_t>(whole);
}

Result<int64_t> Decimal::ToScaledInt64(int places) const {
  if (!ValidPlaces(places)) return BadPlaces(places);
  const auto step = static_cast<__int128>(kPow10[kScaleDigits - places]);
  if (raw_ % step != 0) {
    return Status::InvalidArgument(fmt::format("{} has more than {} decimal places", ToString(), places));
  }
  const __int128 scaled = raw_ / step;
  if (scaled > std::numeric_limits<int64_t>::max() || scaled < std::numeric_limits<int64_t>::min()) {
    return OutOfRange(fmt::format("{} at {} places does not fit in a 64-bit integer", ToString(), places));
  }
  return static_cast<int64_t>(scaled);
}

Decimal operator+(const Decimal& a, const Decimal& b) { return OrDie(a.Add(b)); }
Decimal operator-(const Decimal& a, const Decimal& b) { return OrDie(a.Sub(b)); }
Decimal operator*(const Decimal& a, const Decimal& b) { return OrDie(a.Mul(b)); }

Decimal Dec(std::string_view literal) { return OrDie(Decimal::Parse(literal)); }

}  // namespace meter
