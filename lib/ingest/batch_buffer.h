// BatchBuffer: the counter deltas and distinct values EventRecorder collects
// between two flushes, in flat open-addressing tables (one array each, no
// allocation per entry, linear probing) because they are probed once or
// twice for every event ingested. Cleared, not freed, between batches.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "core/time.h"

namespace meter::ingest {

// The change buffered for one (tenant, meter, hour) counter.
struct Accumulated {
  int64_t value = 0;
  int64_t events = 0;
  Timestamp latest_ts = 0;
};

class BatchBuffer {
 public:
  BatchBuffer();

  // The accumulator of (tenant, meter, hour), created zeroed (with *fresh
  // set) when absent. `tenant` is an interned index. The reference stays
  // valid until the next call.
  Accumulated& Counter(uint32_t tenant, const catalog::Meter* meter, Timestamp hour, bool* fresh);

  // Records a distinct value of a unique_count meter for (tenant, hour).
  void AddUnique(uint32_t tenant, const catalog::Meter* meter, Timestamp hour, std::string_view value);

  // Visits every buffered entry, in no particular order.
  template <typename F>  // f(tenant, meter, hour, const Accumulated&)
  void ForEachCounter(F f) const {
    for (const CounterSlot& s : counters_)
      if (s.meter) f(s.tenant, s.meter, s.hour, s.acc);
  }
  template <typename F>  // f(tenant, meter, hour, std::string_view value)
  void ForEachUnique(F f) const {
    for (const UniqueSlot& s : uniques_)
      if (s.meter) f(s.tenant, s.meter, s.hour, std::string_view(arena_.data() + s.offset, s.length));
  }

  size_t counters() const { return counter_count_; }
  size_t uniques() const { return unique_count_; }
  void Clear();

 private:
  struct CounterSlot {
    uint64_t hash = 0;
    const catalog::Meter* meter = nullptr;  // nullptr: empty slot
    Timestamp hour = 0;
    uint32_t tenant = 0;
    Accumulated acc;
  };
  struct UniqueSlot {
    uint64_t hash = 0;
    const catalog::Meter* meter = nullptr;  // nullptr: empty slot
    Timestamp hour = 0;
    uint32_t tenant = 0;
    uint32_t length = 0;
    size_t offset = 0;  // of the value in arena_
  };
  void GrowCounters();
  void GrowUniques();

  std::vector<CounterSlot> counters_;
  std::vector<UniqueSlot> uniques_;
  std::string arena_;
  size_t counter_count_ = 0;
  size_t unique_count_ = 0;
};

}  // namespace meter::ingest
