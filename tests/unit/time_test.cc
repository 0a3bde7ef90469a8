#include <doctest/doctest.h>

#include "core/local_date.h"
#include "core/time.h"

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>

#include <fmt/format.h>

using namespace meter;

TEST_CASE("time.rfc3339_valid") {
  struct { const char* text; const char* utc; } cases[] = {
      {"2026-02-04T14:32:15Z", "2026-02-04T14:32:15Z"},
      {"2026-02-04t14:32:15z", "2026-02-04T14:32:15Z"},
      {"2026-02-04 14:32:15Z", "2026-02-04T14:32:15Z"},
      {"2026-02-04T14:32:15.250Z", "2026-02-04T14:32:15.250Z"},
      {"2026-02-04T14:32:15.123456Z", "2026-02-04T14:32:15.123Z"},
      {"2026-02-04T16:32:15+02:00", "2026-02-04T14:32:15Z"},
      {"2026-02-04T00:30:00-05:30", "2026-02-04T06:00:00Z"},
      {"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
      {"1969-12-31T23:59:59Z", "1969-12-31T23:59:59Z"},
  };
  for (const auto& c : cases) {
    auto t = ParseRfc3339(c.text);
    REQUIRE_MESSAGE(t.ok(), c.text);
    CHECK(FormatRfc3339(*t) == c.utc);
  }
}

TEST_CASE("time.rfc3339_invalid") {
  const char* bad[] = {"", "2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2025-02-29T00:00:00Z",
                       "2026-02-04T24:00:00Z", "2026-02-04T14:60:00Z", "2026-02-04T14:32:15",
                       "2026-02-04", "2026-02-04T14:32:15+0200", "2026-02-04T14:32:15Zjunk",
                       "2026-2-4T14:32:15Z", "2026-02-04T14:32:15.Z", "yesterday"};
  for (const char* b : bad) {
    auto t = ParseRfc3339(b);
    CHECK_MESSAGE(!t.ok(), b);
    if (!t.ok()) CHECK(t.status().message() == std::string("timestamp '") + b + "' is not a valid time");
  }
}

TEST_CASE("time.unix_numbers_seconds_or_millis") {
  CHECK(FromUnixNumber(1770215535) == 1770215535000);
  CHECK(FromUnixNumber(1770215535123) == 1770215535123);
  CHECK(*ParseTimeArg("1770215535") == 1770215535000);
  CHECK(*ParseTimeArg("2026-02-15") == *ParseRfc3339("2026-02-15T00:00:00Z"));
  CHECK(!ParseTimeArg("2026-02-30").ok());
}

TEST_CASE("time.periods_are_half_open") {
  Timestamp t = *ParseRfc3339("2026-02-04T23:59:59Z");
  Period day = DayOf(t);
  CHECK(FormatRfc3339(day.start) == "2026-02-04T00:00:00Z");
  CHECK(FormatRfc3339(day.end) == "2026-02-05T00:00:00Z");
  CHECK(day.Contains(t));
  CHECK(!day.Contains(day.end));
  Period hour = HourOf(t);
  CHECK(FormatRfc3339(hour.start) == "2026-02-04T23:00:00Z");
  auto month = MonthOf(t);
  REQUIRE(month.ok());
  CHECK(FormatRfc3339(month->start) == "2026-02-01T00:00:00Z");
  CHECK(FormatRfc3339(month->end) == "2026-03-01T00:00:00Z");
  CHECK(month->Days() == 28);
}

TEST_CASE("time.months_in_time_zones") {
  auto p = ParseMonth("2026-02", "Europe/Berlin");
  REQUIRE(p.ok());
  CHECK(FormatRfc3339(p->start) == "2026-01-31T23:00:00Z");
  CHECK(FormatRfc3339(p->end) == "2026-02-28T23:00:00Z");
  // Summer time starts in March: April begins at 22:00Z the day before.
  auto april = ParseMonth("2026-04", "Europe/Berlin");
  REQUIRE(april.ok());
  CHECK(FormatRfc3339(april->start) == "2026-03-31T22:00:00Z");
  auto fixed = ParseMonth("2026-02", "+05:30");
  REQUIRE(fixed.ok());
  CHECK(FormatRfc3339(fixed->start) == "2026-01-31T18:30:00Z");
  // An instant late on Feb 28 UTC is already March in Tokyo.
  auto tokyo = MonthOf(*ParseRfc3339("2026-02-28T20:00:00Z"), "Asia/Tokyo");
  REQUIRE(tokyo.ok());
  CHECK(FormatMonth(tokyo->start, "Asia/Tokyo") == "2026-03");
  CHECK(!ValidateTimeZone("Mars/Olympus").ok());
  CHECK(!ValidateTimeZone("../../etc/passwd").ok());
  CHECK(!ParseMonth("2026-13").ok());
  CHECK(!ParseMonth("2026-2").ok());
}

TEST_CASE("time.durations") {
  CHECK(*ParseDuration("1m") == 60000);
  CHECK(*ParseDuration("30s") == 30000);
  CHECK(*ParseDuration("1h") == 3600000);
  CHECK(*ParseDuration("500ms") == 500);
  CHECK(*ParseDuration("minute") == 60000);
  CHECK(!ParseDuration("0s").ok());
  CHECK(!ParseDuration("1y").ok());
  CHECK(!ParseDuration("").ok());
}

TEST_CASE("time.clock_starts_at_now_and_advances") {
  Timestamp start = *ParseRfc3339("2026-02-04T14:32:15Z");
  Clock::StartAt(start);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // work before the first reading does not count
  CHECK(Clock::NowMicros() == start * 1000);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  Timestamp b = Clock::Now();
  CHECK(b >= start + 5);
  CHECK(b < start + 1000);
  Clock::StartAt(start);  // a new start reads exactly again
  CHECK(Clock::Now() == start);
}

TEST_CASE("time.zone_names_are_compiled_zone_files") {
  Timestamp t = *ParseRfc3339("2026-02-10T12:00:00Z");
  CHECK(MonthOf(t, "America/New_York").ok());
  // A directory, a path out of the zoneinfo tree, and names glibc would read
  // as a file path of their own are not time zones.
  for (const char* bad : {".", "Europe", "../../etc/passwd", "/etc/localtime", ":Europe/Berlin", "Nowhere/City"}) {
    auto m = MonthOf(t, bad);
    CHECK_MESSAGE(!m.ok(), bad);
    if (!m.ok()) CHECK(m.status().message().find("unknown time zone") != std::string::npos);
  }
}

namespace {

std::string Show(const Period& p) { return FormatRfc3339(p.start) + " " + FormatRfc3339(p.end); }

std::string PeriodOf(const char* t, const char* tz, int day) {
  auto p = BillingPeriodOf(*ParseRfc3339(t), tz, day);
  REQUIRE_MESSAGE(p.ok(), p.status().message());
  return Show(*p);
}

std::string StartingIn(const char* month, const char* tz, int day) {
  auto p = BillingPeriodStartingIn(month, tz, day);
  REQUIRE_MESSAGE(p.ok(), p.status().message());
  return Show(*p);
}

}  // namespace

// Lago's open bugs on anniversaries of the 29th-31st: a period anchored on a
// day a month lacks clamps to that month's last day and returns to the day in
// the next month (31: Jan 31 -> Feb 28 -> Mar 31), never drifting to the 28th.
TEST_CASE("time.billing_period_clamps_days_beyond_the_month_end") {
  CHECK(StartingIn("2026-01", "", 31) == "2026-01-31T00:00:00Z 2026-02-28T00:00:00Z");
  CHECK(StartingIn("2026-02", "", 31) == "2026-02-28T00:00:00Z 2026-03-31T00:00:00Z");
  CHECK(StartingIn("2026-03", "", 31) == "2026-03-31T00:00:00Z 2026-04-30T00:00:00Z");
  CHECK(StartingIn("2026-04", "", 31) == "2026-04-30T00:00:00Z 2026-05-31T00:00:00Z");
  CHECK(StartingIn("2026-01", "", 30) == "2026-01-30T00:00:00Z 2026-02-28T00:00:00Z");
  CHECK(StartingIn("2026-02", "", 30) == "2026-02-28T00:00:00Z 2026-03-30T00:00:00Z");
  CHECK(StartingIn("2026-02", "", 29) == "2026-02-28T00:00:00Z 2026-03-29T00:00:00Z");
  CHECK(StartingIn("2028-02", "", 29) == "2028-02-29T00:00:00Z 2028-03-29T00:00:00Z");  // leap year
  CHECK(StartingIn("2028-02", "", 31) == "2028-02-29T00:00:00Z 2028-03-31T00:00:00Z");
  CHECK(StartingIn("2026-12", "", 31) == "2026-12-31T00:00:00Z 2027-01-31T00:00:00Z");
  CHECK(StartingIn("2026-02", "", 1) == "2026-02-01T00:00:00Z 2026-03-01T00:00:00Z");
  CHECK(StartingIn("2026-02", "", 15) == "2026-02-15T00:00:00Z 2026-03-15T00:00:00Z");
}

TEST_CASE("time.billing_period_of_an_instant") {
  CHECK(PeriodOf("2026-02-27T23:59:59Z", "", 31) == "2026-01-31T00:00:00Z 2026-02-28T00:00:00Z");
  CHECK(PeriodOf("2026-02-28T00:00:00Z", "", 31) == "2026-02-28T00:00:00Z 2026-03-31T00:00:00Z");
  CHECK(PeriodOf("2026-03-30T12:00:00Z", "", 31) == "2026-02-28T00:00:00Z 2026-03-31T00:00:00Z");
  CHECK(PeriodOf("2026-03-31T00:00:00Z", "", 31) == "2026-03-31T00:00:00Z 2026-04-30T00:00:00Z");
  CHECK(PeriodOf("2026-01-14T23:00:00Z", "", 15) == "2025-12-15T00:00:00Z 2026-01-15T00:00:00Z");
  CHECK(PeriodOf("2026-02-10T00:00:00Z", "", 1) == "2026-02-01T00:00:00Z 2026-03-01T00:00:00Z");
  // Local midnight in the tenant's zone: Tokyo is 9 hours ahead of UTC.
  CHECK(PeriodOf("2026-02-14T15:00:00Z", "Asia/Tokyo", 15) == "2026-02-14T15:00:00Z 2026-03-14T15:00:00Z");
  CHECK(PeriodOf("2026-02-14T14:59:59Z", "Asia/Tokyo", 15) == "2026-01-14T15:00:00Z 2026-02-14T15:00:00Z");
  CHECK(StartingIn("2026-03", "Asia/Kolkata", 31) == "2026-03-30T18:30:00Z 2026-04-29T18:30:00Z");
  // Across a daylight-saving change the period still runs midnight to midnight.
  CHECK(StartingIn("2026-03", "Europe/Berlin", 15) == "2026-03-14T23:00:00Z 2026-04-14T22:00:00Z");
}

TEST_CASE("time.billing_period_refusals") {
  CHECK(!BillingPeriodOf(0, "", 0).ok());
  CHECK(!BillingPeriodOf(0, "", 32).ok());
  CHECK(!BillingPeriodStartingIn("2026-13", "", 1).ok());
  CHECK(!BillingPeriodStartingIn("2026-02", "Mars/Base", 1).ok());
  // Calendar months are billing day 1.
  CHECK(Show(*MonthOf(*ParseRfc3339("2026-02-10T00:00:00Z"))) == StartingIn("2026-02", "", 1));
}

TEST_CASE("time.a_bare_date_for_a_tenant_is_local_midnight") {
  CHECK(FormatRfc3339(*ParseTimeIn("2026-02-15", "Asia/Tokyo")) == "2026-02-14T15:00:00Z");
  CHECK(FormatRfc3339(*ParseTimeIn("2026-02-15", "")) == "2026-02-15T00:00:00Z");
  CHECK(FormatRfc3339(*ParseTimeIn("2026-02-15T10:30:00Z", "Asia/Tokyo")) == "2026-02-15T10:30:00Z");
  CHECK(!ParseTimeIn("2026-02-30", "Asia/Tokyo").ok());
  auto d = LocalDateOf(*ParseRfc3339("2026-02-14T15:00:00Z"), "Asia/Tokyo");
  CHECK(d->day == 15);
}

TEST_CASE("time.civil_dates_print_as_iso_dates") {
  CHECK(FormatCivilDate(CivilFromDays(0)) == "1970-01-01");
  CHECK(FormatCivilDate(CivilFromDays(DaysFromCivil(2028, 2, 29))) == "2028-02-29");
  CHECK(FormatCivilDate({987, 3, 5}) == "0987-03-05");
  // The local date, not the UTC one: 23:30Z on Feb 28 is Mar 1 in Tokyo.
  auto tokyo = LocalDateOf(*ParseRfc3339("2026-02-28T23:30:00Z"), "Asia/Tokyo");
  REQUIRE(tokyo.ok());
  CHECK(FormatCivilDate(*tokyo) == "2026-03-01");
}

namespace meter {
namespace {

// The civil text of `t` by <chrono>'s calendar and fmt: what FormatRfc3339
// printed through fmt::format before it wrote its digits itself.
std::string ReferenceRfc3339(Timestamp t) {
  using namespace std::chrono;
  sys_time<milliseconds> tp{milliseconds{t}};
  auto day = floor<days>(tp);
  year_month_day ymd{day};
  hh_mm_ss hms{tp - day};
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                                hms.hours().count(), hms.minutes().count(), hms.seconds().count());
  if (hms.subseconds().count() != 0) out += fmt::format(".{:03}", hms.subseconds().count());
  return out + "Z";
}

TEST_CASE("time: FormatRfc3339 prints every time of years 0 to 9999 as the calendar says") {
  const Timestamp year0 = -62167219200000, after9999 = 253402300800000;
  for (Timestamp t : {year0, year0 + 1, Timestamp{-1}, Timestamp{0}, Timestamp{999}, Timestamp{1000},
                      after9999 - 1, Timestamp{1772409600000}, Timestamp{1772409600250}}) {
    CAPTURE(t);
    CHECK(FormatRfc3339(t) == ReferenceRfc3339(t));
  }
  uint64_t x = 88172645463325252ULL;  // xorshift: spread over the whole range, with and without milliseconds
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    Timestamp t = year0 + static_cast<Timestamp>(x % static_cast<uint64_t>(after9999 - year0));
    if (i % 2) t -= t % 1000;
    CAPTURE(t);
    CHECK(FormatRfc3339(t) == ReferenceRfc3339(t));
  }
}

}  // namespace
}  // namespace meter
