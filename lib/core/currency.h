// Currency codes: the ISO 4217 table of active codes with their minor units,
// the one place meter knows which currencies exist and how many decimal
// places each is billed in (USD 2, JPY 0, KWD 3, CLF 4).
#pragma once

#include <optional>
#include <string_view>

namespace meter {

// The decimal places of the minor unit of the ISO 4217 currency `code`
// (upper case, as the standard writes it), or nullopt for a code the
// standard does not list ("XYZ", "usd", "US").
std::optional<int> IsoMinorUnit(std::string_view code);

}  // namespace meter
