// ReportStore: reads of stored raw events, for what the hourly counters of
// counter_store.h cannot answer alone: the partial hours at the ends of a
// period (usage/quantity.h), charge filters and groups, recounts, roll-up
// verification, and the insight commands' per-operation and per-user splits,
// latencies, statuses and costs. Voided events are never returned.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::store {

// Which stored events to read. Every field narrows the selection.
struct EventQuery {
  std::string tenant;                // "" = every tenant
  Period period;                     // events with period.start <= ts < period.end
  std::vector<std::string> metrics;  // empty = every metric
  // Only completed or failed operations: a non-empty `operation`, a status
  // other than "started" and a metric other than "operation_start" (SPEC 3:
  // operation-start events are not operations).
  bool operations_only = false;
  // Only events stored up to this seq (roll-up verification); nullopt: all.
  std::optional<int64_t> upto_seq = std::nullopt;
  // Read the rows in storage (seq) order: for a pass over a large share of
  // the events of a span (every tenant's month), whose rows lie scattered
  // when events did not arrive in time order. The events_ts index finds
  // them; taking them in time order would cost one random table read each
  // (10 K tenants' month, 1.78 M events: ~9 CPU s instead of ~3).
  bool storage_order = false;
  // With `tenant` "": only these tenants' events when not empty (a few of
  // many, such as the tenants with late usage): the events_ts index holds
  // tenant_id, so the other tenants' rows are never read.
  std::vector<std::string> tenants = {};
};

// Reads only; keeps no state beyond the Database it is given.
class ReportStore {
 public:
  explicit ReportStore(Database& db) : db_(db) {}

  // Calls `fn` once per stored event matching `q` that is not voided, in no
  // particular order, with the event as ingest recorded it (quantity in
  // millionths, optional fields empty when absent). Stops at and returns the first non-OK status
  // `fn` returns; SQLite failures become Busy/IOError statuses.
  Status ForEachEvent(const EventQuery& q, const std::function<Status(const Event&)>& fn);

 private:
  Database& db_;
};

}  // namespace meter::store
