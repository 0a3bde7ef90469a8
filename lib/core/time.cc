#include "core/time.h"
#include "core/local_date.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <mutex>

#include <fmt/format.h>

namespace meter {
namespace {

bool ParseDigits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

Status BadTime(std::string_view text) {
  return Status::DataError(fmt::format("timestamp '{}' is not a valid time", text));
}

bool IsAllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

// Offset east of UTC, in milliseconds, of zone `tz` at UTC instant t.
Result<int64_t> ZoneOffsetAt(Timestamp t, std::string_view tz);

}  // namespace

int64_t DaysFromCivil(int y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

CivilDate CivilFromDays(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return CivilDate{static_cast<int>(y + (m <= 2)), m, d};
}

int DaysInMonth(int year, unsigned month) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2) {
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return leap ? 29 : 28;
  }
  return kDays[month - 1];
}

Result<Timestamp> ParseRfc3339(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (s.size() < 20 || !ParseDigits(s, 0, 4, &year) || s[4] != '-' ||
      !ParseDigits(s, 5, 2, &month) || s[7] != '-' || !ParseDigits(s, 8, 2, &day) ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !ParseDigits(s, 11, 2, &hour) ||
      s[13] != ':' || !ParseDigits(s, 14, 2, &minute) || s[16] != ':' ||
      !ParseDigits(s, 17, 2, &second))
    return BadTime(s);
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 60)
    return BadTime(s);
  if (second == 60) second = 59;  // a leap second is held at :59
  size_t pos = 19;
  int64_t millis = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    int64_t frac = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 3) frac = frac * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return BadTime(s);
    for (size_t i = digits; i < 3; ++i) frac *= 10;
    millis = frac;  // finer digits are truncated: storage is millisecond precision
  }
  if (pos >= s.size()) return BadTime(s);
  int64_t offset_minutes = 0;
  if (s[pos] == 'Z' || s[pos] == 'z') {
    ++pos;
  } else if (s[pos] == '+' || s[pos] == '-') {
    int oh, om;
    if (!ParseDigits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !ParseDigits(s, pos + 4, 2, &om) || oh > 23 || om > 59)
      return BadTime(s);
    offset_minutes = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return BadTime(s);
  }
  if (pos != s.size()) return BadTime(s);
  int64_t days = DaysFromCivil(year, month, day);
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return secs * kMillisPerSecond + millis;
}

Timestamp FromUnixNumber(int64_t n) {
  constexpr int64_t kSecondsCutoff = 100000000000LL;  // 1e11
  if (n > -kSecondsCutoff && n < kSecondsCutoff) return n * kMillisPerSecond;
  return n;
}

Result<Timestamp> ParseTimeArg(std::string_view text) { return ParseTimeIn(text, ""); }

std::string FormatRfc3339(Timestamp t) {
  int64_t days = t >= 0 ? t / kMillisPerDay : -((-t + kMillisPerDay - 1) / kMillisPerDay);
  int64_t rem = t - days * kMillisPerDay;
  CivilDate c = CivilFromDays(days);
  int64_t ms = rem % 1000, s = rem / 1000;
  if (c.year < 0 || c.year > 9999) {
    std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", c.year, c.month, c.day,
                                  s / 3600, (s / 60) % 60, s % 60);
    if (ms != 0) out += fmt::format(".{:03}", ms);
    out += 'Z';
    return out;
  }
  // Years 0-9999 digit by digit, the same text as the format above: invoice
  // JSON prints about ten times per invoice, and fmt::format took 4 % of
  // invoice generate's instructions.
  char buf[24];
  auto digits = [&buf](int at, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i, v /= 10) buf[at + i] = static_cast<char>('0' + v % 10);
  };
  digits(0, c.year, 4);
  buf[4] = '-';
  digits(5, c.month, 2);
  buf[7] = '-';
  digits(8, c.day, 2);
  buf[10] = 'T';
  digits(11, s / 3600, 2);
  buf[13] = ':';
  digits(14, (s / 60) % 60, 2);
  buf[16] = ':';
  digits(17, s % 60, 2);
  size_t n = 19;
  if (ms != 0) {
    buf[n++] = '.';
    digits(20, ms, 3);
    n += 3;
  }
  buf[n++] = 'Z';
  return std::string(buf, n);
}

