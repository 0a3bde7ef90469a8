#include "usage/quantity.h"

#include <algorithm>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "store/counter_store.h"
#include "store/report_store.h"

namespace meter::usage {
namespace {

using catalog::Aggregation;

// A period cut at whole UTC hours: the hours read from counters, and the
// partial hours before and after them read from raw events. A period inside
// one hour is all head.
struct HourSplit {
  Period head, hours, tail;
};

HourSplit SplitAtHours(const Period& p) {
  if (p.end <= p.start) return {};
  Timestamp first = HourOf(p.start).start;
  if (first < p.start) first += kMillisPerHour;
  Timestamp last = HourOf(p.end).start;
  if (first >= last) return {p, {}, {}};
  return {{p.start, first}, {first, last}, {last, p.end}};
}

bool Empty(const Period& p) { return p.end <= p.start; }

// Raw events of `m`'s metric in `p` (of `tenant`, or of every tenant when
// ""), not voided, each with what it contributes to `m`. An event the meter
// cannot read now (its definition changed since ingest) contributes nothing.
template <typename F>  // f(const Event&, const ingest::Contribution&)
Status ForEachContribution(store::Database& db, ingest::MeterEvaluator& eval, const catalog::Meter& m,
                           const std::string& tenant, const Period& p, F f) {
  if (Empty(p)) return Status::OK();
  std::vector<ingest::Contribution> out;
  store::EventQuery q{.tenant = tenant, .period = p, .metrics = {m.event}};
  return store::ReportStore(db).ForEachEvent(q, [&](const Event& e) {
    if (!eval.Evaluate(e, &out).ok()) return Status::OK();
    for (const ingest::Contribution& c : out) f(e, c);
    return Status::OK();
  });
}

// Adds the counters of whole hours `hours` for one tenant to `v`.
Status AddHours(store::CounterStore& counters, const catalog::Meter& m, const std::string& tenant,
                const Period& hours, ingest::MeterValue* v) {
  if (Empty(hours)) return Status::OK();
  if (m.aggregation == Aggregation::kUniqueCount) {
    METER_ASSIGN_OR_RETURN(auto values, counters.DistinctValues(tenant, m.key, hours));
    v->AddUniques(values, 0);
    return Status::OK();
  }
  METER_ASSIGN_OR_RETURN(store::CounterTotal t, counters.Total(tenant, m.key, ingest::MergeFor(m.aggregation), hours));
  v->AddPartial(t.value, t.events, t.latest_ts);
  return Status::OK();
}

// Adds to `v` what the raw events of `s`'s partial hours (of `tenant`)
// contribute to `m`.
Status AddPartialHours(store::Database& db, ingest::MeterEvaluator& eval, const catalog::Meter& m,
                       const std::string& tenant, const HourSplit& s, ingest::MeterValue* v) {
  for (const Period& part : {s.head, s.tail})
    METER_RETURN_IF_ERROR(ForEachContribution(db, eval, m, tenant, part, [&](const Event& e, const auto& c) {
      v->Add(c, e.timestamp);
    }));
  return Status::OK();
}

// One meter's hourly counter rows of one tenant over a range of hours, read
// once and folded into as many buckets as asked.
class CounterRows {
 public:
  static Result<CounterRows> Read(store::CounterStore& counters, const catalog::Meter& m, const std::string& tenant,
                                  const Period& hours) {
    CounterRows r;
    if (Empty(hours)) return r;
    if (m.aggregation == Aggregation::kUniqueCount) {
      METER_ASSIGN_OR_RETURN(r.uniques_, counters.UniqueRows(tenant, m.key, hours));
    } else {
      METER_ASSIGN_OR_RETURN(r.rows_, counters.Rows(tenant, m.key, hours));
    }
    return r;
  }
  // Adds the rows of the whole hours `hours` (within the range read; none
  // when it is empty) to `v`.
  void Fold(const Period& hours, ingest::MeterValue* v) const {
    auto rows = std::lower_bound(rows_.begin(), rows_.end(), hours.start,
                                 [](const store::CounterRow& r, Timestamp t) { return r.hour < t; });
    for (; rows != rows_.end() && rows->hour < hours.end; ++rows)
      v->AddPartial(rows->value, rows->events, rows->latest_ts);
    auto u = std::lower_bound(uniques_.begin(), uniques_.end(), hours.start,
                              [](const store::UniqueRow& r, Timestamp t) { return r.hour < t; });
    std::vector<std::string> values;
    for (; u != uniques_.end() && u->hour < hours.end; ++u) values.push_back(u->value);
    if (!values.empty()) v->AddUniques(values, 0);
  }

