// Internal to lib/store: an Event (core/event.h) as columns of the events
// table, for the statements that write or read whole events. The columns
// come from ForEachEventField, the one list of an event's fields.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "core/event.h"

namespace meter::store {

// The event columns, comma-separated, each prefixed with `prefix` ("e." in a
// join): "id, tenant_id, ..., properties".
inline std::string EventColumnList(std::string_view prefix = "") {
  std::string out;
  EventView v;
  ForEachEventField(v, v, [&](EventColumn column, auto&, auto&) {
    if (!out.empty()) out += ", ";
    out.append(prefix).append(column.name);
  });
  return out;
}

// Reads the event columns of the current row of `s` (a statement with
// SQLiteCpp's getColumn interface) into `e`, starting at column `first`, in
// EventColumnList's order. NULL reads as "" (text) or no value (latency).
// Returns the index of the column after the event's.
template <typename Statement>
int ReadEventColumns(Statement& s, int first, Event* e) {
  int i = first;
  ForEachEventField(*e, *e, [&](EventColumn, auto& field, auto&) {
    auto column = s.getColumn(i++);
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<T, std::string>) {
      field = column.isNull() ? std::string() : column.getString();
    } else if constexpr (std::is_same_v<T, std::optional<int64_t>>) {
      field = column.isNull() ? std::nullopt : std::optional<int64_t>(column.getInt64());
    } else {
      field = column.getInt64();
    }
  });
  return i;
}

}  // namespace meter::store
