// ReportStore: the raw-event reads of the insight commands (report usage by
// operation or user, report analytics, simulate under another catalog's
// meters). Quantities per meter and period are read from the hourly counters
// of counter_store.h instead; this store is for questions the counters cannot
// answer: per-operation and per-user splits, latencies, statuses and costs.
#pragma once

#include <functional>
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
};

// Reads only; keeps no state beyond the Database it is given.
class ReportStore {
 public:
  explicit ReportStore(Database& db) : db_(db) {}

  // Calls `fn` once per stored event matching `q`, in no particular order,
  // with the event as ingest recorded it (quantity in millionths, optional
  // fields empty when absent). Stops at and returns the first non-OK status
  // `fn` returns; SQLite failures become Busy/IOError statuses.
  Status ForEachEvent(const EventQuery& q, const std::function<Status(const Event&)>& fn);

 private:
  Database& db_;
};

}  // namespace meter::store
