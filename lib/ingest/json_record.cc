#include "ingest/json_record.h"

#include <simdjson.h>

#include <cstring>
#include <string>

#include <fmt/format.h>

namespace meter::ingest {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

static_assert(simdjson::SIMDJSON_PADDING <= kJsonPadding, "LineReader must leave simdjson's padding");

std::string_view TrimRight(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

std::string_view JsonErrorText(error_code e) {
  switch (e) {
    case simdjson::UNCLOSED_STRING: return "unclosed string";
    case simdjson::UTF8_ERROR: return "invalid UTF-8";
    case simdjson::UNESCAPED_CHARS: return "unescaped control character in a string";
    case simdjson::STRING_ERROR: return "invalid escape in a string";
    case simdjson::NUMBER_ERROR: return "invalid number";
    case simdjson::T_ATOM_ERROR:
    case simdjson::F_ATOM_ERROR:
    case simdjson::N_ATOM_ERROR: return "invalid literal (expected true, false or null)";
    case simdjson::INCOMPLETE_ARRAY_OR_OBJECT: return "unexpected end of record (unclosed object or array)";
    case simdjson::DEPTH_ERROR: return "nested too deeply";
    case simdjson::EMPTY: return "empty record";
    case simdjson::TAPE_ERROR:
    case simdjson::INCORRECT_TYPE: return "unexpected character (missing comma, colon or quote?)";
    default: return simdjson::error_message(e);
  }
}

// True when the outermost object or array of `text` closes before its last
// non-blank character: text after the object, which simdjson reports as an
// unclosed object. Only run on records already refused.
bool TextAfterClose(std::string_view text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return !TrimRight(text.substr(i + 1)).empty();
    }
  }
  return false;
}

Status Malformed(error_code e, std::string_view what = {}) {
  if (what.empty()) return Status::DataError(fmt::format("malformed JSON: {}", JsonErrorText(e)));
  return Status::DataError(fmt::format("{}: malformed JSON: {}", what, JsonErrorText(e)));
}

std::string_view TypeName(od::json_type t) {
  switch (t) {
    case od::json_type::array: return "an array";
    case od::json_type::object: return "an object";
    case od::json_type::number: return "a number";
    case od::json_type::string: return "a string";
    case od::json_type::boolean: return "a boolean";
    case od::json_type::null: return "null";
  }
  return "something else";
}

