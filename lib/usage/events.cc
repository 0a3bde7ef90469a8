#include "usage/events.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>

#include <fmt/format.h>

#include "core/decimal.h"
#include "core/json_util.h"
#include "usage/recount.h"

namespace meter::usage {
namespace {

using nlohmann::json;

json OptionalText(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

}  // namespace

EventName ParseEventName(const std::string& name) {
  size_t tab = name.find('\t');
  if (tab == std::string::npos) return {name, ""};
  return {name.substr(tab + 1), name.substr(0, tab)};
}

Result<std::vector<std::string>> ReadEventNames(const std::string& path) {
  std::ifstream file;
  if (path != "-") {
    file.open(path);
    if (!file) return Status::NoInput(fmt::format("cannot read event file '{}': {}", path, std::strerror(errno)));
  }
  std::istream& in = path == "-" ? std::cin : file;
  std::vector<std::string> names;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) names.push_back(std::move(line));
  }
  if (in.bad()) return Status::NoInput(fmt::format("cannot read event file '{}'", path));
  return names;
}

Result<std::vector<store::StoredEvent>> FindEvents(store::Database& db, const std::string& name) {
  EventName n = ParseEventName(name);
  METER_ASSIGN_OR_RETURN(auto found, store::EventStore(db).FindById(n.id));
  if (name.find('\t') == std::string::npos) return found;
  std::erase_if(found, [&](const store::StoredEvent& e) { return e.event.source != n.source; });
  return found;
}

json EventToJson(const store::StoredEvent& s) {
  const Event& e = s.event;
  json properties = nullptr;
  if (!e.properties.empty()) {
    auto parsed = ParseJsonExact(e.properties);
    properties = parsed.ok() ? *parsed : json(e.properties);
  }
  return {{"id", e.id},
          {"source", OptionalText(e.source)},
          {"tenant", e.tenant},
          {"metric", e.metric},
          {"timestamp", FormatRfc3339(e.timestamp)},
          {"quantity", JsonNumber(Decimal::FromScaled(e.quantity_micros, 6))},
          {"user", OptionalText(e.user)},
          {"operation", OptionalText(e.operation)},
          {"status", OptionalText(e.status)},
          {"latency_ms", e.latency_ms ? json(*e.latency_ms) : json(nullptr)},
          {"cost", OptionalText(e.cost)},
          {"properties", properties},
          {"seq", s.seq},
          {"ingested_at", FormatRfc3339(s.ingested_at)},
          {"voided_at", s.voided_at ? json(FormatRfc3339(*s.voided_at)) : json(nullptr)},
          {"void_reason", s.voided_at ? json(s.void_reason) : json(nullptr)}};
}

Result<VoidOutcome> VoidEvents(store::Database& db, const catalog::Catalog& c, const std::vector<std::string>& names,
                               const std::string& reason, const std::function<Timestamp()>& now) {
  if (reason.empty()) return Status::InvalidArgument("a reason is required to void events (--reason R)");
  VoidOutcome out;
  METER_RETURN_IF_ERROR(db.Transaction([&]() -> Status {
    out = {};
    Timestamp at = now();
    store::EventStore events(db);
    std::vector<Event> uncount;
    for (const std::string& name : names) {
      EventName n = ParseEventName(name);
      METER_ASSIGN_OR_RETURN(auto found, events.FindById(n.id));
      auto it = std::find_if(found.begin(), found.end(),
                             [&](const store::StoredEvent& e) { return e.event.source == n.source; });
      if (it == found.end()) {
        out.unknown.push_back(name);
        continue;
      }
      METER_ASSIGN_OR_RETURN(bool marked, events.Void(n.id, n.source, reason, at));
      if (!marked) {
        out.already_void.push_back(name);
        continue;
      }
      out.voided.push_back(name);
      uncount.push_back(std::move(it->event));
    }
    return UncountVoided(db, c, uncount);
  }));
  return out;
}

}  // namespace meter::usage
