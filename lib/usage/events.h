// The stored raw events as `meter events list`, `show` and `void` see them
// (SPEC section 11): every field as ingested, the order it was stored in and
// when; voided events are kept, with when and why, and leave every count.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"
#include "store/event_store.h"

namespace meter::usage {

// An event's identity as a command line names it: its id, or for a
// CloudEvent its source, a tab and its id (split at the first tab).
struct EventName {
  std::string id;
  std::string source;  // "" for every shape but CloudEvents
};
EventName ParseEventName(const std::string& name);

// The names in a file given to `events void --file` ("-": stdin): one per
// line, a CloudEvent as its source, a tab and its id; a trailing "\r" and
// empty lines are ignored. NoInput when the file cannot be read.
Result<std::vector<std::string>> ReadEventNames(const std::string& path);

// The events `name` finds for `events show`: a CloudEvent's source, a tab and
// its id finds that one; an id alone finds that id from every source (a
// native event and CloudEvents may share it). Empty when none is stored.
Result<std::vector<store::StoredEvent>> FindEvents(store::Database& db, const std::string& name);

// One event as JSON: id, source (null for other shapes than CloudEvents),
// tenant, metric, timestamp, quantity (a JSON number, exact), the optional
// fields (null when absent; properties as the JSON object), seq,
// ingested_at, voided_at and void_reason (null unless voided).
nlohmann::json EventToJson(const store::StoredEvent& e);

// What `events void` did with each name it was given, in the order given.
struct VoidOutcome {
  std::vector<std::string> voided;        // marked void now
  std::vector<std::string> already_void;  // void before: left as they were
  std::vector<std::string> unknown;       // no stored event has that identity
};

// Marks the events named (ParseEventName: an id alone names the event of
// that id whose source is "") void with `reason` at the time `now()` gives
// inside the write transaction (so it is later than the finalization of any
// invoice that counted them: invoice generate compares the two), and takes them out
// of the hourly counters and roll-ups (UncountVoided), all in one
// transaction. Idempotent: an event already void keeps its first time and
// reason. Unknown names are reported, never an error; the known ones are
// voided. `reason` must not be empty (InvalidArgument). Invoices see the
// change when they are next generated: a draft is refreshed, a finalized
// period gets a negative adjustment on the tenant's next invoice.
Result<VoidOutcome> VoidEvents(store::Database& db, const catalog::Catalog& c, const std::vector<std::string>& names,
                               const std::string& reason, const std::function<Timestamp()>& now);

}  // namespace meter::usage