// Reads one value without copying: strings unescaped (into the parser's
// string buffer), numbers as their validated token, objects and arrays as
// their raw text. `raw`, when given, receives the value's JSON text.
error_code Capture(od::value& v, RawValue* out, std::string_view* raw) {
  od::json_type t;
  if (error_code e = v.type().get(t)) return e;
  if (raw && t != od::json_type::object && t != od::json_type::array) *raw = TrimRight(v.raw_json_token());
  switch (t) {
    case od::json_type::string:
      out->kind = ValueKind::kString;
      return v.get_string().get(out->text);
    case od::json_type::number:
      out->kind = ValueKind::kNumber;
      out->text = TrimRight(v.raw_json_token());
      return IsJsonNumber(out->text) ? simdjson::SUCCESS : simdjson::NUMBER_ERROR;
    case od::json_type::boolean: {
      bool b;
      if (error_code e = v.get_bool().get(b)) return e;
      *out = {ValueKind::kBool, b ? "true" : "false"};
      return simdjson::SUCCESS;
    }
    case od::json_type::null: {
      bool is_null = false;
      if (error_code e = v.is_null().get(is_null)) return e;
      *out = {ValueKind::kNull, "null"};
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
    case od::json_type::object: {
      od::object o;
      out->kind = ValueKind::kObject;
      if (error_code e = v.get_object().get(o)) return e;
      if (error_code e = o.raw_json().get(out->text)) return e;
      break;
    }
    case od::json_type::array: {
      od::array a;
      out->kind = ValueKind::kArray;
      if (error_code e = v.get_array().get(a)) return e;
      if (error_code e = a.raw_json().get(out->text)) return e;
      break;
    }
  }
  if (raw) *raw = out->text;
  return simdjson::SUCCESS;
}

// Visits every value below `v`, so that malformed scalars inside nested
// objects and arrays (which on-demand parsing would otherwise skip) are found.
error_code Walk(od::value& v, int depth) {
  if (depth > 64) return simdjson::DEPTH_ERROR;
  od::json_type t;
  if (error_code e = v.type().get(t)) return e;
  if (t == od::json_type::object) {
    od::object o;
    if (error_code e = v.get_object().get(o)) return e;
    for (auto field : o) {
      std::string_view key;
      od::value child;
      if (error_code e = field.unescaped_key().get(key)) return e;
      if (error_code e = field.value().get(child)) return e;
      if (error_code e = Walk(child, depth + 1)) return e;
    }
    return simdjson::SUCCESS;
  }
  if (t == od::json_type::array) {
    od::array a;
    if (error_code e = v.get_array().get(a)) return e;
    for (auto item : a) {
      od::value element;
      if (error_code e = item.get(element)) return e;
      if (error_code e = Walk(element, depth + 1)) return e;
    }
    return simdjson::SUCCESS;
  }
  RawValue ignored;
  return Capture(v, &ignored, nullptr);
}

// True when nothing but whitespace follows what was read of `doc`.
bool AtEnd(od::document& doc) {
  const char* location = nullptr;
  return doc.current_location().get(location) != simdjson::SUCCESS;
}

// Copies `text` into `buf` with simdjson's padding after it.
void Pad(std::string_view text, std::string* buf) {
  buf->resize(text.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(buf->data(), text.data(), text.size());
}

}  // namespace

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char ch : s) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"') out->append("\\\"");
    else if (c == '\\') out->append("\\\\");
    else if (c == '\n') out->append("\\n");
    else if (c == '\r') out->append("\\r");
    else if (c == '\t') out->append("\\t");
    else if (c < 0x20) out->append(fmt::format("\\u{:04x}", c));
    else out->push_back(ch);
  }
  out->push_back('"');
}

// ---- JsonObjectReader ----

struct JsonObjectReader::Impl {
  od::parser parser;
  od::parser nested_parser;
  std::string buf;
  std::string nested_buf;

  Status Validate(std::string_view text, std::string_view what) {
    Pad(text, &nested_buf);
    od::document doc;
    od::value root;
    error_code e = nested_parser.iterate(nested_buf.data(), text.size(), nested_buf.size()).get(doc);
    if (!e) e = doc.get_value().get(root);
    if (!e) e = Walk(root, 1);
    if (!e && !AtEnd(doc)) e = simdjson::TAPE_ERROR;
    return e ? Malformed(e, what) : Status::OK();
  }
};

JsonObjectReader::JsonObjectReader() : impl_(std::make_unique<Impl>()) {}
JsonObjectReader::~JsonObjectReader() = default;

Status JsonObjectReader::Read(std::string_view text, std::string_view what, std::vector<JsonEntry>* out) {
  out->clear();
  Pad(text, &impl_->buf);
  od::document doc;
  od::object obj;
  error_code e = impl_->parser.iterate(impl_->buf.data(), text.size(), impl_->buf.size()).get(doc);
  if (!e) e = doc.get_object().get(obj);
  if (e) return Malformed(e, what);
  for (auto field : obj) {
    JsonEntry entry;
    od::value v;
    if ((e = field.unescaped_key().get(entry.key)) || (e = field.value().get(v)) ||
        (e = Capture(v, &entry.value, &entry.raw)))
      return Malformed(e, what);
    if (entry.value.kind == ValueKind::kObject || entry.value.kind == ValueKind::kArray)
      METER_RETURN_IF_ERROR(impl_->Validate(entry.raw, what));
    out->push_back(entry);
  }
  if (!AtEnd(doc)) return Malformed(simdjson::TAPE_ERROR, what);
  return Status::OK();
}

// ---- JsonRecordParser ----

