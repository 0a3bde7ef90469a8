// Unit quantities as lib/usage keeps them: exact Decimals built from the
// store's integer millionths. They print through lib/core: JsonNumber
// (core/json_util.h) in JSON, Thousands (core/format.h) for people.
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

// Seconds from microseconds as an exact JSON number (0.6, 12, 0.000001).
nlohmann::json SecondsJson(int64_t micros);

}  // namespace meter::usage
