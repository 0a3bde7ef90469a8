// Numbers for people: the one formatter every human-readable output (tables,
// invoices, messages, the dashboard) uses, so a quantity, an amount or a
// percentage reads the same everywhere. Machine output (JSON, CSV) uses
// core/json_util.h and core/money.h instead: no separators there.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/decimal.h"

namespace meter {

// Decimal text with its whole part grouped in thousands: "1234567.5" ->
// "1,234,567.5", "-9500" -> "-9,500". Other text is returned unchanged.
std::string GroupThousands(std::string_view number);

// A quantity with all its digits, grouped: "9,500", "1,000,000.123456", "-20".
std::string Thousands(const Decimal& d);
std::string Thousands(int64_t n);

// An amount with the currency's minor-unit places, grouped: "1,234.50",
// "24.75", "1,500" (JPY). Rounded half away from zero when it has more.
std::string MoneyText(const Decimal& amount, std::string_view currency);

// The currency code, a space and MoneyText: "USD 1,234.50".
std::string CurrencyAmount(const Decimal& amount, std::string_view currency);

// A price with its own places but at least the minor unit's, grouped:
// "1,200.00", "0.002".
std::string PriceText(const Decimal& price, std::string_view currency);

// A rate as a percentage with all its digits: 0.1 -> "10%", 0.075 -> "7.5%",
// 0.992 -> "99.2%".
std::string PercentText(const Decimal& rate);

}  // namespace meter
