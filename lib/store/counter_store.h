// CounterStore: the per-tenant, per-meter usage counters that ingest keeps in
// the same transaction as the events they count (tables usage_counters and
// usage_uniques), and the reads every consumer shares: quota checks, alerts,
// invoices and reports all ask "how much of meter M did tenant T use in
// period P" here, so they can never disagree.
//
// Counters are hourly, so any period made of whole UTC hours (days, calendar
// months in UTC or in a whole-hour time zone) is answered exactly, and a read
// costs at most one row per hour of the period, whatever the number of events.
#pragma once

#include <map>
#include <string>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::store {

// Counter values are stored as integer millionths of a unit.
constexpr int kQuantityPlaces = 6;

class CounterStore {
 public:
  explicit CounterStore(Database& db) : db_(db) {}

  // The meter's value for `tenant` over `period`: sum and count -> the total;
  // max -> the largest value; latest -> the value of the latest event;
  // unique_count -> the number of distinct values. Zero when nothing was
  // recorded.
  Result<Decimal> MeterValue(const std::string& tenant, const catalog::Meter& meter, const Period& period);

  // The same for every tenant with usage in the period (tenants without usage
  // are absent), in one pass: for invoices and reports over many tenants.
  Result<std::map<std::string, Decimal>> MeterValues(const catalog::Meter& meter, const Period& period);

 private:
  Database& db_;
};

}  // namespace meter::store
