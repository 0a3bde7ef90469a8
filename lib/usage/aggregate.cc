#include "usage/aggregate.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "usage/units.h"

namespace meter::usage {

using catalog::Aggregation;
using store::RollupBucket;
using store::RollupPeriod;
using store::RollupStore;
using store::RollupWatermark;

namespace {

std::vector<RollupPeriod> PeriodsOf(const std::vector<RollupPeriod>& p) {
  if (!p.empty()) return p;
  return {RollupPeriod::kHour, RollupPeriod::kDay, RollupPeriod::kMonth};
}

const RollupWatermark* FindWatermark(const std::vector<RollupWatermark>& w, RollupPeriod p, const std::string& m) {
  for (const auto& x : w)
    if (x.period == p && x.meter == m) return &x;
  return nullptr;
}

// Each tenant's calendar months in its time zone, resolved once per month.
class MonthIndex {
 public:
  explicit MonthIndex(const catalog::Catalog& c) {
    for (const auto& t : c.tenants) tz_[t.id] = t.timezone;
  }

  Result<Timestamp> StartOf(const std::string& tenant, Timestamp t) {
    std::vector<Period>& months = months_[tenant];
    for (const Period& p : months)
      if (p.Contains(t)) return p.start;
    METER_ASSIGN_OR_RETURN(Period p, MonthOf(t, TimeZone(tenant)));
    months.push_back(p);
    return p.start;
  }

  Status Cover(const std::string& tenant, Timestamp first, Timestamp last) {
    METER_ASSIGN_OR_RETURN(auto months, MonthsCovering(first, last, TimeZone(tenant)));
    for (const Period& p : months) months_[tenant].push_back(p);
    return Status::OK();
  }

  std::vector<store::MonthSpan> Spans() const {
    std::vector<store::MonthSpan> out;
    for (const auto& [tenant, months] : months_)
      for (const Period& p : months) out.push_back({tenant, p.start, p.end});
    return out;
  }

