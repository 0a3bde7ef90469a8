// The usage event: one record of usage, whatever shape it arrived in (native
// NDJSON, CSV, CloudEvents, Lago) and wherever it is read from (a parser, the
// events table, a quota reservation). Its fields are listed once, in
// BasicEvent; ForEachEventField walks them, so copying an event between its
// representations, binding it to the events table and reading it back never
// list the fields again. Adding a field: a member here, one line in
// ForEachEventField (its column in the events table) and a migration.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/time.h"

namespace meter {

// Millionths of a unit: the fixed point every quantity is kept in (1.5 GB is
// 1500000), so sums stay exact integer arithmetic.
constexpr int64_t kMicrosPerUnit = 1000000;

// The fields of an event, with text fields of type `Text`: std::string for an
// Event that owns them, std::string_view for an EventView into someone
// else's buffers (ingest's hot path), or an arena reference (ingest's
// staging). Optional text fields are "" when absent (stored as NULL).
template <typename Text>
struct BasicEvent {
  // The event's identity is the pair (id, source): the record's id (Lago:
  // transaction_id), or "sha256:..." derived from the record's content when
  // it has none; `source` is a CloudEvent's source and "" for every other
  // shape, so no two shapes' identities can ever be equal.
  Text id;
  Text source;
  Text tenant;
  Text metric;
  Timestamp timestamp = 0;
  // The quantity in millionths of a unit; >= 0 once accepted.
  int64_t quantity_micros = kMicrosPerUnit;
  Text user;
  Text operation;
  Text status;
  std::optional<int64_t> latency_ms;
  Text cost;        // canonical decimal text
  Text properties;  // a JSON object's text
};

using Event = BasicEvent<std::string>;
using EventView = BasicEvent<std::string_view>;

// A field's column in the events table. Optional text fields ("" when
// absent) are stored as NULL; required ones, never NULL, as written.
struct EventColumn {
  const char* name;
  bool required;
};

// The one list of an event's fields: calls f(column, a_field, b_field) for
// each field of `a` and the same field of `b` (two events of any
// representations, or the same one twice), with the field's EventColumn.
template <typename A, typename B, typename F>
void ForEachEventField(A& a, B& b, F&& f) {
  f(EventColumn{"id", true}, a.id, b.id);
  f(EventColumn{"source", true}, a.source, b.source);
  f(EventColumn{"tenant_id", true}, a.tenant, b.tenant);
  f(EventColumn{"metric", true}, a.metric, b.metric);
  f(EventColumn{"ts", true}, a.timestamp, b.timestamp);
  f(EventColumn{"quantity", true}, a.quantity_micros, b.quantity_micros);
  f(EventColumn{"user_id", false}, a.user, b.user);
  f(EventColumn{"operation", false}, a.operation, b.operation);
  f(EventColumn{"status", false}, a.status, b.status);
  f(EventColumn{"latency_ms", false}, a.latency_ms, b.latency_ms);
  f(EventColumn{"cost", false}, a.cost, b.cost);
  f(EventColumn{"properties", false}, a.properties, b.properties);
}

// A view of `e`'s fields, valid while `e` is.
inline EventView ViewOf(const Event& e) {
  EventView v;
  ForEachEventField(v, e, [](EventColumn, auto& to, const auto& from) { to = from; });
  return v;
}

// An Event owning copies of `v`'s fields.
inline Event OwnedCopy(const EventView& v) {
  Event e;
  ForEachEventField(e, v, [](EventColumn, auto& to, const auto& from) { to = from; });
  return e;
}

}  // namespace meter