 private:
  std::vector<store::CounterRow> rows_;
  std::vector<store::UniqueRow> uniques_;
};

}  // namespace

Result<std::vector<ingest::MeterValue>> MeterValuesIn(store::Database& db, const std::string& tenant,
                                                      const catalog::Meter& m, const std::vector<Period>& buckets) {
  std::vector<HourSplit> splits;
  Period hull{INT64_MAX, INT64_MIN};
  for (const Period& b : buckets) {
    const HourSplit& s = splits.emplace_back(SplitAtHours(b));
    if (!Empty(s.hours)) hull = {std::min(hull.start, s.hours.start), std::max(hull.end, s.hours.end)};
  }
  store::CounterStore counters(db);
  METER_ASSIGN_OR_RETURN(CounterRows rows, CounterRows::Read(counters, m, tenant, hull));
  ingest::MeterEvaluator eval(std::vector<const catalog::Meter*>{&m});
  std::vector<ingest::MeterValue> out;
  out.reserve(buckets.size());
  for (const HourSplit& s : splits) {
    ingest::MeterValue& v = out.emplace_back(m.aggregation);
    rows.Fold(s.hours, &v);
    METER_RETURN_IF_ERROR(AddPartialHours(db, eval, m, tenant, s, &v));
  }
  return out;
}

Result<ingest::MeterValue> MeterValueOver(store::Database& db, const std::string& tenant, const catalog::Meter& m,
                                          const Period& p) {
  HourSplit s = SplitAtHours(p);
  store::CounterStore counters(db);
  ingest::MeterValue v(m.aggregation);
  METER_RETURN_IF_ERROR(AddHours(counters, m, tenant, s.hours, &v));
  ingest::MeterEvaluator eval(std::vector<const catalog::Meter*>{&m});
  METER_RETURN_IF_ERROR(AddPartialHours(db, eval, m, tenant, s, &v));
  return v;
}

Result<Decimal> MeterQuantity(store::Database& db, const std::string& tenant, const catalog::Meter& m,
                              const Period& p) {
  HourSplit s = SplitAtHours(p);
  if (Empty(s.head) && Empty(s.tail) && m.aggregation == Aggregation::kUniqueCount) {
    METER_ASSIGN_OR_RETURN(int64_t n, store::CounterStore(db).DistinctCount(tenant, m.key, s.hours));
    return Decimal::FromInt(n);
  }
  METER_ASSIGN_OR_RETURN(ingest::MeterValue v, MeterValueOver(db, tenant, m, p));
  return v.value();
}

Result<std::map<std::string, Decimal>> MeterQuantities(store::Database& db, const catalog::Meter& m,
                                                       const Period& p) {
  HourSplit s = SplitAtHours(p);
  store::CounterStore counters(db);
  std::map<std::string, ingest::MeterValue> values;
  auto value_of = [&](const std::string& tenant) -> ingest::MeterValue& {
    return values.try_emplace(tenant, m.aggregation).first->second;
  };
  if (!Empty(s.hours)) {
    if (m.aggregation == Aggregation::kUniqueCount) {
      METER_ASSIGN_OR_RETURN(auto by_tenant, counters.DistinctValuesByTenant(m.key, s.hours));
      for (const auto& [tenant, distinct] : by_tenant) value_of(tenant).AddUniques(distinct, 0);
    } else {
      METER_ASSIGN_OR_RETURN(auto totals, counters.Totals(m.key, ingest::MergeFor(m.aggregation), s.hours));
      for (const auto& [tenant, t] : totals) value_of(tenant).AddPartial(t.value, t.events, t.latest_ts);
    }
  }
  ingest::MeterEvaluator eval(std::vector<const catalog::Meter*>{&m});
  for (const Period& part : {s.head, s.tail})
    METER_RETURN_IF_ERROR(ForEachContribution(db, eval, m, "", part, [&](const Event& e, const auto& c) {
      value_of(e.tenant).Add(c, e.timestamp);
    }));
  std::map<std::string, Decimal> out;
  for (const auto& [tenant, v] : values)
    if (!v.empty()) out[tenant] = v.value();
  return out;
}

namespace {

// Up to this many tenants' slices are read by naming the tenants (one
// statement parameter each); more, by reading every tenant's events.
constexpr size_t kFewTenants = 1000;

// Routes each event of the scanned span to the requests of its tenant whose
// period holds it.
class RequestIndex {
 public:
  explicit RequestIndex(const std::vector<SliceRequest>& requests) {
    for (size_t i = 0; i < requests.size(); ++i) by_tenant_[requests[i].tenant].push_back(i);
  }
  // The requested tenants, in byte order.
  std::vector<std::string> Tenants() const {
    std::vector<std::string> out;
    for (const auto& kv : by_tenant_) out.push_back(kv.first);
    std::sort(out.begin(), out.end());
    return out;
  }
  // The requests of `e`'s tenant; nullptr for a tenant nobody asked for
  // (its events are skipped before they are evaluated).
  const std::vector<size_t>* Of(const Event& e) const {
    auto it = by_tenant_.find(e.tenant);
    return it == by_tenant_.end() ? nullptr : &it->second;
  }

