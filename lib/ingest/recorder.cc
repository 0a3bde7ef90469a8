#include "ingest/recorder.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
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

// Events staged for WriteStaged: their text in one arena (no allocation
// per event), fields as (offset, length) pairs into it.
class StagedEvents {
 public:
  struct Text {
    size_t offset = 0;
    uint32_t length = 0;
  };
  struct Contribution {
    const catalog::Meter* meter;
    int64_t micros;
    Text unique;
  };
  struct Event : BasicEvent<Text> {
    uint64_t tag = 0;
    size_t first_contribution = 0, end_contribution = 0;
  };

  void Add(const EventView& e, uint64_t tag, const std::vector<ingest::Contribution>& contributions) {
    Event s;
    ForEachEventField(s, e, [this](EventColumn, auto& to, const auto& from) {
      if constexpr (std::is_same_v<std::decay_t<decltype(to)>, Text>) to = Keep(from);
      else to = from;
    });
    s.tag = tag;
    s.first_contribution = contributions_.size();
    s.end_contribution = contributions_.size() + contributions.size();
    for (const ingest::Contribution& c : contributions) contributions_.push_back({c.meter, c.micros, Keep(c.unique)});
    events_.push_back(s);
  }

  std::string_view View(Text t) const { return std::string_view(arena_.data() + t.offset, t.length); }

  EventView View(const Event& s) const {
    EventView v;
    ForEachEventField(v, s, [this](EventColumn, auto& to, const auto& from) {
      if constexpr (std::is_same_v<std::decay_t<decltype(from)>, Text>) to = View(from);
      else to = from;
    });
    return v;
  }

  // Staged events ordered by id; equal ids keep their staging order. Sorts
  // compact keys (the 8 bytes after the prefix all ids share, then the
  // staging index) and compares whole ids only on ties, so sorting stays
  // cheap and cache-friendly.
  std::vector<const Event*> ById() const {
    size_t common = CommonIdPrefix();
    struct Key {
      uint64_t head;
      uint32_t index;
    };
    std::vector<Key> keys;
    keys.reserve(events_.size());
    for (size_t i = 0; i < events_.size(); ++i) {
      std::string_view id = View(events_[i].id).substr(common);
      uint64_t head = 0;
      for (size_t b = 0; b < 8; ++b) head = head << 8 | (b < id.size() ? static_cast<unsigned char>(id[b]) : 0);
      keys.push_back({head, static_cast<uint32_t>(i)});
    }
    std::sort(keys.begin(), keys.end(), [this](const Key& a, const Key& b) {
      if (a.head != b.head) return a.head < b.head;
      std::string_view x = View(events_[a.index].id), y = View(events_[b.index].id);
      return x != y ? x < y : a.index < b.index;
    });
    std::vector<const Event*> order;
    order.reserve(keys.size());
    for (const Key& k : keys) order.push_back(&events_[k.index]);
    return order;
  }

  const Contribution* contribution(size_t i) const { return &contributions_[i]; }
  const Event& event(size_t i) const { return events_[i]; }
  size_t IndexOf(const Event* e) const { return static_cast<size_t>(e - events_.data()); }
  // Asks the CPU to load the text of `e` (its fields are adjacent in the arena).
  void Prefetch(const Event& e) const {
    const char* p = arena_.data() + e.id.offset;
    __builtin_prefetch(p);
    __builtin_prefetch(p + 64);
  }
  size_t size() const { return events_.size(); }
  void Clear() {
    events_.clear();
    contributions_.clear();
    arena_.clear();
  }

 private:
  Text Keep(std::string_view v) {
    Text t{arena_.size(), static_cast<uint32_t>(v.size())};
    arena_.append(v);
    return t;
  }
  // How many leading bytes every staged id shares ("evt_2602..." ids share
  // several): they say nothing about the order.
  size_t CommonIdPrefix() const {
    if (events_.empty()) return 0;
    std::string_view first = View(events_.front().id);
    size_t common = first.size();
    for (const Event& e : events_) {
      std::string_view id = View(e.id);
      size_t n = 0, limit = std::min(common, id.size());
      while (n < limit && id[n] == first[n]) ++n;
      common = n;
    }
    return common;
  }

