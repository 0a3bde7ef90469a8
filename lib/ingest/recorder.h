// EventRecorder: the one way usage enters the database. Ingest uses it for
// every accepted record; `quota reserve` uses it to record a reservation, so
// events and the counters quota checks read can never drift apart.
#pragma once

#include "catalog/catalog.h"
#include "core/status.h"
#include "ingest/event.h"
#include "store/database.h"

namespace meter::ingest {

class EventRecorder {
 public:
  // Records events of `catalog`'s meters into `db`. Use it inside
  // db.Transaction(): Record() inserts rows and buffers counter deltas, and
  // Flush() must run before that transaction commits.
  EventRecorder(store::Database& db, const catalog::Catalog& catalog);
  ~EventRecorder();

  // Inserts `e` unless an event with the same id was recorded before (then
  // returns false and counts nothing); otherwise buffers its contribution to
  // every meter it feeds (metric and `where` match) and returns true.
  Result<bool> Record(const UsageEvent& e);

  // Writes the buffered counter deltas (usage_counters, usage_uniques).
  Status Flush();

 private:
  struct Impl;
  Impl* impl_;
};

}  // namespace meter::ingest
