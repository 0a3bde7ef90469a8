#include "ingest/json_record.h"

#include <simdjson.h>

#include <cstring>
#include <string>

#include <fmt/format.h>

#include "core/base64.h"

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

// Capture, except that an object is also checked whole (Walk) as it is
// read, and its text is then the span it took up in `doc`: a record's
// properties are checked in the record's own pass instead of a second one.
error_code CaptureChecked(od::value& v, od::document& doc, RawValue* out) {
  od::json_type t;
  if (error_code e = v.type().get(t)) return e;
  if (t != od::json_type::object) return Capture(v, out, nullptr);
  const char* start = v.raw_json_token().data();
  if (error_code e = Walk(v, 0)) return e;
  const char* next = nullptr;  // the token after the object
  if (error_code e = doc.current_location().get(next)) return e;
  *out = {ValueKind::kObject, TrimRight(std::string_view(start, static_cast<size_t>(next - start)))};
  return simdjson::SUCCESS;
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
  kProperties, kSpecversion, kSource, kType, kSubject, kTime, kData, kDataBase64, kDataContentType,
  kDataSchema, kTransactionId, kExternalCustomerId, kExternalSubscriptionId, kCode, kEvent, kEvents,
  kSlotCount, kNoSlot = kSlotCount
};

// Each slot's key, in Slot order.
constexpr const char* kSlotKeys[kSlotCount] = {
    "id", "tenant", "metric", "quantity", "timestamp", "user", "operation", "status", "latency_ms", "cost",
    "properties", "specversion", "source", "type", "subject", "time", "data", "data_base64", "datacontenttype",
    "dataschema", "transaction_id", "external_customer_id", "external_subscription_id", "code", "event",
    "events"};

// Called for every key of every record: compare by length first.
Slot SlotFor(std::string_view k) {
  switch (k.size()) {
    case 2: return k == "id" ? kId : kNoSlot;
    case 4:
      return k == "user" ? kUser : k == "cost" ? kCost : k == "type" ? kType : k == "time" ? kTime
           : k == "data" ? kData : k == "code" ? kCode : kNoSlot;
    case 5: return k == "event" ? kEvent : kNoSlot;
    case 6:
      return k == "tenant" ? kTenant : k == "metric" ? kMetric : k == "status" ? kStatus
           : k == "source" ? kSource : k == "events" ? kEvents : kNoSlot;
    case 7: return k == "subject" ? kSubject : kNoSlot;
    case 8: return k == "quantity" ? kQuantity : kNoSlot;
    case 9: return k == "timestamp" ? kTimestamp : k == "operation" ? kOperation : kNoSlot;
    case 10:
      return k == "latency_ms" ? kLatency : k == "properties" ? kProperties : k == "dataschema" ? kDataSchema
           : kNoSlot;
    case 11: return k == "specversion" ? kSpecversion : k == "data_base64" ? kDataBase64 : kNoSlot;
    case 14: return k == "transaction_id" ? kTransactionId : kNoSlot;
    case 15: return k == "datacontenttype" ? kDataContentType : kNoSlot;
    case 20: return k == "external_customer_id" ? kExternalCustomerId : kNoSlot;
    case 24: return k == "external_subscription_id" ? kExternalSubscriptionId : kNoSlot;
    default: return kNoSlot;
  }
}

// The CloudEvents 1.0 context attributes and data: every other top-level
// member of a CloudEvent is an extension attribute.
bool IsCloudEventsAttribute(Slot s) {
  switch (s) {
    case kSpecversion: case kId: case kSource: case kType: case kSubject: case kTime: case kData:
    case kDataBase64: case kDataContentType: case kDataSchema:
      return true;
    default:
      return false;
  }
}

// True for a media type whose content is JSON: application/json, text/json
// and any "+json" suffix, parameters (";charset=utf-8") allowed.
bool IsJsonMediaType(std::string_view type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  std::string lower;
  for (char c : type) lower += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return lower == "application/json" || lower == "text/json" ||
         (lower.size() > 5 && lower.ends_with("+json") && lower.find('/') != std::string::npos);
}

