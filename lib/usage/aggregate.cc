#include "usage/aggregate.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include <fmt/format.h>

#include "ingest/meters.h"
#include "store/counter_store.h"
#include "store/report_store.h"
#include "usage/quantity.h"
#include "usage/recount.h"
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

int64_t SeqOf(const std::vector<RollupWatermark>& w, RollupPeriod p, const std::string& m) {
  const RollupWatermark* x = FindWatermark(w, p, m);
  return x ? x->last_seq : 0;
}

// Each tenant's calendar months in its time zone, resolved once per month.
class Zones {
 public:
  explicit Zones(const catalog::Catalog& c) {
    for (const auto& t : c.tenants) tz_[t.id] = t.timezone;
  }
  Result<Period> MonthOf(const std::string& tenant, Timestamp t) {
    std::vector<Period>& months = months_[tenant];
    for (const Period& p : months)
      if (p.Contains(t)) return p;
    auto it = tz_.find(tenant);
    METER_ASSIGN_OR_RETURN(Period p, meter::MonthOf(t, it == tz_.end() ? "" : it->second));
    months.push_back(p);
    return p;
  }

 private:
  std::map<std::string, std::string> tz_;
  std::map<std::string, std::vector<Period>> months_;
};

// The bucket of period `p` holding instant `t` of `tenant`.
Result<Period> BucketOf(RollupPeriod p, Timestamp t, const std::string& tenant, Zones* zones) {
  if (p == RollupPeriod::kHour) return HourOf(t);
  if (p == RollupPeriod::kDay) return DayOf(t);
  return zones->MonthOf(tenant, t);
}

using Span = std::pair<Timestamp, Timestamp>;

Result<RollupBucket> BucketFrom(const std::string& tenant, Timestamp start, const std::string& meter,
                                const ingest::MeterValue& v) {
  bool unique = v.aggregation() == Aggregation::kUniqueCount;
  auto micros = v.micros();
  if (!micros.ok())
    return Status::DataError(fmt::format("meter '{}', tenant '{}', bucket {}: {}", meter, tenant,
                                         FormatRfc3339(start), micros.status().message()));
  return RollupBucket{tenant, start, *micros, unique ? 0 : v.events(), v.latest_ts()};
}

// Recomputes, from the counters (and the raw events of partial hours), the
// buckets of meter `m` for `periods` that hold any of `hours` of each
// tenant, and writes them. Returns how many buckets were written; only those
// starting inside `window` when it is given.
Result<int64_t> RefreshBuckets(store::Database& db, const catalog::Meter& m, const std::vector<RollupPeriod>& periods,
                               const std::map<std::string, std::set<Timestamp>>& hours_by_tenant, Zones* zones,
                               const store::BucketWindow* window = nullptr) {
  RollupStore rs(db);
  int64_t written = 0;
  std::map<RollupPeriod, std::vector<RollupBucket>> out;
  for (const auto& [tenant, hours] : hours_by_tenant) {
    std::map<RollupPeriod, std::set<Span>> spans;
    for (RollupPeriod p : periods)
      for (Timestamp h : hours)
        for (Timestamp t : {h, h + kMillisPerHour - 1}) {
          METER_ASSIGN_OR_RETURN(Period b, BucketOf(p, t, tenant, zones));
          if (window && ((window->from && b.start < *window->from) || (window->to && b.start >= *window->to))) continue;
          spans[p].insert({b.start, b.end});
        }
    if (spans.empty()) continue;
    std::vector<Period> buckets;
    for (const auto& [p, set] : spans)
      for (const Span& s : set) buckets.push_back({s.first, s.second});
    METER_ASSIGN_OR_RETURN(auto values, MeterValuesIn(db, tenant, m, buckets));
    size_t i = 0;
    for (const auto& [p, set] : spans)
      for (const Span& s : set) {
        METER_ASSIGN_OR_RETURN(RollupBucket b, BucketFrom(tenant, s.first, m.key, values[i++]));
        out[p].push_back(std::move(b));
      }
  }
  for (const auto& [p, buckets] : out) {
    METER_RETURN_IF_ERROR(rs.PutBuckets(p, m.key, buckets));
    written += static_cast<int64_t>(buckets.size());
  }
  return written;
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
    std::string def = ingest::MeterDefinition(*t.meter);
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
  int64_t lo = target_seq;
  for (const Target& t : targets) lo = std::min(lo, SeqOf(marks, t.period, t.meter->key));
  if (lo >= target_seq) return std::nullopt;
  ChunkPlan plan{lo, std::min(target_seq, lo + chunk), {}, {}};
  for (const Target& t : targets) {
    if (SeqOf(marks, t.period, t.meter->key) != lo) continue;
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

// Rolls up one chunk in its own transaction; false when nothing is left.
// The events to reach are read under the write lock, so the last chunk ends
// exactly where the counters stand.
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
    std::vector<std::string> metrics;
    for (const catalog::Meter* m : plan->meters)
      if (std::find(metrics.begin(), metrics.end(), m->event) == metrics.end()) metrics.push_back(m->event);
    METER_ASSIGN_OR_RETURN(auto touched, rs.TouchedHours(metrics, plan->after, plan->upto));
    Zones zones(c);
    for (size_t i = 0; i < plan->meters.size(); ++i) {
      std::map<std::string, std::set<Timestamp>> hours;
      for (const store::TouchedHour& h : touched)
        if (h.metric == plan->meters[i]->event) hours[h.tenant].insert(h.hour);
      METER_ASSIGN_OR_RETURN(int64_t n, RefreshBuckets(db, *plan->meters[i], plan->periods[i], hours, &zones));
      summary->buckets_updated += n;
      for (RollupPeriod p : plan->periods[i])
        METER_RETURN_IF_ERROR(rs.SetWatermark(p, plan->meters[i]->key, plan->upto, now));
    }
    for (const store::TouchedHour& h : touched) summary->events_processed += h.events;
    ++summary->transactions;
    return Status::OK();
  }));
  return more;
}

