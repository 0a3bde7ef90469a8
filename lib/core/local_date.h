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

// The other way, the civil date an instant falls on in a zone, is
// LocalDateOf (core/time.h), which the billing periods use.

// "2026-02-04": the one text of a civil date (CivilDate, core/time.h).
std::string FormatCivilDate(const CivilDate& d);

}  // namespace meter