// Appends `v` as JSON: strings quoted and escaped, numbers, booleans, objects
// and arrays as their text.
void AppendJsonValue(const RawValue& v, std::string* out) {
  if (v.kind == ValueKind::kString) AppendJsonString(v.text, out);
  else out->append(v.text);
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
  std::string properties;  // CloudEvents: data minus the fields mapped to native ones, plus extensions
  std::string decoded;     // CloudEvents: data_base64 decoded
  RawValue slots[kSlotCount];
  // Members no format names (CloudEvents extension attributes).
  std::vector<std::pair<std::string_view, RawValue>> others;
  std::vector<std::string_view> batch;  // Lago {"events":[...]}: the events' texts
  bool is_batch = false;                // the last Parse read such a batch
  bool properties_checked = false;      // ReadTopLevel checked the properties object whole

  // Reads the record's members into `slots` and `others`. `check_properties`:
  // a properties object is checked whole on the way (properties_checked);
  // should that find it malformed, the record is read again without, so
  // that what is reported is what reading it first and checking its
  // properties after reports.
  Status ReadTopLevel(std::string_view text, bool check_properties = true);
  Status ReadBatch(const RawValue& events);
  Status Map(std::string_view text, Format format, bool envelopes, RawRecord* r);
  Status MapNative(RawRecord* r);
  Status MapCloudEvent(RawRecord* r);
  Status ReadCloudEventData();
  Status AddExtension(std::string_view key, const RawValue& v);
  Status MapLago(RawRecord* r);
};

Status JsonRecordParser::Impl::ReadTopLevel(std::string_view text, bool check_properties) {
  for (RawValue& s : slots) s = RawValue{};
  others.clear();
  properties_checked = false;
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
    od::value v;
    if (slot == kNoSlot) {
      // Kept for CloudEvents (extension attributes); other formats ignore them.
      others.emplace_back(key, RawValue{});
      if ((e = field.value().get(v)) || (e = Capture(v, &others.back().second, nullptr))) return fail(e);
      continue;
    }
    if ((e = field.value().get(v))) return fail(e);
    if (slot == kProperties && check_properties) {
      if (CaptureChecked(v, doc, &slots[slot])) return ReadTopLevel(text, false);
      properties_checked = slots[slot].kind == ValueKind::kObject;
      continue;
    }
    if ((e = Capture(v, &slots[slot], nullptr))) return fail(e);
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
  if (r->properties.kind == ValueKind::kObject && !properties_checked)
    return nested.Read(r->properties.text, "properties", &entries);
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
  // (id, source) is the event's identity: CloudEvents 1.0 requires both.
  const RawValue& source = slots[kSource];
  if (!source.present()) return Status::DataError("missing required field 'source'");
  if (source.kind != ValueKind::kString) return Status::DataError("source must be a string");
  if (source.text.empty()) return Status::DataError("source must not be empty");
  r->source = source.text;
  r->tenant = slots[kSubject];
  r->metric = slots[kType];
  r->timestamp = slots[kTime];
  METER_RETURN_IF_ERROR(ReadCloudEventData());
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
  // Extension attributes: every member that is not a CloudEvents attribute.
  for (int s = 0; s < kSlotCount; ++s)
    if (!IsCloudEventsAttribute(static_cast<Slot>(s)))
      METER_RETURN_IF_ERROR(AddExtension(kSlotKeys[s], slots[s]));
  for (const auto& [key, value] : others) METER_RETURN_IF_ERROR(AddExtension(key, value));
  if (!properties.empty()) {
    properties.push_back('}');
    r->properties = {ValueKind::kObject, properties};
  }
  return Status::OK();
}

// The entries of the event's data: `data` (a JSON object), or `data_base64`
// holding a JSON object (when datacontenttype, if given, is a JSON type).
Status JsonRecordParser::Impl::ReadCloudEventData() {
  entries.clear();
  const RawValue& data = slots[kData];
  const RawValue& base64 = slots[kDataBase64];
  if (data.present() && base64.present())
    return Status::DataError("data and data_base64 are both present (a CloudEvent has one or the other)");
  if (data.present()) {
    if (data.kind != ValueKind::kObject) return Status::DataError("data must be a JSON object");
    return nested.Read(data.text, "data", &entries);
  }
  if (!base64.present()) return Status::OK();
  if (base64.kind != ValueKind::kString) return Status::DataError("data_base64 must be a base64 string");
  const RawValue& type = slots[kDataContentType];
  if (type.present() && (type.kind != ValueKind::kString || !IsJsonMediaType(type.text)))
    return Status::DataError(fmt::format(
        "data_base64 holds '{}' content (datacontenttype); meter reads only JSON data", Excerpt(type.text)));
  auto bytes = Base64Decode(base64.text);
  if (!bytes.ok())
    return Status::DataError(fmt::format("data_base64 is not valid base64 ({})", bytes.status().message()));
  decoded = std::move(bytes).value();
  size_t first = decoded.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || decoded[first] != '{')
    return Status::DataError("data_base64 must hold a JSON object");
  return nested.Read(decoded, "data_base64", &entries);
}