std::string FormatDate(Timestamp t) { return FormatRfc3339(t).substr(0, 10); }

std::string FormatCivilDate(const CivilDate& d) { return fmt::format("{:04}-{:02}-{:02}", d.year, d.month, d.day); }

Period HourOf(Timestamp t) {
  Timestamp start = t - (((t % kMillisPerHour) + kMillisPerHour) % kMillisPerHour);
  return {start, start + kMillisPerHour};
}

Period DayOf(Timestamp t) {
  Timestamp start = t - (((t % kMillisPerDay) + kMillisPerDay) % kMillisPerDay);
  return {start, start + kMillisPerDay};
}

namespace {

bool IsUtc(std::string_view tz) { return tz.empty() || tz == "UTC" || tz == "Z" || tz == "Etc/UTC"; }

// Fixed offsets "+05:30" / "-08:00".
bool ParseFixedOffset(std::string_view tz, int64_t* offset_ms) {
  int h, m;
  if (tz.size() != 6 || (tz[0] != '+' && tz[0] != '-') || !ParseDigits(tz, 1, 2, &h) ||
      tz[3] != ':' || !ParseDigits(tz, 4, 2, &m) || h > 23 || m > 59)
    return false;
  *offset_ms = (h * 60 + m) * kMillisPerMinute * (tz[0] == '-' ? -1 : 1);
  return true;
}

std::mutex tz_mutex;

// True when `tz` names a compiled zone file under /usr/share/zoneinfo ("TZif"
// magic): not a directory ("."), not a path out of it, and nothing glibc would
// read as a path of its own (a leading '/' or ':') once it is put in $TZ.
bool IsZoneName(std::string_view tz) {
  if (tz.empty() || tz.front() == '/' || tz.front() == ':' || tz.find("..") != std::string_view::npos) return false;
  std::string path = "/usr/share/zoneinfo/" + std::string(tz);
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return false;
  char magic[4] = {};
  bool is_zone = std::fread(magic, 1, sizeof magic, f) == sizeof magic && std::memcmp(magic, "TZif", 4) == 0;
  std::fclose(f);
  return is_zone;
}

Result<int64_t> ZoneOffsetAt(Timestamp t, std::string_view tz) {
  if (IsUtc(tz)) return int64_t{0};
  int64_t fixed;
  if (ParseFixedOffset(tz, &fixed)) return fixed;
  if (!IsZoneName(tz)) return Status::InvalidArgument(fmt::format("unknown time zone '{}'", tz));
  // localtime_r reads $TZ; the process is switched to the zone only for the
  // duration of this call, under a lock.
  std::lock_guard<std::mutex> lock(tz_mutex);
  const char* old = std::getenv("TZ");
  std::string saved = old ? old : "";
  setenv("TZ", std::string(tz).c_str(), 1);
  tzset();
  std::time_t secs = static_cast<std::time_t>(t / 1000);
  std::tm local{};
  localtime_r(&secs, &local);
  long offset = local.tm_gmtoff;
  if (old) setenv("TZ", saved.c_str(), 1); else unsetenv("TZ");
  tzset();
  return static_cast<int64_t>(offset) * kMillisPerSecond;
}

}  // namespace

Result<Timestamp> LocalMidnight(int64_t days, std::string_view tz) {
  Timestamp guess = days * kMillisPerDay;
  METER_ASSIGN_OR_RETURN(int64_t off1, ZoneOffsetAt(guess, tz));
  Timestamp t = guess - off1;
  METER_ASSIGN_OR_RETURN(int64_t off2, ZoneOffsetAt(t, tz));
  return guess - off2;
}

