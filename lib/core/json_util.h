// Exact decimals in JSON: the one Decimal-to-JSON-number encoder, the one
// writer that prints it, and a reader that keeps every number as written.
//
// nlohmann::json holds numbers as int64, uint64 or double, and a double cannot
// carry most decimals (3328.325063 prints as 3328.3250629999998). A number a
// double cannot print exactly is therefore held as a *raw number*: a JSON
// value of nlohmann's binary type (which no JSON text ever parses into) whose
// bytes are the number's text. DumpJson prints a raw number as those digits,
// unquoted; DecimalFromJson reads it exactly. Numbers a double prints exactly
// (0.5, 1250.5) stay ordinary JSON numbers, so code that reads them as such
// keeps working. Every JSON meter prints or stores goes through DumpJson:
// nlohmann's own dump() would print a raw number as a binary object.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/decimal.h"
#include "core/status.h"

namespace meter {

// `d` as a JSON number with all its digits and no exponent ("1000000000.123456",
// "12345678901.234567", "0.0000001", "100000000000000000000"): an integer when
// it is integral and fits in int64, a double when the double prints back as
// exactly this text (at most 15 significant digits), otherwise a raw number.
nlohmann::json JsonNumber(const Decimal& d);

// True for a raw number made by JsonNumber or ParseJsonExact.
bool IsRawNumber(const nlohmann::json& v);

// The JSON type of `v` for messages ("number" for a raw number too).
const char* JsonTypeName(const nlohmann::json& v);

// `j` as JSON text: like nlohmann's dump(indent) (indent < 0: compact; the
// same spacing, key order and string escapes), with raw numbers printed as
// their digits. Like dump(), throws nlohmann::json::type_error on a string
// that is not valid UTF-8 (lib/ keeps such text out).
std::string DumpJson(const nlohmann::json& j, int indent = -1);

// Parses JSON text (comments allowed when `comments`), keeping each number
// exactly as written: a number whose double would print differently (more
// than a double's digits, beyond int64/uint64) becomes a raw number holding
// its literal. DataError with the parser's message for text that is not JSON
// or a number beyond double's range written in a way nlohmann refuses.
Result<nlohmann::json> ParseJsonExact(std::string_view text, bool comments = false);

// Parses number text that may use exponent notation ("1.5e3", "1e-05"); the
// part before the exponent follows Decimal::Parse's grammar.
Result<Decimal> ParseDecimalNumberText(std::string_view text);

// Significant digits of number text, before any exponent: "0.0012" 2,
// "3328.3250629999998" 17, "1e5" 1.
int SignificantDigits(std::string_view number);

// A Decimal from a JSON number (raw numbers read exactly as written) or a JSON
// string holding a decimal. Refuses other types, non-finite numbers, values
// Decimal cannot hold (more than 18 decimal places, beyond about 1.7e20),
// and plain doubles whose shortest text has more than 15 significant digits
// (a double that did not come from ParseJsonExact may have lost digits).
Result<Decimal> DecimalFromJson(const nlohmann::json& value);

}  // namespace meter
