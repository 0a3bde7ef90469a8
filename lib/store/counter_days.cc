#include "store/counter_days.h"

#include <charconv>
#include <stdexcept>

namespace meter::store::counter_days {
namespace {

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr);
}

// Hours are whole hours of their day: anything else is a caller's bug.
int HourIndex(Timestamp day, Timestamp hour) {
  Timestamp offset = hour - day;
  if (offset < 0 || offset >= kDayMs || offset % kHourMs != 0)
    throw std::invalid_argument("counter_days: " + std::to_string(hour) + " is not an hour of day " +
                                std::to_string(day));
  return static_cast<int>(offset / kHourMs);
}

// Reads a decimal integer from text[*pos] up to `stop`, which it consumes.
bool ReadInt(std::string_view text, size_t* pos, char stop, int64_t* v) {
  const char* first = text.data() + *pos;
  const char* last = text.data() + text.size();
  auto r = std::from_chars(first, last, *v);
  if (r.ec != std::errc() || r.ptr == last || *r.ptr != stop) return false;
  *pos = static_cast<size_t>(r.ptr - text.data()) + 1;
  return true;
}

bool ReadHour(Timestamp day, std::string_view text, size_t* pos, Timestamp* hour) {
  int64_t h = 0;
  if (!ReadInt(text, pos, ':', &h) || h < 0 || h >= 24) return false;
  *hour = day + h * kHourMs;
  return true;
}

Status Corrupt(const char* what) { return Status::DataError(std::string("stored ") + what + " are not readable"); }

}  // namespace

void EncodeCounters(Timestamp day, const std::vector<CounterHour>& hours, std::string* out) {
  out->clear();
  out->reserve(hours.size() * 24);
  for (const CounterHour& h : hours) {
    AppendInt(out, HourIndex(day, h.hour));
    *out += ':';
    AppendInt(out, h.value);
    *out += ':';
    AppendInt(out, h.events);
    *out += ':';
    if (h.latest_ts) AppendInt(out, *h.latest_ts);
    *out += ';';
  }
}

void EncodeUniques(Timestamp day, const std::vector<UniqueHour>& values, std::string* out) {
  out->clear();
  size_t bytes = 0;
  for (const UniqueHour& u : values) bytes += u.value.size() + 4;
  out->reserve(bytes + 8);
  for (size_t i = 0; i < values.size(); ++i) {
    if (i == 0 || values[i].hour != values[i - 1].hour) {
      AppendInt(out, HourIndex(day, values[i].hour));
      *out += ':';
    }
    AppendInt(out, static_cast<int64_t>(values[i].value.size()));
    *out += ':';
    out->append(values[i].value);
    if (i + 1 == values.size() || values[i + 1].hour != values[i].hour) *out += ';';
  }
}

Status DecodeCounters(Timestamp day, std::string_view data, std::vector<CounterHour>* out) {
  size_t pos = 0;
  while (pos < data.size()) {
    CounterHour h;
    if (!ReadHour(day, data, &pos, &h.hour) || !ReadInt(data, &pos, ':', &h.value) ||
        !ReadInt(data, &pos, ':', &h.events))
      return Corrupt("counters");
    if (pos < data.size() && data[pos] == ';') {
      ++pos;
    } else {
      int64_t latest = 0;
      if (!ReadInt(data, &pos, ';', &latest)) return Corrupt("counters");
      h.latest_ts = latest;
    }
    out->push_back(h);
  }
  return Status::OK();
}

Status DecodeUniques(Timestamp day, std::string_view data, std::vector<UniqueHour>* out) {
  size_t pos = 0;
  while (pos < data.size()) {
    Timestamp hour = 0;
    if (!ReadHour(day, data, &pos, &hour)) return Corrupt("distinct values");
    do {
      int64_t n = 0;
      if (!ReadInt(data, &pos, ':', &n) || n < 0 || static_cast<uint64_t>(n) > data.size() - pos)
        return Corrupt("distinct values");
      out->push_back({hour, data.substr(pos, static_cast<size_t>(n))});
      pos += static_cast<size_t>(n);
      if (pos >= data.size()) return Corrupt("distinct values");
    } while (data[pos] != ';');
    ++pos;
  }
  return Status::OK();
}

