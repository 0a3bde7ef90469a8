// Unit quantities as lib/usage shows them: exact Decimals built from the
// store's integer millionths, JSON numbers (integers when integral), and
// text with thousands separators for the messages people read.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/decimal.h"
#include "core/status.h"

namespace meter::usage {

// micros * 10^-6, exactly.
Decimal FromMicros(int64_t micros);

// The quantity in millionths of a unit; refuses (InvalidArgument naming
// `what`) negatives, more than 6 decimal places and values beyond int64.
Result<int64_t> ToMicros(const Decimal& d, std::string_view what);

// A JSON number: an integer when `d` is integral, otherwise the nearest
// double (printed with the shortest text that reads back the same, e.g. 0.6).
nlohmann::json UnitsJson(const Decimal& d);

// Seconds from microseconds as a JSON number (0.6, 12, 0.000001).
nlohmann::json SecondsJson(int64_t micros);

// "9,500", "1,000,000", "-20", "1,234.5".
std::string FormatUnits(const Decimal& d);

}  // namespace meter::usage
