// CounterStore: the per-tenant, per-meter hourly counters that ingest keeps in
// the same transaction as the events they count, stored one row per tenant,
// meter and UTC day (tables usage_counter_days and usage_unique_days, the
// day's hours in the text of counter_days.h; EventStore writes them). Reads
// combine the hours of whole hours the way the meter's aggregation says
// (CounterMerge, chosen by ingest::MergeFor); usage/quantity.h adds the raw
// events of partial hours, so every consumer asks there, not here, for a
// quantity over a period.
//
// A read costs at most one row per day of the range (a month: ~31), whatever
// the number of events.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "store/database.h"
#include "store/event_store.h"

namespace meter::store {

// Counter values are stored as integer millionths of a unit.
constexpr int kQuantityPlaces = 6;

// Counters of whole hours combined: `value` in millionths (kAdd: the sum,
// an IOError past int64; kMax: the largest; kLatest: the value with the
// greatest (latest_ts, value), an hour without latest_ts below any);
// `events` 0 when no hour was found.
struct CounterTotal {
  int64_t value = 0;
  int64_t events = 0;
  Timestamp latest_ts = 0;
};

// One hour's counter (latest_ts 0 when it has none), and one distinct value
// of an hour.
struct CounterRow {
  Timestamp hour = 0;
  int64_t value = 0;
  int64_t events = 0;
  Timestamp latest_ts = 0;
};
struct UniqueRow {
  Timestamp hour = 0;
  std::string value;
};

class CounterStore {
 public:
  explicit CounterStore(Database& db) : db_(db) {}

  // The rows of `meter` for `tenant` with hour in [hours.start, hours.end)
  // combined by `merge`.
  Result<CounterTotal> Total(const std::string& tenant, const std::string& meter, CounterMerge merge,
                             const Period& hours);
  // The same for every tenant with rows in the range (others absent), in one pass.
  Result<std::map<std::string, CounterTotal>> Totals(const std::string& meter, CounterMerge merge,
                                                     const Period& hours);

  // unique_count meters: how many distinct values `tenant` has in the hours
  // of [hours.start, hours.end), and which.
  Result<int64_t> DistinctCount(const std::string& tenant, const std::string& meter, const Period& hours);
  Result<std::vector<std::string>> DistinctValues(const std::string& tenant, const std::string& meter,
                                                  const Period& hours);
  Result<std::map<std::string, std::vector<std::string>>> DistinctValuesByTenant(const std::string& meter,
                                                                                 const Period& hours);

  // The hours themselves, oldest first (values of an hour in byte order),
  // for roll-ups that fold them into buckets of their own.
  Result<std::vector<CounterRow>> Rows(const std::string& tenant, const std::string& meter, const Period& hours);
  Result<std::vector<UniqueRow>> UniqueRows(const std::string& tenant, const std::string& meter, const Period& hours);

  // Recounts: replaces the hour of (tenant, meter) with `t` (removed when
  // t.events is 0; t.latest_ts 0 stores none), or the distinct values of
  // that hour with `values`, rewriting the hour's day row (deleted once it
  // holds no hour). Join the caller's transaction.
  Status ReplaceHour(const std::string& tenant, const std::string& meter, Timestamp hour, const CounterTotal& t);
  Status ReplaceUniques(const std::string& tenant, const std::string& meter, Timestamp hour,
                        const std::vector<std::string>& values);
  // Deletes every counter and distinct value of `meter` with an hour in
  // `hours`, for every tenant (before recounting them).
  Status DeleteRange(const std::string& meter, const Period& hours);

  // The meter definition each meter's counters were built with
  // (ingest::MeterDefinition), by meter key; empty when none was recorded.
  Result<std::map<std::string, std::string>> Definitions();
  Status SetDefinition(const std::string& meter, const std::string& definition);
  // Deletes a meter's counters, distinct values and definition.
  Status ForgetMeter(const std::string& meter);

 private:
  Database& db_;
};

}  // namespace meter::store
