// What a set of recorded events adds to the hourly counters and
// distinct-value sets, summed per (tenant, meter, hour) and handed out sorted
// by (tenant, meter, hour[, value]): the key order of the day rows that
// store them (usage_counter_days, usage_unique_days; EventStore groups
// consecutive hours of a UTC day into one row), so the writes walk their
// B-trees in order. Two halves, so that ingest can do the costly one on the
// thread that reads and checks records, not on the one that writes:
//   DeltaKeys: each contribution's key, as a dense id, and the ids in key
//     order (hashing, interning, sorting; no sums);
//   DeltaSums: the sums by id, of the events actually inserted (array
//     indexing only), turned into store rows through the keys.
// DeltaBuffer holds both, for one-event-at-a-time recording.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "catalog/catalog.h"
#include "core/status.h"
#include "core/time.h"
#include "ingest/batch_buffer.h"
#include "ingest/staged_events.h"
#include "ingest/string_hash.h"
#include "store/event_store.h"

namespace meter::ingest {

class DeltaKeys {
 public:
  // The id of the key one contribution of an event of `tenant` at `ts` to
  // `meter` goes to: its (tenant, meter, hour) counter, or for unique_count
  // meters its distinct value `unique` (ids counted apart, see BatchBuffer).
  uint32_t Slot(std::string_view tenant, Timestamp ts, const catalog::Meter* meter, std::string_view unique) {
    return Slot(TenantId(tenant), ts, meter, unique);
  }
  // The same with the tenant interned once for all of an event's contributions.
  uint32_t TenantId(std::string_view tenant);
  uint32_t Slot(uint32_t tenant_id, Timestamp ts, const catalog::Meter* meter, std::string_view unique);

  // The ids of the counters sorted by (tenant, meter, hour), of the values by
  // (tenant, meter, hour, value): the tables' key order.
  std::vector<uint32_t> SortedCounters() const;
  std::vector<uint32_t> SortedUniques() const;

  size_t counters() const { return keys_.counters(); }
  size_t uniques() const { return keys_.uniques(); }
  // The keys as store rows hold them: views valid until the next Slot or Clear.
  std::string_view tenant(uint32_t interned) const { return tenant_names_[interned]; }
  const BatchBuffer& keys() const { return keys_; }

  void Clear();

 private:
  // Each interned tenant's rank in name order and each meter's by key:
  // sorting then compares integers, not strings.
  struct Ranks {
    std::vector<uint32_t> tenant;
    std::unordered_map<const catalog::Meter*, uint32_t> meter;
    uint64_t Of(uint32_t t, const catalog::Meter* m) const { return uint64_t{tenant[t]} << 32 | meter.at(m); }
  };
  Ranks MakeRanks() const;

  // Tenants are interned so that a key copies no string.
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> tenant_ids_;
  std::vector<std::string> tenant_names_;
  BatchBuffer keys_;
};

// The change summed for one (tenant, meter, hour) counter.
struct Accumulated {
  int64_t value = 0;
  int64_t events = 0;
  Timestamp latest_ts = 0;
};

class DeltaSums {
 public:
  // Adds one contribution (meters.h) of an event of `tenant` at `ts` to key
  // `id` (DeltaKeys::Slot). DataError, leaving the sums as they were, when
  // the hour's sum would pass what a counter holds (kCounterCapacity,
  // meters.h); `tenant` only names it then.
  Status Add(uint32_t id, std::string_view tenant, Timestamp ts, const catalog::Meter* meter, int64_t micros);
  // Adds every contribution of staged event `i`, as Add does (their ids were
  // found when it was staged).
  Status AddStaged(const StagedEvents& stage, size_t i);

  bool empty() const { return !any_; }

  // Replaces *out with the sums of the keys `order` names (DeltaKeys::
  // Sorted...), in that order, those that events were added to only: views
  // into `keys` and the catalog. *out keeps its capacity, so a caller that
  // keeps it from batch to batch does not fault its memory in again.
  void Counters(const DeltaKeys& keys, const std::vector<uint32_t>& order, std::vector<store::CounterDelta>* out) const;
  void Uniques(const DeltaKeys& keys, const std::vector<uint32_t>& order, std::vector<store::UniqueValue>* out) const;

  void Clear();

 private:
  std::vector<Accumulated> counters_;  // by id
  std::vector<uint8_t> uniques_;       // by id: 1 when seen
  bool any_ = false;
};

class DeltaBuffer {
 public:
  // Adds one contribution (meters.h) of an event of `tenant` at `ts`, as
  // DeltaSums::Add does.
  Status Add(std::string_view tenant, Timestamp ts, const catalog::Meter* meter, int64_t micros,
             std::string_view unique) {
    return sums_.Add(keys_.Slot(tenant, ts, meter, unique), tenant, ts, meter, micros);
  }

  bool empty() const { return sums_.empty(); }

  // The buffered deltas and values sorted by (tenant, meter, hour[, value]):
  // views into this buffer and the catalog, valid until the next Add or Clear.
  std::vector<store::CounterDelta> Counters() const {
    std::vector<store::CounterDelta> out;
    sums_.Counters(keys_, keys_.SortedCounters(), &out);
    return out;
  }
  std::vector<store::UniqueValue> Uniques() const {
    std::vector<store::UniqueValue> out;
    sums_.Uniques(keys_, keys_.SortedUniques(), &out);
    return out;
  }

  void Clear() {
    keys_.Clear();
    sums_.Clear();
  }

 private:
  DeltaKeys keys_;
  DeltaSums sums_;
};

}  // namespace meter::ingest
