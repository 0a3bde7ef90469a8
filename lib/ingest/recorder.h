// EventRecorder: the one way usage enters the database. Ingest uses it for
// every accepted record; `quota reserve` uses it to record a reservation, so
// events and the counters quota checks read can never drift apart.
//
// Ingest splits the work over two threads: EventStager checks events and
// stages them with the keys of their counter deltas (no database),
// EventRecorder::Write writes what was staged and sums the deltas by key.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "catalog/catalog.h"
#include "core/event.h"
#include "core/status.h"
#include "ingest/delta_buffer.h"
#include "ingest/meters.h"
#include "ingest/staged_events.h"
#include "store/database.h"

namespace meter::ingest {

// The checking half of recording: what an event contributes to the meters,
// without touching the database, so that it can run on another thread than
// the writes. `catalog` must outlive the stager.
class EventStager {
 public:
  explicit EventStager(const catalog::Catalog& catalog) : meters_(catalog) {}

  // Refuses with DataError an event with a negative quantity or an unusable
  // meter value field (meters.h). Tenant, metric and clock are the
  // Validator's (validator.h).
  Status Check(const EventView& e);

  // Checks `e` and adds it, with its contributions and `tag`, to `stage`,
  // and the keys of its contributions to `keys` (nothing when refused).
  // Without `keys`, the contributions are staged unkeyed (kUnkeyed): the
  // writer finds the keys of those it inserts (EventRecorder::Write).
  Status Stage(const EventView& e, uint64_t tag, StagedEvents* stage, DeltaKeys* keys);

  // The contributions found by the last successful Check or Stage.
  const std::vector<Contribution>& contributions() const { return contributions_; }

 private:
  MeterEvaluator meters_;
  std::vector<Contribution> contributions_;
  std::vector<uint32_t> slots_;
};

class EventRecorder {
 public:
  // Records events of `catalog`'s meters into `db`. Use it inside
  // db.Transaction(): Record() and Write() insert rows and buffer counter
  // deltas, and Flush() must run before that transaction commits. `catalog`
  // and `db` must outlive the recorder.
  EventRecorder(store::Database& db, const catalog::Catalog& catalog);
  ~EventRecorder();
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // Inserts `e` unless an event with the same identity was recorded before
  // (then returns false and counts nothing); otherwise buffers its
  // contribution to every meter it feeds (metric and `where` match, see
  // meters.h) and returns true. Refuses with DataError, writing nothing,
  // what EventStager::Check refuses. The caller checks tenant, metric and
  // timestamp (validator.h). Busy / IOError when the database fails.
  Result<bool> Record(const Event& e) { return Record(ViewOf(e)); }
  Result<bool> Record(const EventView& e);

  // The DataError Record would refuse `e` with, without writing anything.
  Status Check(const Event& e) { return Check(ViewOf(e)); }
  Status Check(const EventView& e);

  // The bulk path (ingest): inserts the events of `stage` (staged by an
  // EventStager of the same catalog) in `order` (StagedEvents::ById: the id index is walked in
  // order; equal identities: the first wins), sums the counter
  // contributions of those inserted by their keys, and calls `done(tag,
  // inserted, event)` for each event in staging order. Every Write until
  // the next Flush(keys) takes events staged with the same DeltaKeys, whose
  // deltas Flush(keys) writes. Events staged unkeyed (no DeltaKeys) are
  // keyed here, those inserted only, and their deltas are written by
  // Flush(), as Record's are. The two kinds may be mixed (a batch whose
  // first chunks were staged with keys and the rest without): then call
  // both Flushes.
  using StagedFn = std::function<Status(uint64_t tag, bool inserted, const EventView& e)>;
  Status Write(const StagedEvents& stage, const std::vector<uint32_t>& order, const StagedFn& done);

  // Writes the buffered counter deltas and distinct values (the day rows of
  // usage_counter_days and usage_unique_days, EventStore::AddCounters) and
  // empties the buffer: Flush() those of the events keyed here (Record,
  // unkeyed Write); Flush(keys, ...) those of the events Write took staged
  // with `keys`, given their ids in key order (DeltaKeys::SortedCounters /
  // SortedUniques, which the caller may have computed on another thread).
  Status Flush();
  Status Flush(const DeltaKeys& keys, const std::vector<uint32_t>& sorted_counters,
               const std::vector<uint32_t>& sorted_uniques);

  // After Write, when every event it took since the last Flush was staged
  // with keys and inserted: writes `days` instead of the buffered sums
  // (ingest summed every staged event as DeltaSums does and made the day
  // rows on another thread; with no duplicate they are the same) and
  // empties the buffer.
  Status FlushDays(const store::DayRows& days);

  // Drops the buffered deltas: for a transaction that is being rolled back.
  void Discard();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meter::ingest