namespace {

// The top-level keys any of the three formats uses.
enum Slot : int {
  kId, kTenant, kMetric, kQuantity, kTimestamp, kUser, kOperation, kStatus, kLatency, kCost,
  kProperties, kSpecversion, kSource, kType, kSubject, kTime, kData, kTransactionId,
  kExternalCustomerId, kExternalSubscriptionId, kCode, kSlotCount, kNoSlot = kSlotCount
};

// Called for every key of every record: compare by length first.
Slot SlotFor(std::string_view k) {
  switch (k.size()) {
    case 2: return k == "id" ? kId : kNoSlot;
    case 4:
      return k == "user" ? kUser : k == "cost" ? kCost : k == "type" ? kType : k == "time" ? kTime
           : k == "data" ? kData : k == "code" ? kCode : kNoSlot;
    case 6:
      return k == "tenant" ? kTenant : k == "metric" ? kMetric : k == "status" ? kStatus
           : k == "source" ? kSource : kNoSlot;
    case 7: return k == "subject" ? kSubject : kNoSlot;
    case 8: return k == "quantity" ? kQuantity : kNoSlot;
    case 9: return k == "timestamp" ? kTimestamp : k == "operation" ? kOperation : kNoSlot;
    case 10: return k == "latency_ms" ? kLatency : k == "properties" ? kProperties : kNoSlot;
    case 11: return k == "specversion" ? kSpecversion : kNoSlot;
    case 14: return k == "transaction_id" ? kTransactionId : kNoSlot;
    case 20: return k == "external_customer_id" ? kExternalCustomerId : kNoSlot;
    case 24: return k == "external_subscription_id" ? kExternalSubscriptionId : kNoSlot;
    default: return kNoSlot;
  }
}

const FieldNames kLagoSubscriptionNames = {
    "transaction_id", "external_subscription_id", "code", "timestamp", "properties.quantity",
    "properties.user", "properties.operation", "properties.status", "properties.latency_ms",
    "properties.cost", "properties"};

// The native field a data / properties entry maps to, or nullptr.
RawValue* PromotedField(std::string_view key, RawRecord* r) {
  if (key == "quantity") return &r->quantity;
  if (key == "user") return &r->user;
  if (key == "operation") return &r->operation;
  if (key == "status") return &r->status;
  if (key == "latency_ms") return &r->latency_ms;
  if (key == "cost") return &r->cost;
  return nullptr;
}

}  // namespace

struct JsonRecordParser::Impl {
  od::parser parser;
  JsonObjectReader nested;
  std::vector<JsonEntry> entries;
  std::string properties;  // CloudEvents: data minus the fields mapped to native ones
  RawValue slots[kSlotCount];

  Status ReadTopLevel(std::string_view text);
  Status MapNative(RawRecord* r);
  Status MapCloudEvent(RawRecord* r);
  Status MapLago(RawRecord* r);
};

Status JsonRecordParser::Impl::ReadTopLevel(std::string_view text) {
  for (RawValue& s : slots) s = RawValue{};
  auto fail = [&](error_code e) {
    // simdjson reports text after the object as an unclosed object.
    if (e == simdjson::INCOMPLETE_ARRAY_OR_OBJECT && TextAfterClose(text))
      return Status::DataError("malformed JSON: unexpected text after the object");
    return Malformed(e);
  };
  od::document doc;
  od::json_type type;
  od::object obj;
  error_code e = parser.iterate(text.data(), text.size(), text.size() + kJsonPadding).get(doc);
  if (!e) e = doc.type().get(type);
  if (e) return fail(e);
  if (type != od::json_type::object)
    return Status::DataError(fmt::format("record is not a JSON object (found {})", TypeName(type)));
  if ((e = doc.get_object().get(obj))) return fail(e);
  for (auto field : obj) {
    std::string_view key;
    if ((e = field.unescaped_key().get(key))) return fail(e);
    Slot slot = SlotFor(key);
    if (slot == kNoSlot) continue;  // fields no format defines are ignored
    od::value v;
    if ((e = field.value().get(v)) || (e = Capture(v, &slots[slot], nullptr))) return fail(e);
  }
  if (!AtEnd(doc)) return Status::DataError("malformed JSON: unexpected text after the object");
  return Status::OK();
}