  std::vector<Event> events_;
  std::vector<Contribution> contributions_;
  std::string arena_;
};

}  // namespace

struct EventRecorder::Impl {
  Impl(store::Database& db, const catalog::Catalog& catalog) : events(db), meters(catalog) {}
  store::EventStore events;
  MeterEvaluator meters;
  std::vector<Contribution> contributions;
  // Tenants are interned so that buffering a contribution copies no string.
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> tenant_ids;
  std::vector<std::string> tenant_names;
  BatchBuffer buffer;
  StagedEvents stage;

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
  std::vector<store::CounterDelta> out;
  out.reserve(buffer.counters());
  buffer.ForEachCounter([&](uint32_t tenant, const catalog::Meter* m, Timestamp hour, const Accumulated& a) {
    out.push_back({tenant_names[tenant], m->key, hour, MergeFor(m->aggregation), a.value, a.events, a.latest_ts});
  });
  std::sort(out.begin(), out.end(), [](const store::CounterDelta& x, const store::CounterDelta& y) {
    return std::tie(x.tenant, x.meter, x.hour) < std::tie(y.tenant, y.meter, y.hour);
  });
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

Status EventRecorder::Check(const EventView& e) {
  if (e.quantity_micros < 0) return Status::DataError("quantity must be non-negative");
  return impl_->meters.Evaluate(e, &impl_->contributions);
}

Result<bool> EventRecorder::Record(const EventView& e) {
  METER_RETURN_IF_ERROR(Check(e));
  METER_ASSIGN_OR_RETURN(bool inserted, impl_->events.Insert(e, Clock::Now()));
  if (!inserted || impl_->contributions.empty()) return inserted;
  uint32_t tenant = impl_->TenantId(e.tenant);
  for (const Contribution& c : impl_->contributions) impl_->Buffer(tenant, e.timestamp, c.meter, c.micros, c.unique);
  return true;
}

Status EventRecorder::Stage(const EventView& e, uint64_t tag) {
  METER_RETURN_IF_ERROR(Check(e));
  impl_->stage.Add(e, tag, impl_->contributions);
  return Status::OK();
}

size_t EventRecorder::staged() const { return impl_->stage.size(); }

// Two passes: the inserts in id order (the index's order), then the
// contributions and the callbacks in staging order, which is usually time
// order and keeps the counter buffer's accesses close together.
Status EventRecorder::WriteStaged(const StagedFn& done) {
  const StagedEvents& stage = impl_->stage;
  Timestamp now = Clock::Now();
  std::vector<const StagedEvents::Event*> order = stage.ById();
  std::vector<bool> inserted(stage.size());
  for (size_t k = 0; k < order.size(); ++k) {
    // The events are visited out of memory order: fetch ahead.
    if (k + 8 < order.size()) __builtin_prefetch(order[k + 8]);
    if (k + 4 < order.size()) stage.Prefetch(*order[k + 4]);
    EventView e = stage.View(*order[k]);
    METER_ASSIGN_OR_RETURN(bool fresh, impl_->events.Insert(e, now));
    inserted[stage.IndexOf(order[k])] = fresh;
  }
  for (size_t i = 0; i < stage.size(); ++i) {
    const StagedEvents::Event& s = stage.event(i);
    EventView e = stage.View(s);
    if (inserted[i] && s.end_contribution > s.first_contribution) {
      uint32_t tenant = impl_->TenantId(e.tenant);
      for (size_t c = s.first_contribution; c < s.end_contribution; ++c) {
        const StagedEvents::Contribution* con = stage.contribution(c);
        impl_->Buffer(tenant, e.timestamp, con->meter, con->micros, stage.View(con->unique));
      }
    }
    METER_RETURN_IF_ERROR(done(s.tag, inserted[i], e));
  }
  impl_->stage.Clear();
  return Status::OK();
}

Status EventRecorder::Flush() {
  Status st = impl_->events.AddCounters(impl_->CounterDeltas());
  if (st.ok()) st = impl_->events.AddUniques(impl_->UniqueValues());
  impl_->buffer.Clear();
  return st;
}

void EventRecorder::Discard() {
  impl_->stage.Clear();
  impl_->buffer.Clear();
}

}  // namespace meter::ingest
