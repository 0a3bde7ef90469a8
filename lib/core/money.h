// Money: exact Decimal amounts in a currency and the one way they are rounded.
//
// Every amount meter bills is rounded here and nowhere else: to the minor
// unit of the currency's ISO 4217 code (2 places for USD and EUR, 0 for JPY
// and KRW, 3 for BHD, KWD, JOD, OMR and TND; SPEC sections 1 and 10), half
// away from zero, from the exact value (never from an already rounded one).
// Amounts travel as Decimal next to the currency code of the document they
// belong to (an invoice, a report row); binary floating point never enters.
#pragma once

#include <string>
#include <string_view>

#include "core/decimal.h"
#include "core/status.h"

namespace meter {

// Decimal places of the currency's minor unit per ISO 4217 (USD 2, JPY 0,
// BHD 3, CLF 4); 2 for codes it does not know. Case-insensitive, so a
// lower-case "jpy" in a catalog is not billed in hundredths.
int MinorUnitDigits(std::string_view currency);

// `amount` rounded to the currency's minor unit, half away from zero
// (0.005 USD -> 0.01, -0.005 USD -> -0.01, 0.5 JPY -> 1). Refuses (a Status)
// only at the very top of Decimal's range.
Result<Decimal> RoundToMinor(const Decimal& amount, std::string_view currency);

// amount × num / den rounded once, from the exact quotient, to the minor
// unit (prorating a price by days). den must not be zero.
Result<Decimal> ProrateToMinor(const Decimal& amount, const Decimal& num, const Decimal& den,
                               std::string_view currency);

// How an amount is written in JSON and CSV: a decimal string with exactly
// the minor unit's places ("24.75", "10.00", "-3.10", "1500" for JPY),
// rounded half away from zero when it has more.
std::string MoneyString(const Decimal& amount, std::string_view currency);

// How a price is written in JSON and CSV: its own places, but at least the
// minor unit's ("99.00", "0.002", "0.000012").
std::string PriceString(const Decimal& price, std::string_view currency);

}  // namespace meter
