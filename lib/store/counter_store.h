// CounterStore: the per-tenant, per-meter hourly counters that ingest keeps in
// the same transaction as the events they count (tables usage_counters and
// usage_uniques; EventStore writes them). Reads combine the rows of whole
// hours the way the meter's aggregation says (CounterMerge, chosen by
// ingest::MergeFor); usage/quantity.h adds the raw events of partial hours,
// so every consumer asks there, not here, for a quantity over a period.
//
// A read costs at most one row per hour of the range, whatever the number
// of events.
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

// Counter rows of whole hours combined: `value` in millionths (kAdd: the
// sum; kMax: the largest; kLatest: the value with the greatest (latest_ts,
// value)); `events` 0 when no row was found.
struct CounterTotal {
  int64_t value = 0;
  int64_t events = 0;
  Timestamp latest_ts = 0;
};

// One stored hourly counter row, and one distinct value of an hour.
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

  // The rows themselves, oldest hour first, for roll-ups that fold them
  // into buckets of their own.
  Result<std::vector<CounterRow>> Rows(const std::string& tenant, const std::string& meter, const Period& hours);
  Result<std::vector<UniqueRow>> UniqueRows(const std::string& tenant, const std::string& meter, const Period& hours);

  // Recounts: replaces the row of (tenant, meter, hour) with `t` (deleted
  // when t.events is 0), or the distinct values of that hour with `values`.
  // Join the caller's transaction.
  Status ReplaceHour(const std::string& tenant, const std::string& meter, Timestamp hour, const CounterTotal& t);
  Status ReplaceUniques(const std::string& tenant, const std::string& meter, Timestamp hour,
                        const std::vector<std::string>& values);
  // Deletes every counter row and distinct value of `meter` with an hour in
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
