#include "report/periods.h"

#include <algorithm>

#include <fmt/format.h>

namespace meter::report {

Result<Period> ParseReportPeriod(std::string_view text, std::string_view tz, Timestamp now) {
  if (text.empty()) return MonthOf(now, tz);
  if (text.size() == 7) return ParseMonth(text, tz);
  if (text.size() == 10) {
    auto t = ParseTimeArg(text);
    if (t.ok()) return DayOf(*t);
  }
  return Status::InvalidArgument(fmt::format("period '{}' is not a month (YYYY-MM) or a day (YYYY-MM-DD)", text));
}

Result<Period> PreviousMonth(const Period& month, std::string_view tz) { return MonthOf(month.start - 1, tz); }

Result<Period> NextMonth(const Period& month, std::string_view tz) { return MonthOf(month.end, tz); }

Result<std::vector<Period>> LastMonths(Timestamp now, int n, std::string_view tz, bool include_current) {
  METER_ASSIGN_OR_RETURN(Period m, MonthOf(now, tz));
  if (!include_current) {
    METER_ASSIGN_OR_RETURN(m, PreviousMonth(m, tz));
  }
  std::vector<Period> out;
  for (int i = 0; i < n; ++i) {
    out.push_back(m);
    METER_ASSIGN_OR_RETURN(m, PreviousMonth(m, tz));
  }
  std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<Period>> SplitPeriod(const Period& p, BucketUnit unit, std::string_view tz) {
  std::vector<Period> out;
  Timestamp t = p.start;
  while (t < p.end) {
    Period b;
    if (unit == BucketUnit::kHour) {
      b = HourOf(t);
    } else if (unit == BucketUnit::kDay) {
      b = DayOf(t);
    } else {
      METER_ASSIGN_OR_RETURN(b, MonthOf(t, tz));
    }
    b.start = std::max(b.start, p.start);
    b.end = std::min(b.end, p.end);
    out.push_back(b);
    t = b.end;
  }
  return out;
}

}  // namespace meter::report
