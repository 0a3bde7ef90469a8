// Money: an exact Decimal amount in one currency.
//
// Amounts carry their ISO 4217 currency code; adding or comparing amounts of
// different currencies is refused with a Status. Rounding to the currency's
// minor unit (2 places for USD/EUR, 0 for JPY, 3 for KWD ...) is half away from
// zero and happens only through RoundedToMinor, so every caller rounds alike.
#pragma once

#include <string>
#include <string_view>

#include "core/decimal.h"
#include "core/status.h"

namespace meter {

// Decimal places of the currency's minor unit (USD 2, JPY 0, BHD 3); 2 for
// codes it does not know.
int MinorUnitDigits(std::string_view currency);

// Decimal text with its whole part grouped in thousands, for people:
// "1234567.5" -> "1,234,567.5", "-9500" -> "-9,500". Other text is returned
// unchanged.
std::string GroupThousands(std::string_view number);

class Money {
 public:
  Money() = default;
  Money(Decimal amount, std::string currency) : amount_(amount), currency_(std::move(currency)) {}
  static Money Zero(std::string currency) { return Money(Decimal(), std::move(currency)); }

  const Decimal& amount() const { return amount_; }
  const std::string& currency() const { return currency_; }

  // Sum or difference; refuses different currencies and overflow.
  Result<Money> Add(const Money& o) const;
  Result<Money> Sub(const Money& o) const;
  // The amount times a quantity or rate (same currency); overflow is refused.
  Result<Money> Mul(const Decimal& factor) const;
  // Rounded to the currency's minor unit, half away from zero.
  Result<Money> RoundedToMinor() const;
  // The amount as text with the currency's minor-unit places ("24.75").
  std::string ToString() const;

  friend bool operator==(const Money& a, const Money& b) {
    return a.currency_ == b.currency_ && a.amount_ == b.amount_;
  }

 private:
  Decimal amount_;
  std::string currency_ = "USD";
};

}  // namespace meter
