// RawRecord: one input record's fields as they arrived, whatever the format,
// before they are checked and converted into an Event.
//
// The parsers (json_record.h, csv_record.h) fill a RawRecord with views into
// their own buffers; ToEvent() checks each field and converts it, with
// one message per problem naming the field as the input spells it
// ("quantity must be non-negative", "data.quantity 'lots' is not a number").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/event.h"
#include "core/status.h"
#include "core/time.h"

namespace meter::ingest {

// Input formats of `meter ingest --format`.
enum class Format { kAuto, kNdjson, kCsv, kCloudEvents, kLago };

// "auto", "ndjson", "csv", "cloudevents", "lago"; InvalidArgument otherwise.
Result<Format> ParseFormat(std::string_view name);
std::string_view FormatName(Format f);

enum class ValueKind : uint8_t { kAbsent, kNull, kString, kNumber, kBool, kObject, kArray };

// One field: strings unescaped, numbers as their token text, booleans as
// "true"/"false", objects and arrays as their raw JSON text.
struct RawValue {
  ValueKind kind = ValueKind::kAbsent;
  std::string_view text;
  bool present() const { return kind != ValueKind::kAbsent && kind != ValueKind::kNull; }
};

// How a format names the native fields, for messages.
struct FieldNames {
  const char* id;
  const char* tenant;
  const char* metric;
  const char* timestamp;
  const char* quantity;
  const char* user;
  const char* operation;
  const char* status;
  const char* latency_ms;
  const char* cost;
  const char* properties;
};
extern const FieldNames kNativeNames;
extern const FieldNames kCloudEventsNames;
extern const FieldNames kLagoNames;

struct RawRecord {
  Format format = Format::kNdjson;  // the record's own format (never kAuto)
  const FieldNames* names = &kNativeNames;
  RawValue id, tenant, metric, timestamp, quantity, user, operation, status, latency_ms, cost, properties;
  // CloudEvents: the source, which with the id makes the event's identity.
  std::string_view source;
  // What a record without an id is identified by: its trimmed raw text, and
  // for CSV the header it is read under.
  std::string_view content;
  std::string_view content_context;
};

// Storage for the fields of an EventView that are not views into the input:
// an id derived from the content and a re-spelled cost. Reused from record to
// record.
struct EventScratch {
  std::string id;
  std::string cost;
};

// Checks the fields of `r` and converts them into `out`, whose views point
// into `r`'s buffers and `scratch`. Refuses with DataError and the reason:
// missing or mistyped required fields, unreadable timestamps, negative,
// non-numeric or over-precise (more than 6 decimals) quantities, bad
// latency_ms / cost, properties that are not an object. Tenant, metric and
// clock checks are the Validator's (validator.h).
Status ToEventView(const RawRecord& r, EventView* out, EventScratch* scratch);

// The same into an Event that owns its strings.
Status ToEvent(const RawRecord& r, Event* out);

// Parses number text (a JSON number token or a decimal string such as
// "12.5", "1e3") into millionths of a unit. Refuses, naming `field`:
// non-numbers, negatives, more than 6 decimal places, values beyond int64.
Result<int64_t> ParseMicros(std::string_view text, std::string_view field);

// The text for a message: `text` cut to 60 characters with "..." after.
std::string Excerpt(std::string_view text);

// True when `text` is one JSON number token (RFC 8259 grammar).
bool IsJsonNumber(std::string_view text);

}  // namespace meter::ingest