// Adds an extension attribute to the properties, unless absent, null or
// already given by data (data wins). Extension values are scalars.
Status JsonRecordParser::Impl::AddExtension(std::string_view key, const RawValue& v) {
  if (!v.present()) return Status::OK();
  if (v.kind == ValueKind::kObject || v.kind == ValueKind::kArray)
    return Status::DataError(fmt::format(
        "extension attribute '{}' must be a string, number or boolean (CloudEvents 1.0)", Excerpt(key)));
  for (const JsonEntry& en : entries)
    if (en.key == key) return Status::OK();
  properties.push_back(properties.empty() ? '{' : ',');
  AppendJsonString(key, &properties);
  properties.push_back(':');
  AppendJsonValue(v, &properties);
  return Status::OK();
}

Status JsonRecordParser::Impl::MapLago(RawRecord* r) {
  r->format = Format::kLago;
  // external_customer_id names the tenant; without one (absent, null or
  // ""), external_subscription_id does, and only it is named in messages.
  const RawValue& customer = slots[kExternalCustomerId];
  bool by_customer = !slots[kExternalSubscriptionId].present() ||
                     (customer.present() && !(customer.kind == ValueKind::kString && customer.text.empty()));
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

// Lago's envelopes: {"event": {...}} (one event) and {"events": [...]}
// (a batch), objects holding nothing any format reads beside them.
bool IsLagoEnvelope(const RawValue* s) {
  if (s[kEvent].kind == ValueKind::kAbsent && s[kEvents].kind == ValueKind::kAbsent) return false;
  for (Slot k : {kId, kTenant, kMetric, kTimestamp, kSpecversion, kTransactionId, kCode, kExternalCustomerId,
                 kExternalSubscriptionId})
    if (s[k].kind != ValueKind::kAbsent) return false;
  return true;
}

// The texts of the array's elements, each a view into the array's text.
Status JsonRecordParser::Impl::ReadBatch(const RawValue& events) {
  batch.clear();
  if (events.kind != ValueKind::kArray) return Status::DataError("events must be a JSON array");
  od::document doc;
  od::array array;
  // The array's text lies inside the record, so the record's padding follows it.
  error_code e = parser.iterate(events.text.data(), events.text.size(), events.text.size() + kJsonPadding).get(doc);
  if (!e) e = doc.get_array().get(array);
  if (e) return Malformed(e, "events");
  for (auto item : array) {
    od::value element;
    RawValue value;
    std::string_view raw;
    if ((e = item.get(element)) || (e = Capture(element, &value, &raw))) return Malformed(e, "events");
    batch.push_back(raw);
  }
  return Status::OK();
}

Status JsonRecordParser::Impl::Map(std::string_view text, Format format, bool envelopes, RawRecord* r) {
  METER_RETURN_IF_ERROR(ReadTopLevel(text));
  if (envelopes && (format == Format::kAuto || format == Format::kLago) && IsLagoEnvelope(slots)) {
    if (slots[kEvents].kind != ValueKind::kAbsent) {
      is_batch = true;
      RawValue events = slots[kEvents];
      return ReadBatch(events);
    }
    RawValue event = slots[kEvent];
    if (event.kind != ValueKind::kObject) return Status::DataError("event must be a JSON object");
    return Map(event.text, Format::kLago, false, r);
  }
  *r = RawRecord{};
  r->content = text;
  if (format == Format::kAuto) {
    const RawValue* s = slots;
    if (s[kSpecversion].kind != ValueKind::kAbsent) format = Format::kCloudEvents;
    else if (s[kTransactionId].kind != ValueKind::kAbsent || s[kCode].kind != ValueKind::kAbsent ||
             s[kExternalCustomerId].kind != ValueKind::kAbsent ||
             s[kExternalSubscriptionId].kind != ValueKind::kAbsent)
      format = Format::kLago;
    else format = Format::kNdjson;
  }
  switch (format) {
    case Format::kCloudEvents: return MapCloudEvent(r);
    case Format::kLago: return MapLago(r);
    default: return MapNative(r);
  }
}

JsonRecordParser::JsonRecordParser() : impl_(std::make_unique<Impl>()) {}
JsonRecordParser::~JsonRecordParser() = default;

Status JsonRecordParser::Parse(std::string_view text, Format format, RawRecord* out) {
  impl_->batch.clear();
  impl_->is_batch = false;
  Status st = impl_->Map(text, format, true, out);
  if (st.ok() && impl_->is_batch) *out = RawRecord{};
  return st;
}

bool JsonRecordParser::is_batch() const { return impl_->is_batch; }

const std::vector<std::string_view>& JsonRecordParser::batch_events() const { return impl_->batch; }

Status JsonRecordParser::ParseBatchEvent(std::string_view text, RawRecord* out) {
  return impl_->Map(text, Format::kLago, false, out);
}

}  // namespace meter::ingest
