// JSON records: native NDJSON, CloudEvents 1.0 and Lago-style events, one
// object per line, parsed with simdjson's on-demand API (no DOM per record;
// numbers are kept as their token text so quantities stay exact).
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ingest/record.h"

namespace meter::ingest {

// Readable bytes a caller must have after the text handed to
// JsonRecordParser::Parse (simdjson reads ahead in blocks).
constexpr size_t kJsonPadding = 64;

class JsonRecordParser {
 public:
  JsonRecordParser();
  ~JsonRecordParser();
  JsonRecordParser(const JsonRecordParser&) = delete;
  JsonRecordParser& operator=(const JsonRecordParser&) = delete;

  // Parses one record. `text` (trimmed, non-empty) must be followed by
  // kJsonPadding readable bytes. `format` kAuto picks per record: an object
  // with "specversion" is a CloudEvent; one with "transaction_id", "code" or
  // "external_customer_id"/"external_subscription_id" is a Lago event; Lago's
  // envelopes {"event": {...}} and {"events": [...]} hold Lago events; any
  // other is native. kNdjson, kCloudEvents and kLago force a mapping (Lago's
  // envelopes are read under kAuto and kLago).
  // Refuses with DataError: malformed JSON, a value that is not an object,
  // data/properties that are not objects, data_base64 that does not hold a
  // JSON object, an unsupported specversion.
  // `out` holds views into `text` and this parser until the next call.
  Status Parse(std::string_view text, Format format, RawRecord* out);

  // True when the text last given to Parse() (which returned OK) was a Lago
  // batch {"events": [...]}: `out` is then empty and batch_events() lists
  // the texts of its events (views into that text), each a record of its
  // own to read with ParseBatchEvent().
  bool is_batch() const;
  const std::vector<std::string_view>& batch_events() const;

  // Parses one event of a batch as a Lago event (Parse's refusals).
  // batch_events() stays valid.
  Status ParseBatchEvent(std::string_view text, RawRecord* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One top-level entry of a JSON object: `value` as RawValue (strings
// unescaped) and `raw`, the entry's JSON text as written.
struct JsonEntry {
  std::string_view key;
  RawValue value;
  std::string_view raw;
};

// Reads the top-level entries of a JSON object, validating the whole text
// (nested values too) so that what is stored is always valid JSON.
class JsonObjectReader {
 public:
  JsonObjectReader();
  ~JsonObjectReader();
  JsonObjectReader(const JsonObjectReader&) = delete;
  JsonObjectReader& operator=(const JsonObjectReader&) = delete;

  // Fills `out` with the entries of `object_text` (any buffer: it is copied).
  // DataError "<what>: malformed JSON: ..." when it is not a valid object.
  // The views stay valid until the next Read.
  Status Read(std::string_view object_text, std::string_view what, std::vector<JsonEntry>* out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Appends `s` to `out` as a JSON string literal (quoted, escaped).
void AppendJsonString(std::string_view s, std::string* out);

}  // namespace meter::ingest