// About how many events a roll-up will read: those after the lowest
// watermark of the targets (sequence numbers, so gaps make it an upper bound).
Result<int64_t> EventsToRollUp(store::Database& db, const std::vector<Target>& targets) {
  RollupStore rs(db);
  METER_ASSIGN_OR_RETURN(auto marks, rs.Watermarks());
  METER_ASSIGN_OR_RETURN(int64_t last, rs.LastEventSeq());
  int64_t lowest = last;
  for (const Target& t : targets) lowest = std::min(lowest, SeqOf(marks, t.period, t.meter->key));
  return last - lowest;
}

// The stored events' times a window of bucket starts can hold: no bucket is
// longer than 32 days.
Period EventSpan(const store::BucketWindow& w) {
  return {w.from.value_or(INT64_MIN / 4), w.to ? *w.to + 32 * kMillisPerDay : INT64_MAX / 4};
}

Status RebuildWindow(store::Database& db, const catalog::Catalog& c, const std::vector<Target>& targets,
                     const store::BucketWindow& window, AggregateSummary* summary) {
  return db.Transaction([&]() -> Status {
    RollupStore rs(db);
    METER_ASSIGN_OR_RETURN(auto marks, rs.Watermarks());
    // The counters themselves are recounted from the raw events first, so
    // the rebuilt buckets repair drift in either.
    Period span = EventSpan(window);
    std::vector<const catalog::Meter*> meters;
    for (const auto& m : c.meters) meters.push_back(&m);
    METER_RETURN_IF_ERROR(RecountRange(db, meters, span));
    Zones zones(c);
    for (const Target& t : targets) {
      METER_RETURN_IF_ERROR(rs.DeleteBuckets(t.period, t.meter->key, window));
      std::map<std::string, std::set<Timestamp>> hours;
      METER_RETURN_IF_ERROR(store::ReportStore(db).ForEachEvent(
          {"", span, {t.meter->event}, false, std::optional<int64_t>(SeqOf(marks, t.period, t.meter->key))}, [&](const Event& e) {
            hours[e.tenant].insert(HourOf(e.timestamp).start);
            return Status::OK();
          }));
      METER_ASSIGN_OR_RETURN(int64_t n, RefreshBuckets(db, *t.meter, {t.period}, hours, &zones, &window));
      summary->buckets_rebuilt += n;
    }
    ++summary->transactions;
    return Status::OK();
  });
}

