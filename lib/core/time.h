// Time: instants, periods and the one clock every command reads.
//
// A Timestamp is a count of milliseconds since the Unix epoch, UTC. Periods are
// half-open [start, end). Day periods follow UTC midnights; month periods are
// calendar months in UTC or in a tenant's time zone (an IANA name such as
// "Europe/Berlin", resolved through the system's tzdata, or a fixed offset such
// as "+05:30").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace meter {

using Timestamp = int64_t;  // milliseconds since 1970-01-01T00:00:00Z

constexpr int64_t kMillisPerSecond = 1000;
constexpr int64_t kMillisPerMinute = 60 * kMillisPerSecond;
constexpr int64_t kMillisPerHour = 60 * kMillisPerMinute;
constexpr int64_t kMillisPerDay = 24 * kMillisPerHour;

// Parses an RFC 3339 time ("2026-02-04T14:32:15Z", "...15.250+02:00"; a space
// instead of "T" and a lowercase "z" are accepted) into UTC. Refuses impossible
// dates ("2026-13-01", "2026-02-30") and times, naming the text.
Result<Timestamp> ParseRfc3339(std::string_view text);

// Interprets integer Unix time: values below 10^11 are seconds, larger ones
// milliseconds (10^11 s is the year 5138, 10^11 ms is 1973).
Timestamp FromUnixNumber(int64_t n);

// Parses a time argument given on the command line or in a record: RFC 3339,
// a date "YYYY-MM-DD" (midnight UTC), or an integer of Unix seconds or
// milliseconds.
Result<Timestamp> ParseTimeArg(std::string_view text);

// The same for a time given for a tenant (`--effective`, `started_at`,
// `--started-at`; SPEC 10): a bare date means local midnight in the tenant's
// time zone `tz` ("" for UTC), one instant for usage and proration alike
// (`--effective 2026-02-15` for Asia/Tokyo is 2026-02-14T15:00:00Z). Other
// forms name their instant whatever the zone. InvalidArgument for an unknown
// zone. ParseTimeArg(text) is ParseTimeIn(text, "").
Result<Timestamp> ParseTimeIn(std::string_view text, std::string_view tz);

// "2026-02-04T14:32:15Z", with ".250" when there are milliseconds.
std::string FormatRfc3339(Timestamp t);
// "2026-02-04".
std::string FormatDate(Timestamp t);

// Civil date helpers (proleptic Gregorian, UTC).
int64_t DaysFromCivil(int year, unsigned month, unsigned day);
struct CivilDate { int year; unsigned month; unsigned day; };
CivilDate CivilFromDays(int64_t days);
int DaysInMonth(int year, unsigned month);

// A half-open interval of time.
struct Period {
  Timestamp start = 0;
  Timestamp end = 0;
  bool Contains(Timestamp t) const { return t >= start && t < end; }
  int64_t Days() const { return (end - start + kMillisPerDay - 1) / kMillisPerDay; }
  friend bool operator==(const Period&, const Period&) = default;
};

// The UTC hour / day containing t.
Period HourOf(Timestamp t);
Period DayOf(Timestamp t);
// The calendar month containing t in time zone `tz` ("" or "UTC" for UTC).
Result<Period> MonthOf(Timestamp t, std::string_view tz = "");
// The calendar month "YYYY-MM" in time zone `tz`; refuses other text.
Result<Period> ParseMonth(std::string_view yyyy_mm, std::string_view tz = "");

// Billing periods anchored on a day of the month (SPEC section 10): each runs
// from local midnight (zone `tz`) of `billing_day` to the same day of the next
// month, a day beyond a month's end clamping to its last day (31: Jan 31,
// Feb 28, Mar 31). billing_day 1 gives calendar months. Refuses a
// billing_day outside 1-31 and an unknown zone (InvalidArgument).
// The billing period containing t.
Result<Period> BillingPeriodOf(Timestamp t, std::string_view tz, int billing_day);
// The billing period that starts in the local calendar month "YYYY-MM" (there
// is exactly one); refuses other text.
Result<Period> BillingPeriodStartingIn(std::string_view yyyy_mm, std::string_view tz, int billing_day);

// The local calendar date of t in zone `tz`.
Result<CivilDate> LocalDateOf(Timestamp t, std::string_view tz);
// The instant local midnight starts civil day `days` (days since 1970-01-01)
// in zone `tz` (the first instant of that day where a zone skips midnight).
Result<Timestamp> LocalMidnight(int64_t days, std::string_view tz);
// "2026-02" for the month starting at `start` in `tz`.
std::string FormatMonth(Timestamp start, std::string_view tz = "");
// Checks that `tz` names a zone we can resolve.
Status ValidateTimeZone(std::string_view tz);

// Parses a duration such as "1m", "30s", "1h", "1d", "500ms" into milliseconds;
// InvalidArgument for other spellings, zero, and more than 999,999,999,999 ms
// (about 31.7 years, the most "<n>ms" can say, so written-back values parse).
Result<int64_t> ParseDuration(std::string_view text);

// The process clock. Every command reads time through Clock::Now(), so
// `--now T` / $METER_NOW give exact, repeatable answers: when set, the
// process's first reading is exactly T, and later ones advance with real time.
class Clock {
 public:
  // Starts the clock at `start` (milliseconds UTC): the first reading after
  // this returns `start` exactly.
  static void StartAt(Timestamp start);
  // The current time: real time, or the time set by StartAt plus the real
  // time elapsed since.
  static Timestamp Now();
  // Same as Now() in microseconds, for rate-limit refill arithmetic.
  static int64_t NowMicros();
};

}  // namespace meter
