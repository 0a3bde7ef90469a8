// Periods the insight commands talk about: a report's period from its flag,
// neighbouring calendar months, and a period cut into hour / day / month
// buckets.
#pragma once

#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"

namespace meter::report {

// A report period from its flag: "" = the calendar month containing `now`,
// "YYYY-MM" = that calendar month (both in time zone `tz`), "YYYY-MM-DD" =
// that UTC day. Refuses other text with InvalidArgument naming it.
Result<Period> ParseReportPeriod(std::string_view text, std::string_view tz, Timestamp now);

// The calendar month just before / after `month` in `tz`.
Result<Period> PreviousMonth(const Period& month, std::string_view tz);
Result<Period> NextMonth(const Period& month, std::string_view tz);

// The `n` calendar months (in `tz`) that end with the month containing
// `now`, oldest first; with include_current false, the `n` full months
// before it.
Result<std::vector<Period>> LastMonths(Timestamp now, int n, std::string_view tz, bool include_current);

// How SplitPeriod cuts a period.
enum class BucketUnit { kHour, kDay, kMonth };

// `p` cut at UTC hour / UTC day / calendar-month (in `tz`) boundaries, in
// order. Each piece is clipped to `p`, so the pieces cover `p` exactly.
Result<std::vector<Period>> SplitPeriod(const Period& p, BucketUnit unit, std::string_view tz);

}  // namespace meter::report