// Every bucket of `targets` (all with the same watermark `upto`) starting
// in `window`, computed from the raw events through the meters' definition:
// the reference --verify compares the stored buckets with.
Result<std::map<std::pair<size_t, std::pair<std::string, Timestamp>>, ingest::MeterValue>> Expected(
    store::Database& db, const catalog::Catalog& c, const std::vector<Target>& targets, int64_t upto,
    const store::BucketWindow& window) {
  std::map<std::pair<size_t, std::pair<std::string, Timestamp>>, ingest::MeterValue> out;
  std::vector<const catalog::Meter*> meters;
  std::vector<std::string> metrics;
  for (const Target& t : targets)
    if (std::find(meters.begin(), meters.end(), t.meter) == meters.end()) {
      meters.push_back(t.meter);
      metrics.push_back(t.meter->event);
    }
  ingest::MeterEvaluator eval(meters);
  Zones zones(c);
  std::vector<ingest::Contribution> contributions;
  METER_RETURN_IF_ERROR(store::ReportStore(db).ForEachEvent(
      {"", EventSpan(window), metrics, false, upto}, [&](const Event& e) -> Status {
        if (!eval.Evaluate(e, &contributions).ok()) return Status::OK();
        for (const ingest::Contribution& con : contributions)
          for (size_t i = 0; i < targets.size(); ++i) {
            if (targets[i].meter != con.meter) continue;
            METER_ASSIGN_OR_RETURN(Period b, BucketOf(targets[i].period, e.timestamp, e.tenant, &zones));
            if ((window.from && b.start < *window.from) || (window.to && b.start >= *window.to)) continue;
            out.try_emplace({i, {e.tenant, b.start}}, con.meter->aggregation).first->second.Add(con, e.timestamp);
          }
        return Status::OK();
      }));
  return out;
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

Status RefreshRollups(store::Database& db, const catalog::Catalog& c, const std::vector<CounterHour>& hours) {
  RollupStore rs(db);
  METER_ASSIGN_OR_RETURN(auto marks, rs.Watermarks());
  Zones zones(c);
  std::map<const catalog::Meter*, std::map<std::string, std::set<Timestamp>>> by_meter;
  for (const CounterHour& h : hours) by_meter[h.meter][h.tenant].insert(HourOf(h.hour).start);
  for (const auto& [m, tenants] : by_meter) {
    std::vector<RollupPeriod> periods;
    for (RollupPeriod p : PeriodsOf({}))
      if (FindWatermark(marks, p, m->key)) periods.push_back(p);
    if (!periods.empty()) METER_RETURN_IF_ERROR(RefreshBuckets(db, *m, periods, tenants, &zones).status());
  }
  return Status::OK();
}

Result<AggregateSummary> RunAggregate(store::Database& db, const catalog::Catalog& c, const AggregateOptions& options,
                                      Timestamp now) {
  AggregateSummary summary;
  summary.periods = PeriodsOf(options.periods);
  METER_RETURN_IF_ERROR(db.Transaction([&]() -> Status {
    METER_RETURN_IF_ERROR(SyncCounters(db, c).status());
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
  METER_RETURN_IF_ERROR(db.Read([&]() -> Status {
    RollupStore rs(db);
    METER_ASSIGN_OR_RETURN(auto marks, rs.Watermarks());
    std::map<int64_t, std::vector<Target>> by_seq;
    for (const Target& t : TargetsOf(c, PeriodsOf(periods))) by_seq[SeqOf(marks, t.period, t.meter->key)].push_back(t);
    for (const auto& [upto, targets] : by_seq) {
      METER_ASSIGN_OR_RETURN(auto expected, Expected(db, c, targets, upto, window));
      for (size_t i = 0; i < targets.size(); ++i) {
        const Target& t = targets[i];
        bool unique = t.meter->aggregation == Aggregation::kUniqueCount;
        METER_ASSIGN_OR_RETURN(auto stored, rs.Buckets(t.period, t.meter->key, window));
        std::map<std::pair<std::string, Timestamp>, std::pair<const RollupBucket*, const ingest::MeterValue*>> all;
        for (const auto& b : stored) all[{b.tenant, b.bucket}].first = &b;
        for (auto it = expected.lower_bound({i, {"", INT64_MIN}}); it != expected.end() && it->first.first == i; ++it)
          all[it->first.second].second = &it->second;
        for (const auto& [key, pair] : all) {
          ++report.checked;
          const auto [s, e] = pair;
          // The expected total is exact even past what a bucket holds, so such a bucket shows as drift.
          Decimal e_value = e ? e->value() : Decimal(), s_value = s ? FromMicros(s->value) : Decimal();
          int64_t e_events = e && !unique ? e->events() : 0;
          if (s && e && s_value == e_value && s->events == e_events) continue;
          BucketDrift d{key.first, t.meter->key, t.period, key.second, {}, {}, s ? s->events : 0, e_events};
          if (s) d.stored = s_value;
          if (e) d.expected = e_value;
          report.drift.push_back(std::move(d));
        }
      }
    }
    return Status::OK();
  }));
  return report;
}

}  // namespace meter::usage
