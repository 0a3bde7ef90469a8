// Civil dates in a time zone: what a bare date given for a tenant means
// (SPEC 10 and 11: `--expires D`, `redeem_by`, `--from`). Defined in
// time.cc next to the zone arithmetic they share.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"

namespace meter {

// The instant local midnight starts the civil date "YYYY-MM-DD" in time zone
// `tz` ("" = UTC). Refuses other text and impossible dates (InvalidArgument
// naming the text).
Result<Timestamp> LocalDateStart(std::string_view date, std::string_view tz = "");

// The civil date "YYYY-MM-DD" that contains `t` in time zone `tz`.
Result<std::string> LocalDate(Timestamp t, std::string_view tz = "");

}  // namespace meter