Result<CivilDate> LocalDateOf(Timestamp t, std::string_view tz) {
  METER_ASSIGN_OR_RETURN(int64_t off, ZoneOffsetAt(t, tz));
  Timestamp local = t + off;
  int64_t days = local >= 0 ? local / kMillisPerDay : -((-local + kMillisPerDay - 1) / kMillisPerDay);
  return CivilFromDays(days);
}

namespace {

// The civil day (days since 1970-01-01) "YYYY-MM-DD" names; nullopt for other
// text and impossible dates. The one reader of a bare date.
std::optional<int64_t> ParseCivilDay(std::string_view text) {
  int y, m, d;
  if (text.size() != 10 || !ParseDigits(text, 0, 4, &y) || text[4] != '-' || !ParseDigits(text, 5, 2, &m) ||
      text[7] != '-' || !ParseDigits(text, 8, 2, &d) || m < 1 || m > 12 || d < 1 ||
      d > DaysInMonth(y, static_cast<unsigned>(m)))
    return std::nullopt;
  return DaysFromCivil(y, static_cast<unsigned>(m), static_cast<unsigned>(d));
}

}  // namespace

Result<Timestamp> ParseTimeIn(std::string_view text, std::string_view tz) {
  if (IsAllDigits(text) && text.size() <= 18) return FromUnixNumber(std::stoll(std::string(text)));
  if (text.size() == 10) {
    std::optional<int64_t> day = ParseCivilDay(text);
    if (day) return LocalMidnight(*day, tz);
    return BadTime(text);
  }
  return ParseRfc3339(text);
}

Status ValidateTimeZone(std::string_view tz) {
  auto r = ZoneOffsetAt(0, tz);
  return r.ok() ? Status::OK() : r.status();
}

namespace {

struct YearMonth {
  int year;
  unsigned month;
  YearMonth Next() const { return month == 12 ? YearMonth{year + 1, 1} : YearMonth{year, month + 1}; }
  YearMonth Prev() const { return month == 1 ? YearMonth{year - 1, 12} : YearMonth{year, month - 1}; }
};

// The civil day (days since the epoch) a period anchored on `billing_day`
// starts in month `ym`: the day, clamped to the month's last.
int64_t AnchorDay(YearMonth ym, int billing_day) {
  unsigned day = static_cast<unsigned>(std::min(billing_day, DaysInMonth(ym.year, ym.month)));
  return DaysFromCivil(ym.year, ym.month, day);
}

Result<Period> PeriodStartingIn(YearMonth ym, std::string_view tz, int billing_day) {
  METER_ASSIGN_OR_RETURN(Timestamp start, LocalMidnight(AnchorDay(ym, billing_day), tz));
  METER_ASSIGN_OR_RETURN(Timestamp end, LocalMidnight(AnchorDay(ym.Next(), billing_day), tz));
  return Period{start, end};
}

Status CheckBillingDay(int billing_day) {
  if (billing_day < 1 || billing_day > 31)
    return Status::InvalidArgument(fmt::format("billing day {} is not from 1 to 31", billing_day));
  return Status::OK();
}

}  // namespace

Result<Timestamp> LocalDateStart(std::string_view date, std::string_view tz) {
  std::optional<int64_t> day = ParseCivilDay(date);
  if (!day) return Status::InvalidArgument(fmt::format("'{}' is not a date (YYYY-MM-DD)", date));
  return LocalMidnight(*day, tz);
}

Result<Period> BillingPeriodOf(Timestamp t, std::string_view tz, int billing_day) {
  METER_RETURN_IF_ERROR(CheckBillingDay(billing_day));
  METER_ASSIGN_OR_RETURN(CivilDate c, LocalDateOf(t, tz));
  YearMonth ym{c.year, c.month};
  if (DaysFromCivil(c.year, c.month, c.day) < AnchorDay(ym, billing_day)) ym = ym.Prev();
  METER_ASSIGN_OR_RETURN(Period p, PeriodStartingIn(ym, tz, billing_day));
  // Where a zone skips local midnight the period's edges move with it; t then
  // belongs to the neighbouring period.
  if (t < p.start) return PeriodStartingIn(ym.Prev(), tz, billing_day);
  if (t >= p.end) return PeriodStartingIn(ym.Next(), tz, billing_day);
  return p;
}