 private:
  std::string TimeZone(const std::string& tenant) const {
    auto it = tz_.find(tenant);
    return it == tz_.end() ? "" : it->second;
  }
  std::map<std::string, std::string> tz_;
  std::map<std::string, std::vector<Period>> months_;
};

// Merges one contribution into a bucket by the meter's aggregation.
void Accumulate(Aggregation a, const RollupStore::HourlyPartial& p, RollupBucket* b) {
  b->events += p.events;
  switch (a) {
    case Aggregation::kSum:
    case Aggregation::kCount: b->value += p.value; break;
    case Aggregation::kMax: b->value = std::max(b->value, p.value); break;
    case Aggregation::kLatest:
      if (std::tie(p.latest_ts, p.value) > std::tie(b->latest_ts, b->value)) {
        b->latest_ts = p.latest_ts;
        b->value = p.value;
      }
      break;
    case Aggregation::kUniqueCount: break;  // counted from the distinct sets
  }
}

// The hourly partials of meter `index` folded into buckets of period `p`.
Result<std::vector<RollupBucket>> Fold(const std::vector<RollupStore::HourlyPartial>& partials, size_t index,
                                       Aggregation agg, RollupPeriod p, MonthIndex* months) {
  std::map<std::pair<std::string, Timestamp>, RollupBucket> buckets;
  for (const auto& part : partials) {
    if (part.meter != index) continue;
    Timestamp start = part.hour;
    if (p == RollupPeriod::kDay) start = DayOf(part.hour).start;
    if (p == RollupPeriod::kMonth) {
      METER_ASSIGN_OR_RETURN(start, months->StartOf(part.tenant, part.hour));
    }
    RollupBucket& b = buckets[{part.tenant, start}];
    if (b.tenant.empty()) b = RollupBucket{part.tenant, start, 0, 0, agg == Aggregation::kLatest ? INT64_MIN : 0};
    Accumulate(agg, part, &b);
  }
  std::vector<RollupBucket> out;
  for (auto& [key, b] : buckets) out.push_back(std::move(b));
  return out;
}

// The (period, meter) pairs a run maintains.
struct Target {
  RollupPeriod period;
  const catalog::Meter* meter;
};

std::vector<Target> TargetsOf(const catalog::Catalog& c, const std::vector<RollupPeriod>& periods) {
  std::vector<Target> out;
  for (RollupPeriod p : periods)
    for (const auto& m : c.meters) out.push_back({p, &m});
  return out;
}

// Restarts (period, meter) pairs that are new or whose meter definition
// changed, and forgets meters gone from the catalog. Returns the restarts.
Result<int64_t> SyncDefinitions(store::Database& db, const catalog::Catalog& c,
                                const std::vector<RollupPeriod>& periods, Timestamp now) {
  RollupStore rs(db);
  METER_ASSIGN_OR_RETURN(auto watermarks, rs.Watermarks());
  for (const auto& w : watermarks)
    if (!c.FindMeter(w.meter)) METER_RETURN_IF_ERROR(rs.Forget(w.period, w.meter));
  int64_t restarted = 0;
  for (const Target& t : TargetsOf(c, periods)) {
    std::string def = store::MeterDefinition(*t.meter);
    const RollupWatermark* w = FindWatermark(watermarks, t.period, t.meter->key);
    if (w && w->definition == def) continue;
    METER_RETURN_IF_ERROR(rs.Restart(t.period, t.meter->key, def, now));
    ++restarted;
  }
  return restarted;
}

// The group of targets one chunk rolls up: those at the lowest watermark.
struct ChunkPlan {
  int64_t after = 0;
  int64_t upto = 0;
  std::vector<const catalog::Meter*> meters;
  std::vector<std::vector<RollupPeriod>> periods;  // per meter
};

std::optional<ChunkPlan> PlanChunk(const std::vector<Target>& targets, const std::vector<RollupWatermark>& marks,
                                   int64_t target_seq, int64_t chunk) {
  auto seq_of = [&](const Target& t) {
    const RollupWatermark* w = FindWatermark(marks, t.period, t.meter->key);
    return w ? w->last_seq : 0;
  };
  int64_t lo = target_seq;
  for (const Target& t : targets) lo = std::min(lo, seq_of(t));
  if (lo >= target_seq) return std::nullopt;
  ChunkPlan plan{lo, std::min(target_seq, lo + chunk), {}, {}};
  for (const Target& t : targets) {
    if (seq_of(t) != lo) continue;
    auto it = std::find(plan.meters.begin(), plan.meters.end(), t.meter);
    if (it == plan.meters.end()) {
      plan.meters.push_back(t.meter);
      plan.periods.emplace_back();
      it = plan.meters.end() - 1;
    }
    plan.periods[static_cast<size_t>(it - plan.meters.begin())].push_back(t.period);
  }
  return plan;
}

// The hours of unique_count meters that a chunk's partials touch.
Result<std::vector<RollupStore::TouchedHour>> TouchedHours(const ChunkPlan& plan,
                                                           const std::vector<RollupStore::HourlyPartial>& partials,
                                                           MonthIndex* months) {
  std::vector<RollupStore::TouchedHour> out;
  for (const auto& p : partials) {
    const catalog::Meter& m = *plan.meters[p.meter];
    if (m.aggregation != Aggregation::kUniqueCount) continue;
    METER_ASSIGN_OR_RETURN(Timestamp month, months->StartOf(p.tenant, p.hour));
    out.push_back({m.key, p.tenant, p.hour, DayOf(p.hour).start, month});
  }
  return out;
}

// Writes one chunk's partials into the buckets of every planned period.
Status WriteChunk(RollupStore& rs, const ChunkPlan& plan, const std::vector<RollupStore::HourlyPartial>& partials,
                  MonthIndex* months, AggregateSummary* summary) {
  std::map<RollupPeriod, std::vector<std::string>> unique_meters;
  for (size_t i = 0; i < plan.meters.size(); ++i) {
    const catalog::Meter& m = *plan.meters[i];
    for (RollupPeriod p : plan.periods[i]) {
      METER_ASSIGN_OR_RETURN(auto buckets, Fold(partials, i, m.aggregation, p, months));
      METER_ASSIGN_OR_RETURN(int64_t n, rs.MergeBuckets(m, p, buckets));
      summary->buckets_updated += n;
      if (m.aggregation == Aggregation::kUniqueCount) unique_meters[p].push_back(m.key);
    }
  }
  if (unique_meters.empty()) return Status::OK();
  METER_ASSIGN_OR_RETURN(auto touched, TouchedHours(plan, partials, months));
  METER_RETURN_IF_ERROR(rs.SetTouchedHours(touched));
  for (const auto& [p, keys] : unique_meters) METER_RETURN_IF_ERROR(rs.RefreshUniques(p, keys));
  return Status::OK();
}

// Rolls up one chunk in its own transaction; false when nothing is left.
// The events to reach are read under the write lock, so the last chunk
// ends exactly where the hourly distinct sets of ingest stand.
Result<bool> RollUpChunk(store::Database& db, const catalog::Catalog& c, const std::vector<Target>& targets,
                         int64_t chunk, Timestamp now, AggregateSummary* summary) {
  bool more = false;
  METER_RETURN_IF_ERROR(db.Transaction([&]() -> Status {
    RollupStore rs(db);
    METER_ASSIGN_OR_RETURN(auto marks, rs.Watermarks());
    METER_ASSIGN_OR_RETURN(int64_t last, rs.LastEventSeq());
    summary->watermark = last;
    std::optional<ChunkPlan> plan = PlanChunk(targets, marks, last, chunk);
    if (!plan) return Status::OK();
    more = true;
    int64_t events = 0;
    METER_ASSIGN_OR_RETURN(auto partials, rs.ScanHourly(plan->meters, plan->after, plan->upto, &events));
    MonthIndex months(c);
    METER_RETURN_IF_ERROR(WriteChunk(rs, *plan, partials, &months, summary));
    for (size_t i = 0; i < plan->meters.size(); ++i)
      for (RollupPeriod p : plan->periods[i])
        METER_RETURN_IF_ERROR(rs.SetWatermark(p, plan->meters[i]->key, plan->upto, now));
    summary->events_processed += events;
    ++summary->transactions;
    return Status::OK();
  }));
  return more;
}

// Month spans covering every tenant's events up to `upto`.
Status CoverAllMonths(RollupStore& rs, const catalog::Catalog& c, int64_t upto) {
  METER_ASSIGN_OR_RETURN(auto ranges, rs.TenantTimeRanges(upto));
  MonthIndex months(c);
  for (const auto& r : ranges) METER_RETURN_IF_ERROR(months.Cover(r.tenant, r.first, r.last));
  return rs.SetMonthSpans(months.Spans());
}

// About how many events a roll-up will read: those after the lowest
// watermark of the targets (sequence numbers, so gaps make it an upper bound).
Result<int64_t> EventsToRollUp(store::Database& db, const std::vector<Target>& targets) {
  RollupStore rs(db);
  METER_ASSIGN_OR_RETURN(auto marks, rs.Watermarks());
  METER_ASSIGN_OR_RETURN(int64_t last, rs.LastEventSeq());
  int64_t lowest = last;
  for (const Target& t : targets) {
    const RollupWatermark* w = FindWatermark(marks, t.period, t.meter->key);
    lowest = std::min(lowest, w ? w->last_seq : 0);
  }
  return last - lowest;
}

int64_t MaxWatermark(const std::vector<RollupWatermark>& marks) {
  int64_t max = 0;
  for (const auto& w : marks) max = std::max(max, w.last_seq);
  return max;
}

Status RebuildWindow(store::Database& db, const catalog::Catalog& c, const std::vector<Target>& targets,
                     const store::BucketWindow& window, AggregateSummary* summary) {
  return db.Transaction([&]() -> Status {
    RollupStore rs(db);
    METER_ASSIGN_OR_RETURN(auto marks, rs.Watermarks());
    METER_RETURN_IF_ERROR(CoverAllMonths(rs, c, MaxWatermark(marks)));
    for (const Target& t : targets) {
      const RollupWatermark* w = FindWatermark(marks, t.period, t.meter->key);
      METER_ASSIGN_OR_RETURN(int64_t n, rs.Rebuild(*t.meter, t.period, w ? w->last_seq : 0, window));
      summary->buckets_rebuilt += n;
    }
    ++summary->transactions;
    return Status::OK();
  });
}

// Compares stored and recomputed buckets of one (period, meter).
void Compare(const std::vector<RollupBucket>& stored, const std::vector<RollupBucket>& expected, const Target& t,
             VerifyReport* report) {
  std::map<std::pair<std::string, Timestamp>, std::pair<const RollupBucket*, const RollupBucket*>> all;
  for (const auto& b : stored) all[{b.tenant, b.bucket}].first = &b;
  for (const auto& b : expected) all[{b.tenant, b.bucket}].second = &b;
  for (const auto& [key, pair] : all) {
    ++report->checked;
    const auto [s, e] = pair;
    if (s && e && s->value == e->value && s->events == e->events) continue;
    BucketDrift d{key.first, t.meter->key, t.period, key.second, {}, {}, s ? s->events : 0, e ? e->events : 0};
    if (s) d.stored = FromMicros(s->value);
    if (e) d.expected = FromMicros(e->value);
    report->drift.push_back(std::move(d));
  }
}

}  // namespace

Result<std::vector<Period>> MonthsCovering(Timestamp first, Timestamp last, const std::string& timezone) {
  std::vector<Period> out;
  for (Timestamp t = first;;) {
    METER_ASSIGN_OR_RETURN(Period p, MonthOf(t, timezone));
    out.push_back(p);
    if (p.end > last) break;
    t = p.end;
  }
  return out;
}

Result<AggregateSummary> RunAggregate(store::Database& db, const catalog::Catalog& c, const AggregateOptions& options,
                                      Timestamp now) {
  AggregateSummary summary;
  summary.periods = PeriodsOf(options.periods);
  METER_RETURN_IF_ERROR(RollupStore(db).TuneForScans());
  METER_RETURN_IF_ERROR(db.Transaction([&]() -> Status {
    METER_ASSIGN_OR_RETURN(summary.meters_rebuilt, SyncDefinitions(db, c, summary.periods, now));
    return Status::OK();
  }));
  std::vector<Target> targets = TargetsOf(c, summary.periods);
  int64_t chunk = std::max<int64_t>(1, options.chunk_events);
  ProgressSink& progress = options.progress ? *options.progress : NoProgress();
  METER_ASSIGN_OR_RETURN(int64_t to_read, EventsToRollUp(db, targets));
  progress.Begin("aggregate", static_cast<uint64_t>(to_read), "events");
  for (;;) {
    METER_ASSIGN_OR_RETURN(bool more, RollUpChunk(db, c, targets, chunk, now, &summary));
    if (!more) break;
    progress.Update(static_cast<uint64_t>(summary.events_processed));
  }
  progress.End();
  if (options.rebuild.from || options.rebuild.to)
    METER_RETURN_IF_ERROR(RebuildWindow(db, c, targets, options.rebuild, &summary));
  return summary;
}

Result<VerifyReport> VerifyAggregates(store::Database& db, const catalog::Catalog& c,
                                      const std::vector<RollupPeriod>& periods, const store::BucketWindow& window) {
  VerifyReport report;
  METER_RETURN_IF_ERROR(RollupStore(db).TuneForScans());
  METER_RETURN_IF_ERROR(db.Read([&]() -> Status {
    RollupStore rs(db);
    METER_ASSIGN_OR_RETURN(auto marks, rs.Watermarks());
    METER_RETURN_IF_ERROR(CoverAllMonths(rs, c, MaxWatermark(marks)));
    for (const Target& t : TargetsOf(c, PeriodsOf(periods))) {
      const RollupWatermark* w = FindWatermark(marks, t.period, t.meter->key);
      METER_ASSIGN_OR_RETURN(auto stored, rs.Buckets(t.period, t.meter->key, window));
      METER_ASSIGN_OR_RETURN(auto expected, rs.Recompute(*t.meter, t.period, w ? w->last_seq : 0, window));
      Compare(stored, expected, t, &report);
    }
    return Status::OK();
  }));
  return report;
}

}  // namespace meter::usage