Status Merge(CounterMerge merge, const CounterHour& d, CounterHour* stored) {
  int64_t events = 0, value = stored->value;
  bool overflow = __builtin_add_overflow(stored->events, d.events, &events);
  std::optional<Timestamp> latest = stored->latest_ts;
  switch (merge) {
    case CounterMerge::kAdd:
      overflow = overflow || __builtin_add_overflow(stored->value, d.value, &value);
      break;
    case CounterMerge::kMax:
      if (d.value > stored->value) value = d.value;
      break;
    case CounterMerge::kLatest: {
      Timestamp dt = d.latest_ts.value_or(0);
      if (!stored->latest_ts || dt > *stored->latest_ts || (dt == *stored->latest_ts && d.value > stored->value))
        value = d.value;
      if (!stored->latest_ts || dt > *stored->latest_ts) latest = d.latest_ts;
      break;
    }
  }
  if (overflow)
    return Status::DataError("integer overflow: an hour's stored counter would pass what a counter holds "
                             "(int64 millionths)");
  stored->value = value;
  stored->events = events;
  stored->latest_ts = latest;
  return Status::OK();
}

Status MergeCounters(CounterMerge merge, const std::vector<CounterHour>& deltas, std::vector<CounterHour>* stored) {
  std::vector<CounterHour> out;
  out.reserve(stored->size() + deltas.size());
  size_t i = 0, j = 0;
  while (i < stored->size() || j < deltas.size()) {
    if (j == deltas.size() || (i < stored->size() && (*stored)[i].hour < deltas[j].hour)) {
      out.push_back((*stored)[i++]);
    } else if (i == stored->size() || deltas[j].hour < (*stored)[i].hour) {
      out.push_back(deltas[j++]);
    } else {
      CounterHour h = (*stored)[i++];
      METER_RETURN_IF_ERROR(Merge(merge, deltas[j++], &h));
      out.push_back(h);
    }
  }
  *stored = std::move(out);
  return Status::OK();
}

void MergeUniques(const std::vector<UniqueHour>& a, const std::vector<UniqueHour>& b, std::vector<UniqueHour>* out) {
  out->clear();
  out->reserve(a.size() + b.size());
  auto less = [](const UniqueHour& x, const UniqueHour& y) {
    return x.hour != y.hour ? x.hour < y.hour : x.value < y.value;
  };
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && less(a[i], b[j]))) {
      out->push_back(a[i++]);
    } else if (i == a.size() || less(b[j], a[i])) {
      out->push_back(b[j++]);
    } else {
      out->push_back(a[i++]);
      ++j;
    }
  }
}

Status MergeCounterText(CounterMerge merge, std::string_view stored, std::string_view add, std::string* out) {
  // Hours are relative to the day: decoding and encoding both at 0 keeps them.
  thread_local std::vector<CounterHour> rows, more;
  rows.clear();
  more.clear();
  METER_RETURN_IF_ERROR(DecodeCounters(0, stored, &rows));
  METER_RETURN_IF_ERROR(DecodeCounters(0, add, &more));
  METER_RETURN_IF_ERROR(MergeCounters(merge, more, &rows));
  EncodeCounters(0, rows, out);
  return Status::OK();
}

Status MergeUniqueText(std::string_view stored, std::string_view add, std::string* out) {
  thread_local std::vector<UniqueHour> a, b, merged;
  a.clear();
  b.clear();
  METER_RETURN_IF_ERROR(DecodeUniques(0, stored, &a));
  METER_RETURN_IF_ERROR(DecodeUniques(0, add, &b));
  MergeUniques(a, b, &merged);
  EncodeUniques(0, merged, out);
  return Status::OK();
}

}  // namespace meter::store::counter_days
