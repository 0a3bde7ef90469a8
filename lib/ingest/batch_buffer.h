// BatchBuffer: the keys of the counter deltas and distinct values a batch of
// events adds up to, each given a dense id (0, 1, 2... in order of first
// appearance) so that the sums themselves can live in plain arrays indexed
// by it. The keys sit in flat open-addressing tables (one array each, no
// allocation per entry, linear probing) because they are looked up once or
// twice for every event ingested. Cleared, not freed, between batches.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "core/time.h"

namespace meter::ingest {

// One (tenant, meter, hour) counter. `tenant` is an interned index.
struct CounterKey {
  const catalog::Meter* meter = nullptr;
  Timestamp hour = 0;
  uint32_t tenant = 0;
};

// One distinct value of a unique_count meter in (tenant, hour); the value's
// text is in the buffer (BatchBuffer::value).
struct UniqueKey {
  const catalog::Meter* meter = nullptr;
  Timestamp hour = 0;
  uint32_t tenant = 0;
  uint32_t length = 0;
  size_t offset = 0;
};

class BatchBuffer {
 public:
  BatchBuffer();

  // The id of counter (tenant, meter, hour), given the next one when new.
  uint32_t Counter(uint32_t tenant, const catalog::Meter* meter, Timestamp hour);
  // The id of the distinct value `value` of (tenant, meter, hour), given the
  // next one when new (counter and value ids are counted apart).
  uint32_t Unique(uint32_t tenant, const catalog::Meter* meter, Timestamp hour, std::string_view value);

  size_t counters() const { return counter_keys_.size(); }
  size_t uniques() const { return unique_keys_.size(); }
  const CounterKey& counter(uint32_t id) const { return counter_keys_[id]; }
  const UniqueKey& unique(uint32_t id) const { return unique_keys_[id]; }
  std::string_view value(const UniqueKey& k) const { return std::string_view(arena_.data() + k.offset, k.length); }

  void Clear();

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t id = kEmpty;
  };
  static constexpr uint32_t kEmpty = UINT32_MAX;

  std::vector<Slot> counter_slots_, unique_slots_;
  std::vector<CounterKey> counter_keys_;  // by id
  std::vector<UniqueKey> unique_keys_;    // by id
  std::string arena_;
};

}  // namespace meter::ingest
