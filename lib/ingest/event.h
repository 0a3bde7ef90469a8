// UsageEvent: one usage record after parsing and validation, whatever format
// it arrived in (native NDJSON, CSV, CloudEvents, Lago).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/time.h"

namespace meter::ingest {

struct UsageEvent {
  // The deduplication key: the record's id (CloudEvents: source and id; Lago:
  // transaction_id), or one derived from a hash of the record's content.
  std::string id;
  std::string tenant;
  std::string metric;
  Timestamp timestamp = 0;
  // The quantity in millionths of a unit (store::kQuantityPlaces); >= 0.
  int64_t quantity_micros = 1000000;
  std::string user;        // "" when absent
  std::string operation;   // "" when absent
  std::string status;      // "" when absent
  std::optional<int64_t> latency_ms;
  std::string cost;        // canonical decimal text, "" when absent
  std::string properties;  // a JSON object's text, "" when absent
};

}  // namespace meter::ingest
