#include "core/money.h"

#include <array>

#include <fmt/format.h>

namespace meter {
namespace {

// ISO 4217 currencies whose minor unit is not 2 digits.
constexpr std::array<std::string_view, 17> kNoMinorUnit = {
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
    "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"};
constexpr std::array<std::string_view, 7> kThreeDigits = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
constexpr std::array<std::string_view, 2> kFourDigits = {"CLF", "UYW"};

char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

// Codes are compared case-insensitively so a lower-case "jpy" in a catalog is
// not silently billed in hundredths.
template <size_t N>
bool Contains(const std::array<std::string_view, N>& codes, std::string_view currency) {
  for (std::string_view code : codes) {
    if (code.size() != currency.size()) continue;
    bool same = true;
    for (size_t i = 0; i < code.size() && same; ++i) same = code[i] == Upper(currency[i]);
    if (same) return true;
  }
  return false;
}

Status CurrencyMismatch(const char* verb, const char* preposition, const Money& a, const Money& b) {
  return Status::InvalidArgument(
      fmt::format("cannot {} {} {} {}", verb, b.currency(), preposition, a.currency()));
}

}  // namespace

int MinorUnitDigits(std::string_view currency) {
  if (Contains(kNoMinorUnit, currency)) return 0;
  if (Contains(kThreeDigits, currency)) return 3;
  if (Contains(kFourDigits, currency)) return 4;
  return 2;
}

std::string GroupThousands(std::string_view number) {
  size_t sign = !number.empty() && (number[0] == '-' || number[0] == '+') ? 1 : 0;
  size_t end = number.find('.');
  if (end == std::string_view::npos) end = number.size();
  for (size_t i = sign; i < end; ++i)
    if (number[i] < '0' || number[i] > '9') return std::string(number);
  std::string out(number.substr(0, sign));
  for (size_t i = sign; i < end; ++i) {
    if (i > sign && (end - i) % 3 == 0) out += ',';
    out += number[i];
  }
  return out + std::string(number.substr(end));
}

Result<Money> Money::Add(const Money& o) const {
  if (currency_ != o.currency_) return CurrencyMismatch("add", "to", *this, o);
  METER_ASSIGN_OR_RETURN(Decimal sum, amount_.Add(o.amount_));
  return Money(sum, currency_);
}

Result<Money> Money::Sub(const Money& o) const {
  if (currency_ != o.currency_) return CurrencyMismatch("subtract", "from", *this, o);
  METER_ASSIGN_OR_RETURN(Decimal diff, amount_.Sub(o.amount_));
  return Money(diff, currency_);
}

Result<Money> Money::Mul(const Decimal& factor) const {
  METER_ASSIGN_OR_RETURN(Decimal product, amount_.Mul(factor));
  return Money(product, currency_);
}

Result<Money> Money::RoundedToMinor() const {
  METER_ASSIGN_OR_RETURN(Decimal rounded, amount_.Round(MinorUnitDigits(currency_), Rounding::kHalfAwayFromZero));
  return Money(rounded, currency_);
}

std::string Money::ToString() const { return amount_.ToString(MinorUnitDigits(currency_)); }

}  // namespace meter
