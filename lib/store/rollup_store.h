// RollupStore: the per-tenant, per-meter roll-up buckets that `meter
// aggregate` keeps (tables usage_rollups, usage_rollup_uniques and
// usage_rollup_state), and the SQL that computes them from raw events.
//
// Buckets are UTC hours, UTC days, and calendar months in each tenant's time
// zone (the months quotas and invoices use); values are integer millionths of
// a unit, like the counters of counter_store.h. A meter reads the events
// whose metric is its `event` and that pass its `where` conditions, with the
// same field rules as ingest::MeterEvaluator (native fields, "properties.x",
// numbers compared as numbers). Distinct values of unique_count meters come
// from the hourly sets ingest keeps with the events (usage_uniques), so a
// run never rereads old events. Every write joins the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::store {

enum class RollupPeriod { kHour, kDay, kMonth };

// "hour", "day", "month".
std::string_view RollupPeriodName(RollupPeriod p);
// Parses "hour", "day" or "month"; InvalidArgument otherwise.
Result<RollupPeriod> ParseRollupPeriod(std::string_view name);

// One bucket: a meter's value for a tenant over one hour, day or month.
struct RollupBucket {
  std::string tenant;
  Timestamp bucket = 0;     // the bucket's start
  int64_t value = 0;        // millionths of a unit (unique_count: count * 10^6)
  int64_t events = 0;       // events that contributed
  Timestamp latest_ts = 0;  // latest meters: the time of the event whose value is kept
};

// How far (period, meter) has been rolled up: every event with seq <=
// last_seq is in its buckets. `definition` is the meter definition the
// buckets were built with (see MeterDefinition).
struct RollupWatermark {
  RollupPeriod period = RollupPeriod::kHour;
  std::string meter;
  std::string definition;
  int64_t last_seq = 0;
};

// One tenant's calendar month as a UTC interval, for month buckets.
struct MonthSpan {
  std::string tenant;
  Timestamp start = 0;
  Timestamp end = 0;
};

// A tenant's earliest and latest event time.
struct TenantTimeRange {
  std::string tenant;
  Timestamp first = 0;
  Timestamp last = 0;
};

// A half-open range of bucket starts; nullopt bounds are open.
struct BucketWindow {
  std::optional<Timestamp> from;
  std::optional<Timestamp> to;
};

// The text that identifies how a meter selects and aggregates events; when
// it changes, buckets built under the old one must be rebuilt.
std::string MeterDefinition(const catalog::Meter& m);

class RollupStore {
 public:
  explicit RollupStore(Database& db) : db_(db) {}

  // Sets this connection up for GROUP BYs over millions of events: SQLite
  // sorts them several times faster through small sorted runs in temporary
  // files than in one large in-memory sort. Call before any temporary table
  // exists (it drops them) and outside a transaction.
  Status TuneForScans();

  // Every (period, meter) watermark stored, in no particular order.
  Result<std::vector<RollupWatermark>> Watermarks();
  // The highest event seq stored (0 when there are none).
  Result<int64_t> LastEventSeq();
  // Deletes every bucket of (period, meter) and sets its watermark to 0 with
  // `definition`: the next run rebuilds it from the first event.
  Status Restart(RollupPeriod p, const std::string& meter, const std::string& definition, Timestamp now);
  // Deletes the buckets and watermark of a meter no longer in the catalog.
  Status Forget(RollupPeriod p, const std::string& meter);
  // Records that (period, meter) holds every event up to `last_seq`; call in
  // the transaction that wrote those events' buckets.
  Status SetWatermark(RollupPeriod p, const std::string& meter, int64_t last_seq, Timestamp now);

  // Reads the events with seq in (after, upto] with one GROUP BY per UTC
  // hour and returns, per meter of `meters` (index into it), tenant and
  // hour, what they contribute: the summed / maximal / latest value and the
  // number of contributing events (unique_count: events only; the distinct
  // values come through RefreshUniques). `events_read` gets the number of events
  // whose metric some meter reads.
  struct HourlyPartial {
    size_t meter = 0;
    std::string tenant;
    Timestamp hour = 0;
    int64_t value = 0;
    int64_t events = 0;
    Timestamp latest_ts = 0;
  };
  Result<std::vector<HourlyPartial>> ScanHourly(const std::vector<const catalog::Meter*>& meters, int64_t after,
                                                int64_t upto, int64_t* events_read);

  // Merges `deltas` of one meter into its stored buckets of period `p`:
  // adding for sum and count, the larger value for max, the later (time,
  // value) for latest; unique_count buckets get their events added and
  // their value from RefreshUniques. Returns how many buckets changed.
  Result<int64_t> MergeBuckets(const catalog::Meter& m, RollupPeriod p, const std::vector<RollupBucket>& deltas);

  // unique_count buckets take their distinct values from the hourly sets
  // ingest keeps with the events (usage_uniques), not from another scan of
  // the events. An hour that new events touched, with the day and month
  // buckets it belongs to.
  struct TouchedHour {
    std::string meter;
    std::string tenant;
    Timestamp hour = 0;
    Timestamp day = 0;
    Timestamp month = 0;
  };
  // Replaces the connection-local table of touched hours.
  Status SetTouchedHours(const std::vector<TouchedHour>& hours);
  // Brings the unique_count buckets of `meters` for period `p` that the
  // touched hours fall in up to date: hour buckets are recounted from
  // usage_uniques; day and month buckets get the hours' values added to
  // their own distinct sets (usage_rollup_uniques) and are recounted. The
  // buckets must exist (MergeBuckets creates them).
  Status RefreshUniques(RollupPeriod p, const std::vector<std::string>& meters);

  // Replaces the connection-local table of tenant months used to place
  // events and hours in month buckets; must cover every tenant and time
  // being rolled up.
  Status SetMonthSpans(const std::vector<MonthSpan>& spans);
  // Each tenant's first and last event time among events with seq <= upto.
  Result<std::vector<TenantTimeRange>> TenantTimeRanges(int64_t upto);

  // Computes the buckets of meter `m` for period `p` directly from the events
  // with seq <= upto whose bucket starts inside `w`, with one GROUP BY per
  // bucket (independent of the incremental path): what --verify compares
  // against and what a rebuild writes.
  Result<std::vector<RollupBucket>> Recompute(const catalog::Meter& m, RollupPeriod p, int64_t upto,
                                              const BucketWindow& w);
  // Replaces the stored buckets (and the day and month distinct sets) of (p, m) inside `w` by
  // a recomputation from the events with seq <= upto. Returns the number of
  // buckets written.
  Result<int64_t> Rebuild(const catalog::Meter& m, RollupPeriod p, int64_t upto, const BucketWindow& w);

  // The stored buckets of (p, meter) inside `w`, optionally of one tenant,
  // ordered by tenant then bucket. For reports and --verify.
  Result<std::vector<RollupBucket>> Buckets(RollupPeriod p, const std::string& meter, const BucketWindow& w,
                                            const std::string& tenant = "");

 private:
  Database& db_;
};

}  // namespace meter::store
