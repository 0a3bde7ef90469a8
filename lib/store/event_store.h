// EventStore: the writes that bring usage into the database (the events
// table and the hourly counters of counter_store.h, stored per UTC day in
// usage_counter_days and usage_unique_days) and the few reads ingest
// needs. ingest::EventRecorder is its one user: it calls these inside a
// db.Transaction(), so events and counters commit together or not at all.
//
// An EventStore keeps prepared statements on `db`; it must not outlive it.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::store {

// How a counter delta merges into the stored hour (counter_days::Merge).
enum class CounterMerge {
  kAdd,     // sum and count meters: value and events add up
  kMax,     // max meters: the larger value stays
  kLatest,  // latest meters: the value with the greatest (latest_ts, value) stays
};

// A change to one hourly counter (tenant, meter, hour); values in
// millionths of a unit (kQuantityPlaces). Views valid for the call.
struct CounterDelta {
  std::string_view tenant;
  std::string_view meter;
  Timestamp hour = 0;
  CounterMerge merge = CounterMerge::kAdd;
  int64_t value = 0;
  int64_t events = 0;
  Timestamp latest_ts = 0;  // kLatest only
};

// One distinct value seen by a unique_count meter in an hour. Views valid
// for the call.
struct UniqueValue {
  std::string_view tenant;
  std::string_view meter;
  Timestamp hour = 0;
  std::string_view value;
};

// An event as stored: the record, the order it was stored in (seq) and when;
// for a voided event (`meter events void`), when and why.
struct StoredEvent {
  int64_t seq = 0;
  Event event;
  Timestamp ingested_at = 0;
  std::optional<Timestamp> voided_at;
  std::string void_reason;
};

// Which events EventStore::List returns; each field that is set narrows it.
struct EventFilter {
  std::string tenant;             // "" = every tenant
  std::string metric;             // "" = every metric
  std::optional<Timestamp> from;  // events with from <= timestamp
  std::optional<Timestamp> to;    // events with timestamp < to
  int64_t limit = 100;            // at most this many (> 0)
  bool voided_only = false;       // only voided events
};

// Counter deltas and distinct values grouped into the day rows they add to
// and encoded (counter_days.h): the share of AddCounters and AddUniques
// that needs no database, so that ingest can make it on another thread than
// the writer's (EventStore::AddDays writes it). Holds views into the deltas
// and values it was made from, which must outlive it until written. Keeps
// its memory from one Set to the next.
class DayRows {
 public:
  DayRows();
  ~DayRows();
  DayRows(const DayRows&) = delete;
  DayRows& operator=(const DayRows&) = delete;

  // Replaces the counter rows with those of `deltas`, sorted by (tenant,
  // meter, hour) (InvalidArgument otherwise); deltas of the same key are
  // merged by their rule (DataError when a sum passes int64).
  Status SetCounters(const std::vector<CounterDelta>& deltas);
  // Replaces the distinct-value rows with those of `values`, sorted by
  // (tenant, meter, hour, value) (InvalidArgument otherwise).
  Status SetUniques(const std::vector<UniqueValue>& values);

