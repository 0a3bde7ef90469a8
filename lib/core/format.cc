#include "core/format.h"

#include "core/money.h"

namespace meter {

std::string GroupThousands(std::string_view number) {
  size_t sign = !number.empty() && (number[0] == '-' || number[0] == '+') ? 1 : 0;
  size_t end = number.find('.');
  if (end == std::string_view::npos) end = number.size();
  if (end == sign) return std::string(number);
  for (size_t i = sign; i < end; ++i)
    if (number[i] < '0' || number[i] > '9') return std::string(number);
  std::string out(number.substr(0, sign));
  for (size_t i = sign; i < end; ++i) {
    if (i > sign && (end - i) % 3 == 0) out += ',';
    out += number[i];
  }
  return out + std::string(number.substr(end));
}

std::string Thousands(const Decimal& d) { return GroupThousands(d.ToString()); }

std::string Thousands(int64_t n) { return Thousands(Decimal::FromInt(n)); }

std::string MoneyText(const Decimal& amount, std::string_view currency) {
  return GroupThousands(MoneyString(amount, currency));
}

std::string CurrencyAmount(const Decimal& amount, std::string_view currency) {
  return std::string(currency) + " " + MoneyText(amount, currency);
}

std::string PriceText(const Decimal& price, std::string_view currency) {
  return GroupThousands(PriceString(price, currency));
}

std::string PercentText(const Decimal& rate) {
  auto pct = rate.Mul(Decimal::FromInt(100));
  return (pct.ok() ? pct->ToString() : rate.ToString()) + "%";
}

}  // namespace meter
