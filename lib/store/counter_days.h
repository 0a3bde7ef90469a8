// The counters' storage codec: one row per (tenant, meter, UTC day) holds
// that day's hourly counters (usage_counter_days.data) or the distinct
// values of its hours (usage_unique_days.data) as TEXT. This unit alone
// encodes, decodes and merges them; CounterStore and EventStore only move
// the text.
//
// `day` is the day's first instant in milliseconds since the epoch (a
// multiple of kDayMs, DayOf); an hour is stored as its index in the day,
// 0-23. Integers are decimal ASCII, '-' for negatives, no leading zeros.
//
// Counters: one entry per hour, hours ascending, no hour twice:
//   <hour index>:<value>:<events>:<latest_ts>;
// latest_ts empty when the row has none (add and max meters; NULL in the
// old hourly table). "3:1500000:2:;17:7:1:1770112800000;"
//
// Distinct values: one entry per hour that has values, hours ascending:
//   <hour index>:  then per value  <byte length>:<bytes>  then  ;
// values distinct and in ascending byte order. A value is never escaped:
// its length says where it ends, so ':' ';' digits and any UTF-8 are kept
// as they are, and an empty value is "0:". "2:1:a3:b;c;5:"
//
// The encodings are canonical: equal counters are equal bytes on every
// backend (the crash tests compare tables).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "store/event_store.h"

namespace meter::store::counter_days {

inline constexpr Timestamp kHourMs = 3600000;
inline constexpr Timestamp kDayMs = 24 * kHourMs;

// The UTC day holding `t` (floored, also before 1970), as stored in `day`.
inline Timestamp DayOf(Timestamp t) {
  Timestamp d = t / kDayMs * kDayMs;
  return d > t ? d - kDayMs : d;
}

// One hour's counter: `hour` the hour's first instant.
struct CounterHour {
  Timestamp hour = 0;
  int64_t value = 0;
  int64_t events = 0;
  std::optional<Timestamp> latest_ts;
  bool operator==(const CounterHour&) const = default;
};

// One distinct value of an hour; `value` a view (into the decoded text, or
// the caller's).
struct UniqueHour {
  Timestamp hour = 0;
  std::string_view value;
  bool operator==(const UniqueHour&) const = default;
};

// `hours`: sorted by hour, each hour once, all inside day `day`. The
// overloads with *out replace its contents, keeping its capacity.
void EncodeCounters(Timestamp day, const std::vector<CounterHour>& hours, std::string* out);
inline std::string EncodeCounters(Timestamp day, const std::vector<CounterHour>& hours) {
  std::string out;
  return EncodeCounters(day, hours, &out), out;
}
// `values`: sorted by (hour, value in byte order), each pair once, all in `day`.
void EncodeUniques(Timestamp day, const std::vector<UniqueHour>& values, std::string* out);
inline std::string EncodeUniques(Timestamp day, const std::vector<UniqueHour>& values) {
  std::string out;
  return EncodeUniques(day, values, &out), out;
}

// The rows of `data` (stored for `day`), appended to *out in stored order.
// DataError when `data` is not an encoding this unit wrote.
Status DecodeCounters(Timestamp day, std::string_view data, std::vector<CounterHour>* out);
// Views into `data`, which must outlive them.
Status DecodeUniques(Timestamp day, std::string_view data, std::vector<UniqueHour>* out);

// Merges one hour's delta `d` into `stored` (the same hour) the way
// today's ingest always has: kAdd sums value and events; kMax keeps the
// larger value and sums events; kLatest keeps the value with the greatest
// (latest_ts, value), a stored row without latest_ts losing to any, and
// sums events. DataError when a sum passes int64 (nothing is changed then).
Status Merge(CounterMerge merge, const CounterHour& d, CounterHour* stored);

// *stored (sorted by hour) with `deltas` (sorted by hour, each hour once)
// merged in by `merge`: hours absent from *stored are added as given.
Status MergeCounters(CounterMerge merge, const std::vector<CounterHour>& deltas, std::vector<CounterHour>* stored);

// The sorted union of `a` and `b` (each sorted, no pair twice) into *out.
void MergeUniques(const std::vector<UniqueHour>& a, const std::vector<UniqueHour>& b, std::vector<UniqueHour>* out);

// The same on the stored texts of one day: `add` merged into `stored`
// (either may be empty), the result's text into *out.
Status MergeCounterText(CounterMerge merge, std::string_view stored, std::string_view add, std::string* out);
Status MergeUniqueText(std::string_view stored, std::string_view add, std::string* out);

}  // namespace meter::store::counter_days
