// DeltaBuffer: what a set of recorded events adds to the counters
// (usage_counters) and distinct-value sets (usage_uniques), summed per
// (tenant, meter, hour), and handed out sorted in the tables' key order so
// the writes walk their B-trees in order. EventRecorder buffers the events
// it writes in a transaction in one, and writes it before the commit.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "catalog/catalog.h"
#include "core/time.h"
#include "ingest/batch_buffer.h"
#include "ingest/string_hash.h"
#include "store/event_store.h"

namespace meter::ingest {

class DeltaBuffer {
 public:
  // Adds one contribution (meters.h) of an event of `tenant` at `ts`.
  // DataError, leaving the buffer as it was, when the hour's sum would pass
  // what a counter holds (kCounterCapacity, meters.h).
  Status Add(std::string_view tenant, Timestamp ts, const catalog::Meter* meter, int64_t micros,
           std::string_view unique);

  bool empty() const { return buffer_.counters() == 0 && buffer_.uniques() == 0; }

  // The buffered deltas and values sorted by (tenant, meter, hour[, value]):
  // views into this buffer and the catalog, valid until the next Add or Clear.
  std::vector<store::CounterDelta> Counters() const;
  std::vector<store::UniqueValue> Uniques() const;

  void Clear();

 private:
  uint32_t TenantId(std::string_view tenant);
  // Each interned tenant's rank in name order and each meter's by key:
  // sorting then compares integers, not strings.
  struct Ranks {
    std::vector<uint32_t> tenant;
    std::unordered_map<const catalog::Meter*, uint32_t> meter;
    uint64_t Of(uint32_t t, const catalog::Meter* m) const { return uint64_t{tenant[t]} << 32 | meter.at(m); }
  };
  Ranks MakeRanks() const;

  // Tenants are interned so that buffering a contribution copies no string.
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> tenant_ids_;
  std::vector<std::string> tenant_names_;
  BatchBuffer buffer_;
};

}  // namespace meter::ingest
