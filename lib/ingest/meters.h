// The one definition of a meter (SPEC 2): which events it reads, which value
// it takes from each (MeterEvaluator), and how those values combine
// (MeterValue). Every count of usage goes through these two: ingest's hourly
// counters, `quota reserve`, exact quantities over partial hours
// (usage/quantity.h), roll-up verification, reports split by operation or
// user, and simulate under another catalog. lib/store only merges rows these
// produced (store::CounterMerge, chosen by MergeFor).
//
// A meter reads the events whose metric equals its `event` and that pass all
// of its `where` conditions. Its `value` field ("quantity", "latency_ms",
// "cost", a native text field, or "properties.<name>", nested names with
// dots) gives the number for sum / max / latest and the text for
// unique_count; count meters count matching events whatever their value.
// An event that lacks a meter's value field does not contribute to that
// meter; one whose value field is present but not a non-negative number with
// at most 6 decimal places is refused as a whole.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/event.h"
#include "core/status.h"
#include "core/time.h"
#include "store/event_store.h"

namespace meter::ingest {

struct Contribution {
  const catalog::Meter* meter = nullptr;
  // sum: the value to add; count: 1000000; max / latest: the value. In
  // millionths of a unit.
  int64_t micros = 0;
  // unique_count: the distinct value's text.
  std::string unique;
};

class MeterEvaluator {
 public:
  // Keeps pointers to `catalog`'s meters, which must outlive the evaluator.
  explicit MeterEvaluator(const catalog::Catalog& catalog);
  // The same for some meters only (each must outlive the evaluator).
  explicit MeterEvaluator(const std::vector<const catalog::Meter*>& meters);
  ~MeterEvaluator();
  MeterEvaluator(const MeterEvaluator&) = delete;
  MeterEvaluator& operator=(const MeterEvaluator&) = delete;

  // True when some meter reads events of `metric`.
  bool KnowsMetric(std::string_view metric) const;

  // Replaces `out` with the contributions of `e`, one per meter it feeds.
  // DataError naming the field and the meter when a value field is present
  // but unusable ("properties.tokens 'abc' is not a number (read by meter
  // 'llm_tokens')"), or when properties is not valid JSON.
  Status Evaluate(const EventView& e, std::vector<Contribution>* out);
  Status Evaluate(const Event& e, std::vector<Contribution>* out) { return Evaluate(ViewOf(e), out); }

  // Fields beyond the meters' own, read by the same rules as `where` (charge
  // filters and groups, SPEC 10): compiled once by name (AddField returns
  // its id), then read from the event last given to Evaluate, whose buffers
  // must still be alive (the view itself is copied, so the temporary
  // Evaluate(const Event&) makes is safe).
  // DataError when its properties are not valid JSON.
  size_t AddField(const std::string& name);
  // True when field `id` is present and equals one of `values` (numbers as numbers).
  Result<bool> FieldIn(size_t id, const std::vector<std::string>& values);
  // The field's text (strings unescaped, numbers as written); nullopt when absent or null.
  Result<std::optional<std::string>> FieldText(size_t id);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What one stored counter or roll-up bucket holds, an int64 of millionths,
// as error messages name it.
inline constexpr std::string_view kCounterCapacity = "9,223,372,036,854.775807 units";

// Folds a new value `micros` seen at `ts` into an accumulated `*value`
// (latest meters: with `*latest_ts`) by aggregation `a`: sum and count add,
// max keeps the larger, latest keeps the value with the greatest (time,
// value), so equal times keep the larger value whatever the arrival order.
// `fresh`: nothing accumulated yet. Not for unique_count (sets, see
// MeterValue). False, leaving `*value` as it was, when a sum would pass what
// V holds: an hour's counter is an int64 of millionths (9,223,372,036,854
// units), a MeterValue's total a 128-bit one.
template <typename V>
[[nodiscard]] bool Combine(catalog::Aggregation a, V micros, Timestamp ts, bool fresh, V* value, Timestamp* latest_ts);

// The text that identifies how a meter selects, reads and combines events
// (event, where, value, aggregation): counters and roll-up buckets built
// under another text are rebuilt.
std::string MeterDefinition(const catalog::Meter& m);

// How stored hourly counter rows of a meter merge (the SQL lib/store runs
// for Combine's rule).
store::CounterMerge MergeFor(catalog::Aggregation a);

// A meter's value over some events: contributions, or partial results
// already combined (an hourly counter, another MeterValue), folded by the
// meter's aggregation with Combine. unique_count keeps the distinct values.
class MeterValue {
 public:
  explicit MeterValue(catalog::Aggregation a) : aggregation_(a) {}

  // What one event contributed, at its time `ts`.
  void Add(const Contribution& c, Timestamp ts);
  // A partial result of `events` events: `micros` (latest meters: the value
  // kept, from an event at `latest_ts`). Not for unique_count.
  void AddPartial(int64_t micros, int64_t events, Timestamp latest_ts);
  // Distinct values of a unique_count meter, with the events behind them.
  void AddUniques(const std::vector<std::string>& values, int64_t events);
  void Merge(const MeterValue& other);

  catalog::Aggregation aggregation() const { return aggregation_; }
  // True when no event contributed.
  bool empty() const { return events_ == 0 && uniques_.empty(); }
  int64_t events() const { return events_; }
  Timestamp latest_ts() const { return latest_ts_; }
  // In millionths of a unit; unique_count: the number of distinct values * 10^6.
  // DataError when the total passes an int64 (kCounterCapacity), what a
  // stored counter or roll-up bucket holds.
  Result<int64_t> micros() const;
  // The meter's value (0 when empty), exact whatever the total (up to
  // Decimal's range).
  Decimal value() const;
  const std::set<std::string>& uniques() const { return uniques_; }

 private:
  void AddWide(__int128 micros, int64_t events, Timestamp latest_ts);
  __int128 WideMicros() const;

  catalog::Aggregation aggregation_;
  __int128 value_ = 0;
  int64_t events_ = 0;
  Timestamp latest_ts_ = 0;
  bool has_value_ = false;
  std::set<std::string> uniques_;
};

}  // namespace meter::ingest
