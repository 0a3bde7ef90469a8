// RollupStore: the per-tenant, per-meter roll-up buckets that `meter
// aggregate` keeps (tables usage_rollups and usage_rollup_state), and the
// reads that tell it which buckets new events touched.
//
// Buckets are UTC hours, UTC days, and calendar months in each tenant's time
// zone (the months quotas and invoices use); values are integer millionths of
// a unit, like the counters of counter_store.h. usage/aggregate.cc computes
// them from the hourly counters (and, for months that do not start on the
// hour, the raw events of their partial hours) through the meters' one
// definition: no meter rule is written here. Every write joins the caller's
// transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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
  int64_t events = 0;       // events that contributed (unique_count: 0, not tracked)
  Timestamp latest_ts = 0;  // latest meters: the time of the event whose value is kept
};

// How far (period, meter) has been rolled up: every event with seq <=
// last_seq is in its buckets. `definition` is the meter definition the
// buckets were built with (ingest::MeterDefinition).
struct RollupWatermark {
  RollupPeriod period = RollupPeriod::kHour;
  std::string meter;
  std::string definition;
  int64_t last_seq = 0;
};

// A half-open range of bucket starts; nullopt bounds are open.
struct BucketWindow {
  std::optional<Timestamp> from;
  std::optional<Timestamp> to;
};

// Events stored with seq in a range, per tenant, metric and UTC hour.
struct TouchedHour {
  std::string tenant;
  std::string metric;
  Timestamp hour = 0;
  int64_t events = 0;
};

class RollupStore {
 public:
  explicit RollupStore(Database& db) : db_(db) {}

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

  // The (tenant, metric, hour) groups of the events with seq in (after, upto]
  // whose metric is one of `metrics`, with how many events each holds.
  Result<std::vector<TouchedHour>> TouchedHours(const std::vector<std::string>& metrics, int64_t after,
                                                int64_t upto);

  // Writes `buckets` of (p, meter), replacing those stored with the same
  // start; a bucket with value 0 and no events is deleted instead.
  Status PutBuckets(RollupPeriod p, const std::string& meter, const std::vector<RollupBucket>& buckets);
  // Deletes the buckets of (p, meter) whose start lies in `w`.
  Status DeleteBuckets(RollupPeriod p, const std::string& meter, const BucketWindow& w);

  // The stored buckets of (p, meter) inside `w`, optionally of one tenant,
  // ordered by tenant then bucket. For reports and --verify.
  Result<std::vector<RollupBucket>> Buckets(RollupPeriod p, const std::string& meter, const BucketWindow& w,
                                            const std::string& tenant = "");

 private:
  Database& db_;
};

}  // namespace meter::store
