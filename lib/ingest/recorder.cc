#include "ingest/recorder.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>

#include "ingest/batch_buffer.h"
#include "ingest/meters.h"
#include "store/event_store.h"

namespace meter::ingest {
namespace {

using catalog::Aggregation;

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

store::CounterMerge MergeFor(Aggregation a) {
  if (a == Aggregation::kMax) return store::CounterMerge::kMax;
  if (a == Aggregation::kLatest) return store::CounterMerge::kLatest;
  return store::CounterMerge::kAdd;
}

}  // namespace

struct EventRecorder::Impl {
  Impl(store::Database& db, const catalog::Catalog& catalog) : events(db), stager(catalog) {
    std::vector<const catalog::Meter*> meters;
    for (const catalog::Meter& m : catalog.meters) meters.push_back(&m);
    std::sort(meters.begin(), meters.end(), [](auto* a, auto* b) { return a->key < b->key; });
    for (uint32_t r = 0; r < meters.size(); ++r) meter_rank[meters[r]] = r;
  }
  store::EventStore events;
  EventStager stager;  // for Record and Check
  // Tenants are interned so that buffering a contribution copies no string.
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> tenant_ids;
  std::vector<std::string> tenant_names;
  BatchBuffer buffer;
  std::unordered_map<const catalog::Meter*, uint32_t> meter_rank;  // by key
  std::vector<EventView> views;  // Write: the staged events in insert order
  std::vector<bool> inserted;

