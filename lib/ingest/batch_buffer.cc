#include "ingest/batch_buffer.h"

#include <algorithm>
#include <cstring>
#include <functional>

namespace meter::ingest {
namespace {

constexpr size_t kInitialSlots = 1024;  // a power of two; tables stay at most half full

uint64_t Mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  return h ^ (h >> 33);
}

uint64_t KeyHash(uint32_t tenant, const catalog::Meter* meter, Timestamp hour) {
  return Mix(Mix(reinterpret_cast<uintptr_t>(meter) ^ (uint64_t{tenant} << 48)) ^ static_cast<uint64_t>(hour));
}

}  // namespace

BatchBuffer::BatchBuffer() : counters_(kInitialSlots), uniques_(kInitialSlots) {}

Accumulated& BatchBuffer::Counter(uint32_t tenant, const catalog::Meter* meter, Timestamp hour, bool* fresh) {
  if ((counter_count_ + 1) * 2 > counters_.size()) GrowCounters();
  uint64_t hash = KeyHash(tenant, meter, hour);
  size_t mask = counters_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    CounterSlot& s = counters_[i];
    if (!s.meter) {
      s = CounterSlot{hash, meter, hour, tenant, {}};
      ++counter_count_;
      *fresh = true;
      return s.acc;
    }
    if (s.hash == hash && s.meter == meter && s.hour == hour && s.tenant == tenant) {
      *fresh = false;
      return s.acc;
    }
  }
}

void BatchBuffer::AddUnique(uint32_t tenant, const catalog::Meter* meter, Timestamp hour, std::string_view value) {
  if ((unique_count_ + 1) * 2 > uniques_.size()) GrowUniques();
  uint64_t hash = KeyHash(tenant, meter, hour) ^ std::hash<std::string_view>{}(value);
  size_t mask = uniques_.size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    UniqueSlot& s = uniques_[i];
    if (!s.meter) {
      s = UniqueSlot{hash, meter, hour, tenant, static_cast<uint32_t>(value.size()), arena_.size()};
      arena_.append(value);
      ++unique_count_;
      return;
    }
    if (s.hash == hash && s.meter == meter && s.hour == hour && s.tenant == tenant && s.length == value.size() &&
        std::memcmp(arena_.data() + s.offset, value.data(), value.size()) == 0)
      return;
  }
}

namespace {

// Doubles an open-addressing table and re-inserts its entries.
template <typename Slot>
void Grow(std::vector<Slot>* slots) {
  std::vector<Slot> old(slots->size() * 2);
  old.swap(*slots);
  size_t mask = slots->size() - 1;
  for (const Slot& s : old) {
    if (!s.meter) continue;
    size_t i = s.hash & mask;
    while ((*slots)[i].meter) i = (i + 1) & mask;
    (*slots)[i] = s;
  }
}

}  // namespace

void BatchBuffer::GrowCounters() { Grow(&counters_); }
void BatchBuffer::GrowUniques() { Grow(&uniques_); }

void BatchBuffer::Clear() {
  if (counter_count_) std::fill(counters_.begin(), counters_.end(), CounterSlot{});
  if (unique_count_) std::fill(uniques_.begin(), uniques_.end(), UniqueSlot{});
  arena_.clear();
  counter_count_ = unique_count_ = 0;
}

}  // namespace meter::ingest
