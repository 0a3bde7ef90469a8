#include "core/money.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "core/currency.h"

namespace meter {
namespace {

char Upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

}  // namespace

int MinorUnitDigits(std::string_view currency) {
  // Codes are compared case-insensitively so a lower-case "jpy" in a catalog
  // is not silently billed in hundredths. The table is core/currency's.
  if (currency.size() != 3) return 2;
  const char code[3] = {Upper(currency[0]), Upper(currency[1]), Upper(currency[2])};
  // Amounts come in runs of one currency (an invoice formats a hundred):
  // the last code's answer is kept rather than searched for again.
  thread_local char last[3] = {};
  thread_local int last_digits = IsoMinorUnit(std::string_view(last, 3)).value_or(2);
  if (std::memcmp(code, last, 3) != 0) {
    std::memcpy(last, code, 3);
    last_digits = IsoMinorUnit(std::string_view(code, 3)).value_or(2);
  }
  return last_digits;
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