  uint32_t TenantId(std::string_view tenant);
  void Buffer(uint32_t tenant, Timestamp ts, const catalog::Meter* meter, int64_t micros, std::string_view unique);
  std::vector<store::CounterDelta> CounterDeltas() const;
  std::vector<store::UniqueValue> UniqueValues() const;
};

uint32_t EventRecorder::Impl::TenantId(std::string_view tenant) {
  auto it = tenant_ids.find(tenant);
  if (it != tenant_ids.end()) return it->second;
  tenant_names.emplace_back(tenant);
  return tenant_ids.emplace(tenant, static_cast<uint32_t>(tenant_names.size() - 1)).first->second;
}

void EventRecorder::Impl::Buffer(uint32_t tenant, Timestamp ts, const catalog::Meter* meter, int64_t micros,
                                 std::string_view unique) {
  Aggregation agg = meter->aggregation;
  Timestamp hour = HourOf(ts).start;
  if (agg == Aggregation::kUniqueCount) {
    buffer.AddUnique(tenant, meter, hour, unique);
    return;
  }
  bool fresh = false;
  Accumulated& a = buffer.Counter(tenant, meter, hour, &fresh);
  if (agg == Aggregation::kMax) {
    a.value = fresh ? micros : std::max(a.value, micros);
  } else if (agg == Aggregation::kLatest) {
    // The latest event time wins; ties keep the larger value, whatever the order.
    if (fresh || ts > a.latest_ts || (ts == a.latest_ts && micros > a.value)) {
      a.value = micros;
      a.latest_ts = ts;
    }
  } else {
    a.value += micros;
  }
  ++a.events;
}

// The buffered deltas in key order, so the writes walk the B-tree in order.
// Views into tenant_names, the catalog and the buffer, which outlive them.
std::vector<store::CounterDelta> EventRecorder::Impl::CounterDeltas() const {
  // Sorting by (tenant, meter, hour) compares strings: rank the few tenants
  // and meters by name once, then sort integer keys.
  std::vector<uint32_t> by_name(tenant_names.size()), tenant_rank(tenant_names.size());
  for (uint32_t i = 0; i < by_name.size(); ++i) by_name[i] = i;
  std::sort(by_name.begin(), by_name.end(), [&](uint32_t a, uint32_t b) { return tenant_names[a] < tenant_names[b]; });
  for (uint32_t r = 0; r < by_name.size(); ++r) tenant_rank[by_name[r]] = r;
  struct Key {
    uint64_t tenant_meter;  // tenant rank << 32 | meter rank
    Timestamp hour;
    const catalog::Meter* meter;
    uint32_t tenant;
    const Accumulated* acc;
  };
  std::vector<Key> keys;
  keys.reserve(buffer.counters());
  buffer.ForEachCounter([&](uint32_t tenant, const catalog::Meter* m, Timestamp hour, const Accumulated& a) {
    keys.push_back({uint64_t{tenant_rank[tenant]} << 32 | meter_rank.at(m), hour, m, tenant, &a});
  });
  std::sort(keys.begin(), keys.end(), [](const Key& x, const Key& y) {
    return x.tenant_meter != y.tenant_meter ? x.tenant_meter < y.tenant_meter : x.hour < y.hour;
  });
  std::vector<store::CounterDelta> out;
  out.reserve(keys.size());
  for (const Key& k : keys)
    out.push_back({tenant_names[k.tenant], k.meter->key, k.hour, MergeFor(k.meter->aggregation), k.acc->value,
                   k.acc->events, k.acc->latest_ts});
  return out;
}

std::vector<store::UniqueValue> EventRecorder::Impl::UniqueValues() const {
  std::vector<store::UniqueValue> out;
  out.reserve(buffer.uniques());
  buffer.ForEachUnique([&](uint32_t tenant, const catalog::Meter* m, Timestamp hour, std::string_view value) {
    out.push_back({tenant_names[tenant], m->key, hour, value});
  });
  return out;
}

EventRecorder::EventRecorder(store::Database& db, const catalog::Catalog& catalog)
    : impl_(std::make_unique<Impl>(db, catalog)) {}

EventRecorder::~EventRecorder() = default;

Status EventStager::Check(const EventView& e) {
  if (e.quantity_micros < 0) return Status::DataError("quantity must be non-negative");
  return meters_.Evaluate(e, &contributions_);
}

Status EventStager::Stage(const EventView& e, uint64_t tag, StagedEvents* stage) {
  METER_RETURN_IF_ERROR(Check(e));
  stage->Add(e, tag, contributions_);
  return Status::OK();
}

Status EventRecorder::Check(const EventView& e) { return impl_->stager.Check(e); }

Result<bool> EventRecorder::Record(const EventView& e) {
  METER_RETURN_IF_ERROR(Check(e));
  METER_ASSIGN_OR_RETURN(bool inserted, impl_->events.Insert(e, Clock::Now()));
  const std::vector<Contribution>& contributions = impl_->stager.contributions();
  if (!inserted || contributions.empty()) return inserted;
  uint32_t tenant = impl_->TenantId(e.tenant);
  for (const Contribution& c : contributions) impl_->Buffer(tenant, e.timestamp, c.meter, c.micros, c.unique);
  return true;
}

// Two passes: the inserts in id order (the index's order), then the
// contributions and the callbacks in staging order, which is usually time
// order and keeps the counter buffer's accesses close together.
Status EventRecorder::Write(const StagedEvents& stage, const std::vector<uint32_t>& order, const StagedFn& done) {
  std::vector<EventView>& views = impl_->views;
  views.clear();
  views.reserve(order.size());
  for (size_t k = 0; k < order.size(); ++k) {
    // The events are visited out of memory order: fetch ahead.
    if (k + 4 < order.size()) stage.Prefetch(order[k + 4]);
    views.push_back(stage.View(stage.event(order[k])));
  }
  std::vector<bool>& inserted_in_order = impl_->inserted;
  METER_RETURN_IF_ERROR(impl_->events.InsertMany(views, Clock::Now(), &inserted_in_order));
  std::vector<bool> inserted(stage.size());
  for (size_t k = 0; k < order.size(); ++k) inserted[order[k]] = inserted_in_order[k];
  for (size_t i = 0; i < stage.size(); ++i) {
    const StagedEvents::Event& s = stage.event(i);
    EventView e = stage.View(s);
    if (inserted[i] && s.end_contribution > s.first_contribution) {
      uint32_t tenant = impl_->TenantId(e.tenant);
      for (size_t c = s.first_contribution; c < s.end_contribution; ++c) {
        const StagedEvents::StagedContribution& con = stage.contribution(c);
        impl_->Buffer(tenant, e.timestamp, con.meter, con.micros, stage.View(con.unique));
      }
    }
    METER_RETURN_IF_ERROR(done(s.tag, inserted[i], e));
  }
  return Status::OK();
}

Status EventRecorder::Flush() {
  Status st = impl_->events.AddCounters(impl_->CounterDeltas());
  if (st.ok()) st = impl_->events.AddUniques(impl_->UniqueValues());
  impl_->buffer.Clear();
  return st;
}

void EventRecorder::Discard() { impl_->buffer.Clear(); }

}  // namespace meter::ingest