Result<Period> BillingPeriodStartingIn(std::string_view s, std::string_view tz, int billing_day) {
  METER_RETURN_IF_ERROR(CheckBillingDay(billing_day));
  int y, m;
  if (s.size() != 7 || !ParseDigits(s, 0, 4, &y) || s[4] != '-' || !ParseDigits(s, 5, 2, &m) ||
      m < 1 || m > 12)
    return Status::InvalidArgument(fmt::format("period '{}' is not a month (YYYY-MM)", s));
  return PeriodStartingIn(YearMonth{y, static_cast<unsigned>(m)}, tz, billing_day);
}

Result<Period> MonthOf(Timestamp t, std::string_view tz) { return BillingPeriodOf(t, tz, 1); }

Result<Period> ParseMonth(std::string_view s, std::string_view tz) { return BillingPeriodStartingIn(s, tz, 1); }

std::string FormatMonth(Timestamp start, std::string_view tz) {
  auto off = ZoneOffsetAt(start, tz);
  Timestamp local = start + (off.ok() ? *off : 0);
  return FormatRfc3339(local).substr(0, 7);
}

// The longest duration: 12 digits of milliseconds, which ParseDuration reads.
constexpr int64_t kMaxDurationMillis = 999'999'999'999;

Result<int64_t> ParseDuration(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
  std::string_view num = text.substr(0, i), unit = text.substr(i);
  if (num.empty() && !unit.empty()) num = "1";  // "per": "minute" style is written "1m"
  if (num.empty() || num.size() > 12)
    return Status::InvalidArgument(fmt::format("duration '{}' is not like 1s, 1m, 1h, 1d", text));
  int64_t n = std::stoll(std::string(num));
  int64_t mult = 0;
  if (unit == "ms") mult = 1;
  else if (unit == "s" || unit == "" || unit == "sec" || unit == "second") mult = kMillisPerSecond;
  else if (unit == "m" || unit == "min" || unit == "minute") mult = kMillisPerMinute;
  else if (unit == "h" || unit == "hour") mult = kMillisPerHour;
  else if (unit == "d" || unit == "day") mult = kMillisPerDay;
  if (mult == 0 || n <= 0)
    return Status::InvalidArgument(fmt::format("duration '{}' is not like 1s, 1m, 1h, 1d", text));
  // Checked before multiplying (no overflow), and kept to what reads back
  // when written in milliseconds, as the stored catalog writes it.
  if (n > kMaxDurationMillis / mult)
    return Status::InvalidArgument(fmt::format("duration '{}' is too long (at most 31 years)", text));
  return n * mult;
}

namespace {
struct ClockState {
  bool fixed = false;
  int64_t start_micros = 0;
  // Real time runs from the first reading, not from StartAt: the work a
  // process does before it first asks the time (opening and migrating the
  // database, a slow sanitizer build) varies from run to run, and two runs
  // given the same --now must read the same first instant.
  std::mutex mu;
  std::optional<std::chrono::steady_clock::time_point> started;  // at the first reading
};
ClockState& clock_state() {
  static ClockState s;
  return s;
}
}  // namespace

void Clock::StartAt(Timestamp start) {
  auto& s = clock_state();
  std::lock_guard<std::mutex> lock(s.mu);
  s.fixed = true;
  s.start_micros = start * 1000;
  s.started.reset();
}

int64_t Clock::NowMicros() {
  auto& s = clock_state();
  if (s.fixed) {
    auto now = std::chrono::steady_clock::now();
    std::lock_guard<std::mutex> lock(s.mu);
    if (!s.started) s.started = now;
    auto elapsed = now - *s.started;
    return s.start_micros + std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count();
  }
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Timestamp Clock::Now() { return NowMicros() / 1000; }

}  // namespace meter
