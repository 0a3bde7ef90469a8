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

// Doubles an open-addressing table and re-inserts its entries.
template <typename Slot>
void Grow(std::vector<Slot>* slots, uint32_t empty) {
  std::vector<Slot> old(slots->size() * 2);
  old.swap(*slots);
  size_t mask = slots->size() - 1;
  for (const Slot& s : old) {
    if (s.id == empty) continue;
    size_t i = s.hash & mask;
    while ((*slots)[i].id != empty) i = (i + 1) & mask;
    (*slots)[i] = s;
  }
}

// The id of the key hashing to `hash` for which same(id) holds in `slots`;
// when there is none, the next id (`count`) goes in and *fresh is set.
template <typename Slot, typename Same>
uint32_t Find(std::vector<Slot>* slots, uint32_t empty, uint64_t hash, size_t count, Same same, bool* fresh) {
  if ((count + 1) * 2 > slots->size()) Grow(slots, empty);
  size_t mask = slots->size() - 1;
  for (size_t i = hash & mask;; i = (i + 1) & mask) {
    Slot& s = (*slots)[i];
    if (s.id == empty) {
      s = Slot{hash, static_cast<uint32_t>(count)};
      *fresh = true;
      return s.id;
    }
    if (s.hash == hash && same(s.id)) {
      *fresh = false;
      return s.id;
    }
  }
}

}  // namespace

BatchBuffer::BatchBuffer() : counter_slots_(kInitialSlots), unique_slots_(kInitialSlots) {}

uint32_t BatchBuffer::Counter(uint32_t tenant, const catalog::Meter* meter, Timestamp hour) {
  bool fresh = false;
  uint32_t id = Find(
      &counter_slots_, kEmpty, KeyHash(tenant, meter, hour), counter_keys_.size(),
      [&](uint32_t id) {
        const CounterKey& k = counter_keys_[id];
        return k.meter == meter && k.hour == hour && k.tenant == tenant;
      },
      &fresh);
  if (fresh) counter_keys_.push_back({meter, hour, tenant});
  return id;
}

uint32_t BatchBuffer::Unique(uint32_t tenant, const catalog::Meter* meter, Timestamp hour, std::string_view value) {
  bool fresh = false;
  uint32_t id = Find(
      &unique_slots_, kEmpty, KeyHash(tenant, meter, hour) ^ std::hash<std::string_view>{}(value),
      unique_keys_.size(),
      [&](uint32_t id) {
        const UniqueKey& k = unique_keys_[id];
        return k.meter == meter && k.hour == hour && k.tenant == tenant && k.length == value.size() &&
               std::memcmp(arena_.data() + k.offset, value.data(), value.size()) == 0;
      },
      &fresh);
  if (fresh) {
    unique_keys_.push_back({meter, hour, tenant, static_cast<uint32_t>(value.size()), arena_.size()});
    arena_.append(value);
  }
  return id;
}

void BatchBuffer::Clear() {
  if (!counter_keys_.empty()) std::fill(counter_slots_.begin(), counter_slots_.end(), Slot{});
  if (!unique_keys_.empty()) std::fill(unique_slots_.begin(), unique_slots_.end(), Slot{});
  counter_keys_.clear();
  unique_keys_.clear();
  arena_.clear();
}

}  // namespace meter::ingest