 private:
  friend class EventStore;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class EventStore {
 public:
  explicit EventStore(Database& db);
  ~EventStore();
  EventStore(const EventStore&) = delete;
  EventStore& operator=(const EventStore&) = delete;

  // Inserts `e`, recorded at `ingested_at`, unless an event with the same
  // identity (id, source) is already stored: returns true when inserted,
  // false for a duplicate (nothing written). Absent optional fields are stored as NULL. Call inside
  // db.Transaction(). SQLite failures become Busy/IOError statuses.
  Result<bool> Insert(const EventView& e, Timestamp ingested_at);

  // Inserts each of `events` (the bulk path of ingest: give them in id
  // order), as Insert() does, in that order: an event whose identity is
  // stored, or comes earlier in `events`, is a duplicate. (*inserted)[i]
  // says whether events[i] was new. Call inside db.Transaction().
  Status InsertMany(const std::vector<EventView>& events, Timestamp ingested_at, std::vector<bool>* inserted);

  // The stored events whose id is `id`, one per source (CloudEvents from
  // several sources may share an id; other events have source ""), ordered
  // by source. Empty when there is none.
  Result<std::vector<StoredEvent>> FindById(std::string_view id);

  // Marks the stored event (id, source) void at `now` with `reason`, unless
  // it is void already: true when it was marked now. Call inside
  // db.Transaction(), with the events' counters recounted in the same one
  // (usage::UncountVoided).
  Result<bool> Void(std::string_view id, std::string_view source, std::string_view reason, Timestamp now);

  // The stored events matching `f`, newest first (by timestamp, then by the
  // order they were stored in), at most f.limit of them.
  Result<std::vector<StoredEvent>> List(const EventFilter& f);

  // Merges the deltas into the day rows of usage_counter_days (rows created
  // as needed): each (tenant, meter, UTC day) row is read, merged and written
  // once per call. Give them sorted by (tenant, meter, hour), as ingest does
  // (rows then follow the table's key order); others are sorted first. A
  // sum past int64 is a DataError ("integer overflow"), and the caller's
  // transaction must roll back. Call inside db.Transaction().
  Status AddCounters(const std::vector<CounterDelta>& deltas);

  // Adds the values to the day rows of usage_unique_days (values already
  // present are kept once), sorted by (tenant, meter, hour, value) as
  // AddCounters. Call inside db.Transaction().
  Status AddUniques(const std::vector<UniqueValue>& values);

  // Writes day rows made by DayRows: its counters, then its distinct
  // values, as AddCounters and AddUniques would. Call inside db.Transaction().
  Status AddDays(const DayRows& rows);

  // The periods of `tenant`'s invoices that are already issued (status open,
  // paid or overdue): usage inside them arrives late and is billed as an
  // adjustment on a later invoice. Empty when there are none.
  Result<std::vector<Period>> IssuedInvoicePeriods(std::string_view tenant);
  // True when any tenant has such an invoice (one cheap query per batch
  // spares the per-tenant ones when billing has not started).
  Result<bool> AnyIssuedInvoices();

  // Bulk loading. On: commits stop waiting for the disk (synchronous=NORMAL
  // in WAL mode) and the WAL is checkpointed into the database file only
  // every ~256 MiB instead of every ~4 MiB. The file stays consistent after
  // any crash, but the last commits may be lost on power failure, so use it
  // only for writes that are safe to repeat (ingest: events are deduplicated).
  // Off restores the defaults (synchronous=FULL, checkpoint every 1000
  // pages). Call outside a transaction.
  Status SetBulkLoad(bool on);

  // How many events are stored (for tests and summaries).
  Result<int64_t> CountEvents();

 private:
  struct Impl;
  Database& db_;
  std::unique_ptr<Impl> impl_;
};

// Bulk loading on SQLite: copies the committed pages of the write-ahead log
// into the database file on a thread of its own, through a connection of
// its own, after each commit it is told of (Committed). The checkpoints are
// PASSIVE: they neither wait for the writer nor block it, and copy only
// pages committed before the writer's transaction in progress began. The
// writer's commits then seldom checkpoint, and its close copies only what
// the last batches wrote. A checkpoint changes nothing a reader sees and is
// safe to kill at any moment, so a failed one is ignored: the writer's own
// checkpoints copy what is left. Does nothing on PostgreSQL or when the
// second connection cannot be opened.
class BackgroundCheckpointer {
 public:
  explicit BackgroundCheckpointer(Database& db);
  // Runs the checkpoint last asked for if it has not run yet (what it copies,
  // the writer's close need not copy again), then closes its connection.
  ~BackgroundCheckpointer();
  BackgroundCheckpointer(const BackgroundCheckpointer&) = delete;
  BackgroundCheckpointer& operator=(const BackgroundCheckpointer&) = delete;

  // A transaction has committed: checkpoint it (requests made while a
  // checkpoint runs join into the next one).
  void Committed();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace meter::store