 private:
  std::unordered_map<std::string, std::vector<size_t>> by_tenant_;
};

// The compiled fields of a SliceSpec.
struct CompiledSpec {
  std::vector<std::vector<std::pair<size_t, const std::vector<std::string>*>>> conditions;  // per filter
  std::vector<std::optional<size_t>> group_by;  // per filter, then the remainder
};

CompiledSpec Compile(const SliceSpec& spec, ingest::MeterEvaluator& eval) {
  CompiledSpec c;
  auto group = [&](const std::string& field) {
    return field.empty() ? std::optional<size_t>() : std::optional<size_t>(eval.AddField(field));
  };
  for (const SliceFilter& f : spec.filters) {
    auto& conds = c.conditions.emplace_back();
    for (const FieldIn& w : f.where) conds.emplace_back(eval.AddField(w.field), &w.values);
    c.group_by.push_back(group(f.group_by));
  }
  c.group_by.push_back(group(spec.remainder_group_by));
  return c;
}

// The slice of the event last evaluated: its first matching filter, and the group.
Result<SliceKey> SliceOf(ingest::MeterEvaluator& eval, const CompiledSpec& spec) {
  SliceKey key;
  for (size_t f = 0; f < spec.conditions.size() && key.filter < 0; ++f) {
    bool all = true;
    for (const auto& [field, values] : spec.conditions[f]) {
      METER_ASSIGN_OR_RETURN(bool in, eval.FieldIn(field, *values));
      if (!(all = in)) break;
    }
    if (all) key.filter = static_cast<int>(f);
  }
  const std::optional<size_t>& group = spec.group_by[key.filter < 0 ? spec.group_by.size() - 1 : key.filter];
  if (group) {
    METER_ASSIGN_OR_RETURN(std::optional<std::string> text, eval.FieldText(*group));
    key.group = text ? *text : kNoGroupValue;
  }
  return key;
}

}  // namespace

Result<std::vector<std::map<SliceKey, ingest::MeterValue>>> MeasureSlices(store::Database& db,
                                                                          const catalog::Meter& m,
                                                                          const SliceSpec& spec,
                                                                          const std::vector<SliceRequest>& requests) {
  std::vector<std::map<SliceKey, ingest::MeterValue>> values(requests.size());
  if (!requests.empty()) {
    Period span = requests.front().period;
    for (const SliceRequest& r : requests)
      span = {std::min(span.start, r.period.start), std::max(span.end, r.period.end)};
    ingest::MeterEvaluator eval(std::vector<const catalog::Meter*>{&m});
    CompiledSpec compiled = Compile(spec, eval);
    RequestIndex index(requests);
    std::vector<ingest::Contribution> out;
    // One tenant: its events in the span. A few: theirs only (late usage of
    // some tenants' finalized months), in storage order, as every tenant's.
    std::vector<std::string> tenants = index.Tenants();
    store::EventQuery q;
    q.period = span;
    q.metrics = {m.event};
    q.storage_order = tenants.size() > 1;
    if (tenants.size() == 1) q.tenant = tenants.front();
    else if (tenants.size() <= kFewTenants) q.tenants = std::move(tenants);
    METER_RETURN_IF_ERROR(store::ReportStore(db).ForEachEvent(q, [&](const Event& e) -> Status {
      const std::vector<size_t>* asked = index.Of(e);
      if (!asked || !eval.Evaluate(e, &out).ok() || out.empty()) return Status::OK();
      auto key = SliceOf(eval, compiled);
      if (!key.ok()) return Status::OK();  // properties unreadable now: counted nowhere, as in Evaluate
      for (size_t i : *asked) {
        if (!requests[i].period.Contains(e.timestamp)) continue;
        for (const ingest::Contribution& c : out)
          values[i].try_emplace(*key, m.aggregation).first->second.Add(c, e.timestamp);
      }
      return Status::OK();
    }));
  }
  for (auto& slices : values) std::erase_if(slices, [](const auto& kv) { return kv.second.empty(); });
  return values;
}

}  // namespace meter::usage
