#include "ingest/recorder.h"

#include <algorithm>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include "ingest/meters.h"
#include "store/event_store.h"

namespace meter::ingest {
namespace {

using catalog::Aggregation;

// Counters are buffered per (tenant, meter, hour); tenants are interned so
// that buffering an event's contributions allocates nothing.
struct CounterKey {
  uint32_t tenant;
  const catalog::Meter* meter;
  Timestamp hour;
  bool operator==(const CounterKey&) const = default;
};

struct UniqueView {
  uint32_t tenant;
  const catalog::Meter* meter;
  Timestamp hour;
  std::string_view value;
};

struct UniqueKey {
  uint32_t tenant;
  const catalog::Meter* meter;
  Timestamp hour;
  std::string value;
  UniqueView view() const { return {tenant, meter, hour, value}; }
};

size_t Mix(size_t h, size_t v) { return h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)); }

struct KeyHash {
  using is_transparent = void;
  size_t operator()(const CounterKey& k) const {
    return Mix(Mix(k.tenant, std::hash<const void*>{}(k.meter)), std::hash<int64_t>{}(k.hour));
  }
  size_t operator()(const UniqueView& k) const {
    return Mix(operator()(CounterKey{k.tenant, k.meter, k.hour}), std::hash<std::string_view>{}(k.value));
  }
  size_t operator()(const UniqueKey& k) const { return operator()(k.view()); }
};

struct KeyEq {
  using is_transparent = void;
  static auto Tie(const UniqueView& v) { return std::tie(v.tenant, v.meter, v.hour, v.value); }
  bool operator()(const UniqueKey& a, const UniqueKey& b) const { return Tie(a.view()) == Tie(b.view()); }
  bool operator()(const UniqueKey& a, const UniqueView& b) const { return Tie(a.view()) == Tie(b); }
  bool operator()(const UniqueView& a, const UniqueKey& b) const { return Tie(a) == Tie(b.view()); }
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

// One hour's accumulated change to a counter, merged the meter's way.
struct Accumulated {
  int64_t value = 0;
  int64_t events = 0;
  Timestamp latest_ts = 0;
};

store::CounterMerge MergeFor(Aggregation a) {
  if (a == Aggregation::kMax) return store::CounterMerge::kMax;
  if (a == Aggregation::kLatest) return store::CounterMerge::kLatest;
  return store::CounterMerge::kAdd;
}

}  // namespace

struct EventRecorder::Impl {
  Impl(store::Database& db, const catalog::Catalog& catalog) : events(db), meters(catalog) {}
  store::EventStore events;
  MeterEvaluator meters;
  std::vector<Contribution> contributions;
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> tenant_ids;
  std::vector<std::string> tenant_names;
  std::unordered_map<CounterKey, Accumulated, KeyHash> counters;
  std::unordered_set<UniqueKey, KeyHash, KeyEq> uniques;

  uint32_t TenantId(std::string_view tenant);
  void Buffer(uint32_t tenant, Timestamp ts, Contribution& c);
  std::vector<store::CounterDelta> TakeCounters();
  std::vector<store::UniqueValue> UniqueViews() const;
};

uint32_t EventRecorder::Impl::TenantId(std::string_view tenant) {
  auto it = tenant_ids.find(tenant);
  if (it != tenant_ids.end()) return it->second;
  tenant_names.emplace_back(tenant);
  return tenant_ids.emplace(tenant, static_cast<uint32_t>(tenant_names.size() - 1)).first->second;
}

void EventRecorder::Impl::Buffer(uint32_t tenant, Timestamp ts, Contribution& c) {
  Aggregation agg = c.meter->aggregation;
  Timestamp hour = HourOf(ts).start;
  if (agg == Aggregation::kUniqueCount) {
    if (uniques.find(UniqueView{tenant, c.meter, hour, c.unique}) == uniques.end())
      uniques.insert(UniqueKey{tenant, c.meter, hour, std::move(c.unique)});
    return;
  }
  auto [it, fresh] = counters.try_emplace(CounterKey{tenant, c.meter, hour});
  Accumulated& a = it->second;
  if (agg == Aggregation::kMax) {
    a.value = fresh ? c.micros : std::max(a.value, c.micros);
  } else if (agg == Aggregation::kLatest) {
    // The latest event time wins; ties keep the larger value, whatever the order.
    if (fresh || ts > a.latest_ts || (ts == a.latest_ts && c.micros > a.value)) {
      a.value = c.micros;
      a.latest_ts = ts;
    }
  } else {
    a.value += c.micros;
  }
  ++a.events;
}

// The buffered deltas in key order, so the writes walk the B-tree in order.
std::vector<store::CounterDelta> EventRecorder::Impl::TakeCounters() {
  std::vector<store::CounterDelta> out;
  out.reserve(counters.size());
  for (const auto& [k, a] : counters)
    out.push_back({tenant_names[k.tenant], k.meter->key, k.hour, MergeFor(k.meter->aggregation), a.value, a.events,
                   a.latest_ts});
  counters.clear();
  std::sort(out.begin(), out.end(), [](const store::CounterDelta& x, const store::CounterDelta& y) {
    return std::tie(x.tenant, x.meter, x.hour) < std::tie(y.tenant, y.meter, y.hour);
  });
  return out;  // views into tenant_names and the catalog, which outlive it
}

// Views into the buffer, which Flush empties once they are written.
std::vector<store::UniqueValue> EventRecorder::Impl::UniqueViews() const {
  std::vector<store::UniqueValue> out;
  out.reserve(uniques.size());
  for (const UniqueKey& u : uniques) out.push_back({tenant_names[u.tenant], u.meter->key, u.hour, u.value});
  return out;
}

EventRecorder::EventRecorder(store::Database& db, const catalog::Catalog& catalog)
    : impl_(std::make_unique<Impl>(db, catalog)) {}

EventRecorder::~EventRecorder() = default;

Status EventRecorder::Check(const EventView& e) {
  if (e.quantity_micros < 0) return Status::DataError("quantity must be non-negative");
  return impl_->meters.Evaluate(e, &impl_->contributions);
}

Result<bool> EventRecorder::Record(const EventView& e) {
  METER_RETURN_IF_ERROR(Check(e));
  store::EventRow row{e.id, e.tenant, e.metric, e.timestamp, e.quantity_micros, e.user, e.operation,
                      e.status, e.latency_ms, e.cost, e.properties, Clock::Now()};
  METER_ASSIGN_OR_RETURN(bool inserted, impl_->events.Insert(row));
  if (!inserted || impl_->contributions.empty()) return inserted;
  uint32_t tenant = impl_->TenantId(e.tenant);
  for (Contribution& c : impl_->contributions) impl_->Buffer(tenant, e.timestamp, c);
  return true;
}

Status EventRecorder::Flush() {
  std::vector<store::CounterDelta> deltas = impl_->TakeCounters();
  Status st = impl_->events.AddCounters(deltas);
  if (st.ok()) st = impl_->events.AddUniques(impl_->UniqueViews());
  impl_->uniques.clear();
  return st;
}

void EventRecorder::Discard() {
  impl_->counters.clear();
  impl_->uniques.clear();
}

}  // namespace meter::ingest
