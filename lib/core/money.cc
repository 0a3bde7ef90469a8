#include "core/money.h"

#include <algorithm>
#include <array>

namespace meter {
namespace {

// ISO 4217 currencies whose minor unit is not 2 digits.
constexpr std::array<std::string_view, 17> kNoMinorUnit = {
    "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG",
    "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF", "XPF"};
constexpr std::array<std::string_view, 7> kThreeDigits = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"};
constexpr std::array<std::string_view, 2> kFourDigits = {"CLF", "UYW"};

char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

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

}  // namespace

int MinorUnitDigits(std::string_view currency) {
  if (Contains(kNoMinorUnit, currency)) return 0;
  if (Contains(kThreeDigits, currency)) return 3;
  if (Contains(kFourDigits, currency)) return 4;
  return 2;
}

Result<Decimal> RoundToMinor(const Decimal& amount, std::string_view currency) {
  return amount.Round(MinorUnitDigits(currency), Rounding::kHalfAwayFromZero);
}

Result<Decimal> ProrateToMinor(const Decimal& amount, const Decimal& num, const Decimal& den,
                               std::string_view currency) {
  return amount.MulDiv(num, den, MinorUnitDigits(currency), Rounding::kHalfAwayFromZero);
}

std::string MoneyString(const Decimal& amount, std::string_view currency) {
  return amount.ToString(MinorUnitDigits(currency));
}

std::string PriceString(const Decimal& price, std::string_view currency) {
  return price.ToString(std::max(MinorUnitDigits(currency), price.FractionalDigits()));
}

}  // namespace meter
