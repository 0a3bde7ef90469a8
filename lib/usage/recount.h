// Recounting the hourly counters from the raw events, through the meters'
// one definition (ingest/meters.h): for events taken out of every count
// (voided) and for hours whose counters must be rebuilt.
#pragma once

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/event.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::usage {

// One hourly counter: a tenant's meter over the UTC hour starting at `hour`.
struct CounterHour {
  std::string tenant;
  const catalog::Meter* meter = nullptr;
  Timestamp hour = 0;
  friend bool operator==(const CounterHour&, const CounterHour&) = default;
};

// Replaces each hourly counter (or distinct-value set for unique_count
// meters; stored in day rows, store/counter_store.h) with a recount of the events of that tenant and hour
// that are not voided. Joins the caller's transaction.
Status RecountHours(store::Database& db, const std::vector<CounterHour>& hours);

// Takes voided events out of the hourly counters: call it in the transaction
// that set their events.voided_at, with the events as stored. Recounts every
// hour of every meter of `c` they fed, so sum, count, max, latest and
// unique_count all come out as if the events had never arrived, and so do
// the roll-up buckets `aggregate` already holds for those hours.
Status UncountVoided(store::Database& db, const catalog::Catalog& c, const std::vector<Event>& voided);

// Recounts every counter of `meters` with an hour in `span` (rounded out to
// whole hours), for every tenant, from the raw events in one pass: counters
// of hours without events are deleted. Joins the caller's transaction.
Status RecountRange(store::Database& db, const std::vector<const catalog::Meter*>& meters, const Period& span);

// Keeps the counters true to the catalog's meter definitions
// (ingest::MeterDefinition, stored per meter): a meter that is new or whose
// definition changed is recounted from all its raw events, and the counters
// of meters gone from the catalog are deleted. A database that never
// recorded definitions (made before they were kept) takes the catalog's as
// the ones its counters were built with. Call after applying a catalog;
// joins the caller's transaction. Returns the meters recounted.
Result<int64_t> SyncCounters(store::Database& db, const catalog::Catalog& c);

}  // namespace meter::usage
