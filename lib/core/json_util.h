// Exact decimals from JSON values.
//
// JSON numbers reach us through parsers that hold them as double; a decimal
// literal with up to 15 significant digits survives that round trip exactly,
// because the shortest text that reads back as the same double is the literal
// itself. These helpers rebuild that text (expanding exponent notation such as
// "1e-05") and parse it as a Decimal, so catalog prices written as numbers are
// exact. Strings are parsed as written, which is exact for any length.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/decimal.h"
#include "core/status.h"

namespace meter {

// Parses number text that may use exponent notation ("1.5e3", "1e-05"); the
// part before the exponent follows Decimal::Parse's grammar.
Result<Decimal> ParseDecimalNumberText(std::string_view text);

// A Decimal from a JSON number or a JSON string holding a decimal; refuses
// other types, non-finite numbers and floats whose shortest text has more
// than 15 significant digits. It sees the double, not the literal: a longer
// literal ("0.999999999999999999") arrives already rounded (1), which only
// CheckJsonNumbersExact on the document's text can catch.
Result<Decimal> DecimalFromJson(const nlohmann::json& value);

// Refuses (InvalidArgument "<path>: number ... has more digits than a JSON
// number carries exactly; write it as a string") a JSON document (comments
// allowed) holding a number literal that DecimalFromJson would read as a
// different value because the double it becomes rounds it. Other problems,
// malformed JSON included, are left to the caller's parser.
Status CheckJsonNumbersExact(std::string_view json_text);

// The JSON form of a decimal: an integer number when it is integral and fits
// in int64, otherwise its canonical string.
nlohmann::json DecimalToJson(const Decimal& d);

}  // namespace meter