Status JsonRecordParser::Impl::MapNative(RawRecord* r) {
  r->format = Format::kNdjson;
  r->names = &kNativeNames;
  r->id = slots[kId];
  r->tenant = slots[kTenant];
  r->metric = slots[kMetric];
  r->quantity = slots[kQuantity];
  r->timestamp = slots[kTimestamp];
  r->user = slots[kUser];
  r->operation = slots[kOperation];
  r->status = slots[kStatus];
  r->latency_ms = slots[kLatency];
  r->cost = slots[kCost];
  r->properties = slots[kProperties];
  // Properties are stored as written: check that the whole text is valid.
  if (r->properties.kind == ValueKind::kObject) return nested.Read(r->properties.text, "properties", &entries);
  return Status::OK();
}

Status JsonRecordParser::Impl::MapCloudEvent(RawRecord* r) {
  const RawValue& version = slots[kSpecversion];
  if (!version.present()) return Status::DataError("missing required field 'specversion'");
  if (version.kind != ValueKind::kString || version.text != "1.0")
    return Status::DataError(fmt::format("unsupported CloudEvents specversion '{}' (1.0 is supported)",
                                         Excerpt(version.text)));
  r->format = Format::kCloudEvents;
  r->names = &kCloudEventsNames;
  r->id = slots[kId];
  if (slots[kSource].present()) {
    if (slots[kSource].kind != ValueKind::kString) return Status::DataError("source must be a string");
    r->id_scope = slots[kSource].text;
  }
  r->tenant = slots[kSubject];
  r->metric = slots[kType];
  r->timestamp = slots[kTime];
  const RawValue& data = slots[kData];
  if (!data.present()) return Status::OK();
  if (data.kind != ValueKind::kObject) return Status::DataError("data must be a JSON object");
  METER_RETURN_IF_ERROR(nested.Read(data.text, "data", &entries));
  properties.clear();
  for (const JsonEntry& en : entries) {
    if (RawValue* native = PromotedField(en.key, r)) {
      *native = en.value;
      continue;
    }
    properties.push_back(properties.empty() ? '{' : ',');
    AppendJsonString(en.key, &properties);
    properties.push_back(':');
    properties.append(en.raw);
  }
  if (!properties.empty()) {
    properties.push_back('}');
    r->properties = {ValueKind::kObject, properties};
  }
  return Status::OK();
}

Status JsonRecordParser::Impl::MapLago(RawRecord* r) {
  r->format = Format::kLago;
  bool by_customer = slots[kExternalCustomerId].present() || !slots[kExternalSubscriptionId].present();
  r->names = by_customer ? &kLagoNames : &kLagoSubscriptionNames;
  r->id = slots[kTransactionId];
  r->tenant = by_customer ? slots[kExternalCustomerId] : slots[kExternalSubscriptionId];
  r->metric = slots[kCode];
  r->timestamp = slots[kTimestamp];
  r->properties = slots[kProperties];
  if (!r->properties.present()) return Status::OK();
  if (r->properties.kind != ValueKind::kObject) return Status::DataError("properties must be a JSON object");
  // Properties are kept whole; the native fields among them are promoted.
  METER_RETURN_IF_ERROR(nested.Read(r->properties.text, "properties", &entries));
  for (const JsonEntry& en : entries)
    if (RawValue* native = PromotedField(en.key, r)) *native = en.value;
  return Status::OK();
}

JsonRecordParser::JsonRecordParser() : impl_(std::make_unique<Impl>()) {}
JsonRecordParser::~JsonRecordParser() = default;

Status JsonRecordParser::Parse(std::string_view text, Format format, RawRecord* out) {
  METER_RETURN_IF_ERROR(impl_->ReadTopLevel(text));
  *out = RawRecord{};
  out->content = text;
  const RawValue* s = impl_->slots;
  if (format == Format::kAuto) {
    if (s[kSpecversion].kind != ValueKind::kAbsent) format = Format::kCloudEvents;
    else if (s[kTransactionId].kind != ValueKind::kAbsent || s[kCode].kind != ValueKind::kAbsent ||
             s[kExternalCustomerId].kind != ValueKind::kAbsent ||
             s[kExternalSubscriptionId].kind != ValueKind::kAbsent)
      format = Format::kLago;
    else format = Format::kNdjson;
  }
  switch (format) {
    case Format::kCloudEvents: return impl_->MapCloudEvent(out);
    case Format::kLago: return impl_->MapLago(out);
    default: return impl_->MapNative(out);
  }
}

}  // namespace meter::ingest
