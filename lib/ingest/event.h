// UsageEvent: one usage record after parsing and validation, whatever format
// it arrived in (native NDJSON, CSV, CloudEvents, Lago).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace meter::ingest {

struct UsageEvent {
  // The deduplication key: the record's id (CloudEvents: "source#id"; Lago:
  // transaction_id), or "sha256:..." derived from the record's content.
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

// The same fields as views into buffers someone else owns: ingest's hot path
// fills one straight from the parser's buffers, so no field is copied on the
// way to the database. Valid only while those buffers are.
struct EventView {
  std::string_view id;
  std::string_view tenant;
  std::string_view metric;
  Timestamp timestamp = 0;
  int64_t quantity_micros = 1000000;
  std::string_view user;
  std::string_view operation;
  std::string_view status;
  std::optional<int64_t> latency_ms;
  std::string_view cost;
  std::string_view properties;

  static EventView Of(const UsageEvent& e) {
    return {e.id, e.tenant, e.metric, e.timestamp, e.quantity_micros, e.user,
            e.operation, e.status, e.latency_ms, e.cost, e.properties};
  }
};

}  // namespace meter::ingest
