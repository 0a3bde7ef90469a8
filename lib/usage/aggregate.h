// Roll-ups (`meter aggregate`): per-tenant, per-meter buckets by UTC hour,
// UTC day and calendar month in the tenant's time zone, for every
// aggregation (sum, count, max, unique_count, latest), computed from the
// hourly counters ingest keeps (months that do not start on the hour: plus
// the raw events of their partial hours), so a bucket means exactly what
// usage/quantity.h answers for its period. store/rollup_store.h holds them.
//
// Incremental: each (period, meter) keeps a watermark (events.seq); a run
// reads which (tenant, metric, hour) the events stored since touched and
// recomputes the buckets holding those hours, so late events update old
// buckets. Each chunk's buckets and its watermark change in one write
// transaction: a crash or an overlapping run never loses or double-counts an
// event. A meter whose definition changed in the catalog has its counters
// recounted and its buckets rebuilt from the first event.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/progress.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"
#include "store/rollup_store.h"
#include "usage/recount.h"

namespace meter::usage {

struct AggregateOptions {
  // The bucket sizes to roll up; empty means hour, day and month.
  std::vector<store::RollupPeriod> periods;
  // --from / --to: after rolling up new events, recount the counters of this
  // window from the raw events and rebuild every bucket whose start lies in
  // it (repairs drift that --verify reported). Both open: no rebuild.
  store::BucketWindow rebuild;
  // Events read per transaction, so other writers are not locked out long.
  int64_t chunk_events = 2000000;
  // Told the events to roll up and, after each chunk, how many were read.
  ProgressSink* progress = nullptr;
};

struct AggregateSummary {
  std::vector<store::RollupPeriod> periods;
  int64_t events_processed = 0;  // events read that feed some meter
  int64_t buckets_updated = 0;   // bucket writes (a bucket touched by two chunks counts twice)
  int64_t buckets_rebuilt = 0;   // buckets rewritten by --from/--to
  int64_t meters_rebuilt = 0;    // (period, meter) pairs restarted because new or redefined
  int64_t watermark = 0;         // the last event seq when the run caught up
  int64_t transactions = 0;
};

// Rolls up every stored event that is not yet in the buckets of
// `options.periods`, chunk by chunk, until it has caught up with the events
// stored by the time of its last chunk. Safe to run from cron while ingest
// runs, and beside another aggregate run.
Result<AggregateSummary> RunAggregate(store::Database& db, const catalog::Catalog& c, const AggregateOptions& options,
                                      Timestamp now);

// A bucket whose stored value differs from a recomputation from raw events.
struct BucketDrift {
  std::string tenant;
  std::string meter;
  store::RollupPeriod period = store::RollupPeriod::kHour;
  Timestamp bucket = 0;
  std::optional<Decimal> stored;    // nullopt: the bucket is missing
  std::optional<Decimal> expected;  // nullopt: the bucket should not exist
  int64_t stored_events = 0;
  int64_t expected_events = 0;
};

struct VerifyReport {
  int64_t checked = 0;  // buckets compared
  std::vector<BucketDrift> drift;
};

// Recomputes the buckets of `periods` (empty: all) whose start lies in
// `window` from the raw events up to each watermark, through the meters'
// definition (not from the counters the buckets were built from), and lists
// every bucket whose value or event count differs from the stored one.
// Reads only.
Result<VerifyReport> VerifyAggregates(store::Database& db, const catalog::Catalog& c,
                                      const std::vector<store::RollupPeriod>& periods,
                                      const store::BucketWindow& window);

// Recomputes the roll-up buckets (of every period already rolled up) that
// hold `hours`, from the counters: after those counters were recounted
// (voided events). Joins the caller's transaction.
Status RefreshRollups(store::Database& db, const catalog::Catalog& c, const std::vector<CounterHour>& hours);

// The calendar months in `timezone` covering [first, last] (both inclusive).
Result<std::vector<Period>> MonthsCovering(Timestamp first, Timestamp last, const std::string& timezone);

}  // namespace meter::usage
