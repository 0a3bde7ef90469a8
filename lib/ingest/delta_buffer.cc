#include "ingest/delta_buffer.h"

#include <algorithm>
#include <tuple>

#include <fmt/format.h>

#include "ingest/meters.h"

namespace meter::ingest {

using catalog::Aggregation;

uint32_t DeltaKeys::TenantId(std::string_view tenant) {
  auto it = tenant_ids_.find(tenant);
  if (it != tenant_ids_.end()) return it->second;
  tenant_names_.emplace_back(tenant);
  return tenant_ids_.emplace(tenant, static_cast<uint32_t>(tenant_names_.size() - 1)).first->second;
}

uint32_t DeltaKeys::Slot(uint32_t t, Timestamp ts, const catalog::Meter* meter, std::string_view unique) {
  Timestamp hour = HourOf(ts).start;
  if (meter->aggregation == Aggregation::kUniqueCount) return keys_.Unique(t, meter, hour, unique);
  return keys_.Counter(t, meter, hour);
}

DeltaKeys::Ranks DeltaKeys::MakeRanks() const {
  Ranks r;
  std::vector<uint32_t> by_name(tenant_names_.size());
  for (uint32_t i = 0; i < by_name.size(); ++i) by_name[i] = i;
  std::sort(by_name.begin(), by_name.end(),
            [&](uint32_t a, uint32_t b) { return tenant_names_[a] < tenant_names_[b]; });
  r.tenant.resize(by_name.size());
  for (uint32_t i = 0; i < by_name.size(); ++i) r.tenant[by_name[i]] = i;
  // A catalog has few meters: a linear search finds each.
  std::vector<const catalog::Meter*> meters;
  auto note = [&](const catalog::Meter* m) {
    if (std::find(meters.begin(), meters.end(), m) == meters.end()) meters.push_back(m);
  };
  for (uint32_t id = 0; id < keys_.counters(); ++id) note(keys_.counter(id).meter);
  for (uint32_t id = 0; id < keys_.uniques(); ++id) note(keys_.unique(id).meter);
  std::sort(meters.begin(), meters.end(), [](auto* a, auto* b) { return a->key < b->key; });
  for (uint32_t i = 0; i < meters.size(); ++i) r.meter[meters[i]] = i;
  return r;
}

std::vector<uint32_t> DeltaKeys::SortedCounters() const {
  Ranks ranks = MakeRanks();
  struct Key {
    uint64_t tenant_meter;
    Timestamp hour;
    uint32_t id;
  };
  std::vector<Key> sorted;
  sorted.reserve(keys_.counters());
  for (uint32_t id = 0; id < keys_.counters(); ++id) {
    const CounterKey& k = keys_.counter(id);
    sorted.push_back({ranks.Of(k.tenant, k.meter), k.hour, id});
  }
  std::sort(sorted.begin(), sorted.end(), [](const Key& x, const Key& y) {
    return std::tie(x.tenant_meter, x.hour) < std::tie(y.tenant_meter, y.hour);
  });
  std::vector<uint32_t> out;
  out.reserve(sorted.size());
  for (const Key& k : sorted) out.push_back(k.id);
  return out;
}

// Sorted: in hash order every insert landed on a random page of the
// distinct values' table (about 11 K instructions each instead of 4 K, when
// it held a row per value); sorted, a day row's values are also in the
// order its text keeps them (counter_days.h).
std::vector<uint32_t> DeltaKeys::SortedUniques() const {
  Ranks ranks = MakeRanks();
  struct Key {
    uint64_t tenant_meter;
    Timestamp hour;
    std::string_view value;
    uint32_t id;
  };
  std::vector<Key> sorted;
  sorted.reserve(keys_.uniques());
  for (uint32_t id = 0; id < keys_.uniques(); ++id) {
    const UniqueKey& k = keys_.unique(id);
    sorted.push_back({ranks.Of(k.tenant, k.meter), k.hour, keys_.value(k), id});
  }
  std::sort(sorted.begin(), sorted.end(), [](const Key& x, const Key& y) {
    return std::tie(x.tenant_meter, x.hour, x.value) < std::tie(y.tenant_meter, y.hour, y.value);
  });
  std::vector<uint32_t> out;
  out.reserve(sorted.size());
  for (const Key& k : sorted) out.push_back(k.id);
  return out;
}

void DeltaKeys::Clear() {
  keys_.Clear();
  tenant_ids_.clear();
  tenant_names_.clear();
}

Status DeltaSums::Add(uint32_t id, std::string_view tenant, Timestamp ts, const catalog::Meter* meter,
                      int64_t micros) {
  Aggregation agg = meter->aggregation;
  if (agg == Aggregation::kUniqueCount) {
    if (id >= uniques_.size()) uniques_.resize(std::max<size_t>(id + 1, uniques_.size() * 2));
    uniques_[id] = 1;
    any_ = true;
    return Status::OK();
  }
  if (id >= counters_.size()) counters_.resize(std::max<size_t>(id + 1, counters_.size() * 2));
  Accumulated& a = counters_[id];
  if (!Combine(agg, micros, ts, a.events == 0, &a.value, &a.latest_ts))  // the meter's rule (meters.h)
    return Status::DataError(fmt::format("meter '{}', tenant '{}': the hour from {} would total more than one counter "
                                         "holds ({})",
                                         meter->key, tenant, FormatRfc3339(HourOf(ts).start), kCounterCapacity));
  ++a.events;
  any_ = true;
  return Status::OK();
}

Status DeltaSums::AddStaged(const StagedEvents& stage, size_t i) {
  const StagedEvents::Event& s = stage.event(i);
  for (size_t c = s.first_contribution; c < s.end_contribution; ++c) {
    const StagedEvents::StagedContribution& con = stage.contribution(c);
    METER_RETURN_IF_ERROR(Add(con.slot, stage.View(s.tenant), s.timestamp, con.meter, con.micros));
  }
  return Status::OK();
}

namespace {

// Room for `n` rows, with a quarter to spare when it grows: the next batches,
// of about the same size, then reuse its memory instead of faulting in more.
template <typename T>
void Reserve(std::vector<T>* rows, size_t n) {
  if (rows->capacity() < n) rows->reserve(n + n / 4);
}

}  // namespace

void DeltaSums::Counters(const DeltaKeys& keys, const std::vector<uint32_t>& order,
                         std::vector<store::CounterDelta>* out) const {
  out->clear();
  Reserve(out, order.size());
  for (uint32_t id : order) {
    if (id >= counters_.size() || counters_[id].events == 0) continue;
    const Accumulated& a = counters_[id];
    const CounterKey& k = keys.keys().counter(id);
    out->push_back({keys.tenant(k.tenant), k.meter->key, k.hour, MergeFor(k.meter->aggregation), a.value, a.events,
                    a.latest_ts});
  }
}

void DeltaSums::Uniques(const DeltaKeys& keys, const std::vector<uint32_t>& order,
                        std::vector<store::UniqueValue>* out) const {
  out->clear();
  Reserve(out, order.size());
  for (uint32_t id : order) {
    if (id >= uniques_.size() || !uniques_[id]) continue;
    const UniqueKey& k = keys.keys().unique(id);
    out->push_back({keys.tenant(k.tenant), k.meter->key, k.hour, keys.keys().value(k)});
  }
}

void DeltaSums::Clear() {
  std::fill(counters_.begin(), counters_.end(), Accumulated{});
  std::fill(uniques_.begin(), uniques_.end(), 0);
  any_ = false;
}

}  // namespace meter::ingest
