// The catalog the ingest unit tests share (meters of every aggregation,
// where filters on fields and properties, a value read from a nested
// property) and a bare event to feed it.
#pragma once

#include <string>

#include <doctest/doctest.h>

#include "catalog/catalog.h"
#include "core/event.h"

namespace meter::testing {

inline constexpr const char* kIngestCatalog = R"({
  "meters": [
    {"key": "api_calls"},
    {"key": "requests", "event": "ai", "aggregation": "count"},
    {"key": "emails", "event": "ai", "aggregation": "count", "where": {"operation": "email"}},
    {"key": "gpt4_tokens", "event": "llm", "value": "properties.tokens", "where": {"properties.model": "gpt-4"}},
    {"key": "tokens", "event": "llm", "value": "properties.tokens"},
    {"key": "deep", "event": "llm", "aggregation": "max", "value": "properties.usage.total"},
    {"key": "storage", "aggregation": "max"},
    {"key": "seats", "aggregation": "latest"},
    {"key": "users", "event": "api_calls", "aggregation": "unique_count", "value": "user"},
    {"key": "slow", "event": "api_calls", "aggregation": "count", "where": {"latency_ms": 500}}
  ],
  "plans": [{"key": "p", "base_price": "0"}],
  "tenants": [{"id": "acme", "plan": "p"}, {"id": "beta", "plan": "p"}]
})";

inline const catalog::Catalog& TestCatalog() {
  static const catalog::Catalog c = [] {
    auto parsed = catalog::ParseCatalog(kIngestCatalog);
    REQUIRE(parsed.ok());
    return *parsed;
  }();
  return c;
}

inline Event MakeEvent(const std::string& id, const std::string& tenant, const std::string& metric, Timestamp ts,
                 int64_t micros = 1000000) {
  Event e;
  e.id = id;
  e.tenant = tenant;
  e.metric = metric;
  e.timestamp = ts;
  e.quantity_micros = micros;
  return e;
}

}  // namespace meter::testing
