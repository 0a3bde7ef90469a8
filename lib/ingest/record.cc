#include "ingest/record.h"

#include <optional>

#include <fmt/format.h>

#include "core/decimal.h"
#include "core/json_util.h"
#include "ingest/content_id.h"

namespace meter::ingest {

const FieldNames kNativeNames = {"id", "tenant", "metric", "timestamp", "quantity", "user",
                                 "operation", "status", "latency_ms", "cost", "properties"};
const FieldNames kCloudEventsNames = {"id", "subject", "type", "time", "data.quantity", "data.user",
                                      "data.operation", "data.status", "data.latency_ms", "data.cost",
                                      "data"};
const FieldNames kLagoNames = {"transaction_id", "external_customer_id", "code", "timestamp",
                               "properties.quantity", "properties.user", "properties.operation",
                               "properties.status", "properties.latency_ms", "properties.cost",
                               "properties"};

Result<Format> ParseFormat(std::string_view name) {
  if (name == "auto") return Format::kAuto;
  if (name == "ndjson" || name == "json") return Format::kNdjson;
  if (name == "csv") return Format::kCsv;
  if (name == "cloudevents") return Format::kCloudEvents;
  if (name == "lago") return Format::kLago;
  return Status::InvalidArgument(
      fmt::format("unknown format '{}' (auto, ndjson, csv, cloudevents, lago)", name));
}

std::string_view FormatName(Format f) {
  switch (f) {
    case Format::kAuto: return "auto";
    case Format::kNdjson: return "ndjson";
    case Format::kCsv: return "csv";
    case Format::kCloudEvents: return "cloudevents";
    case Format::kLago: return "lago";
  }
  return "?";
}

std::string Excerpt(std::string_view text) {
  constexpr size_t kMax = 60;
  size_t n = text.size();
  if (n > kMax) {
    n = kMax;
    // Never cut a UTF-8 sequence in half.
    while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  }
  std::string out;
  out.reserve(n + 3);
  for (size_t i = 0; i < n; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    // Reasons are written as one comment line: no control characters.
    if (c == '\n') out += "\\n";
    else if (c == '\r') out += "\\r";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) out += fmt::format("\\u{:04x}", c);
    else out += static_cast<char>(c);
  }
  if (n < text.size()) out += "...";
  return out;
}

bool IsJsonNumber(std::string_view s) {
  size_t i = 0, n = s.size();
  auto digit = [&](size_t k) { return k < n && s[k] >= '0' && s[k] <= '9'; };
  if (i < n && s[i] == '-') ++i;
  if (!digit(i)) return false;
  if (s[i] == '0') ++i;
  else while (digit(i)) ++i;
  if (i < n && s[i] == '.') {
    ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digit(i)) return false;
    while (digit(i)) ++i;
  }
  return i == n;
}

namespace {

Status NotANumber(std::string_view text, std::string_view field) {
  return Status::DataError(fmt::format("{} '{}' is not a number", field, Excerpt(text)));
}

// Exponents and other rare spellings: exact decimal arithmetic on the text.
Result<int64_t> ParseMicrosSlow(std::string_view text, std::string_view field) {
  auto d = ParseDecimalNumberText(text);
  if (!d.ok()) {
    if (d.status().message().find("out of range") != std::string::npos)
      return Status::DataError(fmt::format("{} '{}' is too large", field, Excerpt(text)));
    return NotANumber(text, field);
  }
  if (d->IsNegative()) return Status::DataError(fmt::format("{} must be non-negative", field));
  if (d->FractionalDigits() > 6)
    return Status::DataError(fmt::format("{} '{}' has more than 6 decimal places", field, Excerpt(text)));
  auto micros = d->ToScaledInt64(6);
  if (!micros.ok()) return Status::DataError(fmt::format("{} '{}' is too large", field, Excerpt(text)));
  return *micros;
}

}  // namespace

Result<int64_t> ParseMicros(std::string_view text, std::string_view field) {
  // Fast path: [+-]digits[.digits] with at most 12 integer digits, which
  // cannot overflow int64 once scaled by 10^6.
  size_t i = 0, n = text.size();
  bool negative = false;
  if (i < n && (text[i] == '-' || text[i] == '+')) negative = text[i++] == '-';
  size_t int_start = i;
  int64_t whole = 0;
  while (i < n && text[i] >= '0' && text[i] <= '9' && i - int_start < 12) whole = whole * 10 + (text[i++] - '0');
  if (i == int_start || (i < n && text[i] >= '0' && text[i] <= '9')) return ParseMicrosSlow(text, field);
  int64_t frac = 0;
  int places = 0;
  if (i < n && text[i] == '.') {
    size_t frac_start = ++i;
    while (i < n && text[i] >= '0' && text[i] <= '9') {
      if (places < 6) {
        frac = frac * 10 + (text[i] - '0');
        ++places;
      } else if (text[i] != '0') {
        return ParseMicrosSlow(text, field);
      }
      ++i;
    }
    if (i == frac_start) return NotANumber(text, field);
  }
  if (i != n) return ParseMicrosSlow(text, field);
  for (int p = places; p < 6; ++p) frac *= 10;
  int64_t micros = whole * 1000000 + frac;
  if (negative && micros != 0) return Status::DataError(fmt::format("{} must be non-negative", field));
  return micros;
}

namespace {

Status Missing(const char* field) {
  return Status::DataError(fmt::format("missing required field '{}'", field));
}

Status RequiredString(const RawValue& v, const char* field, std::string_view* out) {
  if (!v.present()) return Missing(field);
  if (v.kind != ValueKind::kString) return Status::DataError(fmt::format("{} must be a string", field));
  if (v.text.empty()) return Status::DataError(fmt::format("{} must not be empty", field));
  *out = v.text;
  return Status::OK();
}

// user, operation, status: strings (numbers are taken as their text).
Status OptionalText(const RawValue& v, const char* field, std::string_view* out) {
  *out = {};
  if (!v.present()) return Status::OK();
  if (v.kind != ValueKind::kString && v.kind != ValueKind::kNumber)
    return Status::DataError(fmt::format("{} must be a string", field));
  *out = v.text;
  return Status::OK();
}

// The event's identity: (id, source).
Status EventId(const RawRecord& r, EventView* out, std::string* scratch) {
  out->source = r.source;
  const RawValue& v = r.id;
  if (!v.present()) {
    *scratch = ContentId(r.content_context, r.content);
    out->id = *scratch;
    return Status::OK();
  }
  if (v.kind != ValueKind::kString && v.kind != ValueKind::kNumber)
    return Status::DataError(fmt::format("{} must be a string", r.names->id));
  if (v.text.empty()) return Status::DataError(fmt::format("{} must not be empty", r.names->id));
  out->id = v.text;
  return Status::OK();
}

// Unix time as a number: whole seconds or milliseconds (FromUnixNumber tells
// them apart by size), or, when `fraction_allowed` (Lago), seconds with a
// fraction ("1651240791.123"), read to the millisecond (further digits are
// dropped).
std::optional<Timestamp> UnixTime(std::string_view s, bool fraction_allowed) {
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  if (whole.empty() || whole.size() > 18) return std::nullopt;
  int64_t n = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  Timestamp t = FromUnixNumber(n);
  if (dot == std::string_view::npos) return t;
  if (!fraction_allowed) return std::nullopt;
  std::string_view fraction = s.substr(dot + 1);
  if (fraction.empty()) return std::nullopt;
  int64_t millis = 0;
  for (size_t i = 0; i < fraction.size(); ++i) {
    char c = fraction[i];
    if (c < '0' || c > '9') return std::nullopt;
    if (i < 3) millis += (c - '0') * (i == 0 ? 100 : i == 1 ? 10 : 1);
  }
  // Only seconds carry milliseconds in their fraction.
  return t != n || n == 0 ? t + millis : t;
}

Result<Timestamp> EventTime(const RawValue& v, const char* field, bool fraction_allowed) {
  if (v.kind == ValueKind::kString || v.kind == ValueKind::kNumber) {
    if (auto t = UnixTime(v.text, fraction_allowed)) return *t;
    if (v.kind == ValueKind::kString) {
      auto t = ParseRfc3339(v.text);
      if (t.ok()) return *t;
    }
    return Status::DataError(fmt::format("{} '{}' is not a valid time", field, Excerpt(v.text)));
  }
  return Status::DataError(fmt::format("{} must be an RFC 3339 time or Unix seconds", field));
}

Status Quantity(const RawValue& v, const char* field, int64_t* out) {
  if (!v.present()) {
    *out = 1000000;
    return Status::OK();
  }
  if (v.kind != ValueKind::kNumber && v.kind != ValueKind::kString)
    return Status::DataError(fmt::format("{} must be a number", field));
  METER_ASSIGN_OR_RETURN(*out, ParseMicros(v.text, field));
  return Status::OK();
}

Status Latency(const RawValue& v, const char* field, std::optional<int64_t>* out) {
  out->reset();
  if (!v.present()) return Status::OK();
  if (v.kind != ValueKind::kNumber && v.kind != ValueKind::kString)
    return Status::DataError(fmt::format("{} must be a number", field));
  METER_ASSIGN_OR_RETURN(int64_t micros, ParseMicros(v.text, field));
  if (micros % 1000000 != 0)
    return Status::DataError(fmt::format("{} '{}' must be a whole number of milliseconds", field, Excerpt(v.text)));
  *out = micros / 1000000;
  return Status::OK();
}

// True for text that is already canonical decimal notation ("0", "12",
// "0.005"; no sign, no exponent, no leading or trailing zeros), which is
// stored as written without a round trip through Decimal.
bool IsCanonicalDecimal(std::string_view s) {
  size_t i = 0, n = s.size();
  auto digit = [&](size_t k) { return k < n && s[k] >= '0' && s[k] <= '9'; };
  if (n == 0 || n > 30) return false;
  if (s[0] == '0') ++i;
  else while (digit(i)) ++i;
  if (i == 0 || i > 19) return false;
  if (i == n) return true;
  if (s[i] != '.') return false;
  size_t frac = ++i;
  while (digit(i)) ++i;
  return i == n && i > frac && i - frac <= 18 && s[n - 1] != '0';
}

Status Cost(const RawValue& v, const char* field, std::string_view* out, std::string* scratch) {
  *out = {};
  if (!v.present()) return Status::OK();
  if (v.kind != ValueKind::kNumber && v.kind != ValueKind::kString)
    return Status::DataError(fmt::format("{} must be a decimal number", field));
  if (IsCanonicalDecimal(v.text)) {
    *out = v.text;
    return Status::OK();
  }
  auto d = ParseDecimalNumberText(v.text);
  if (!d.ok()) return Status::DataError(fmt::format("{} '{}' is not a decimal number", field, Excerpt(v.text)));
  if (d->IsNegative()) return Status::DataError(fmt::format("{} must be non-negative", field));
  *scratch = d->ToString();
  *out = *scratch;
  return Status::OK();
}

Status Properties(const RawValue& v, const char* field, std::string_view* out) {
  *out = {};
  if (!v.present()) return Status::OK();
  if (v.kind != ValueKind::kObject) return Status::DataError(fmt::format("{} must be a JSON object", field));
  *out = v.text;
  return Status::OK();
}

}  // namespace

Status ToEventView(const RawRecord& r, EventView* out, EventScratch* scratch) {
  const FieldNames& n = *r.names;
  METER_RETURN_IF_ERROR(RequiredString(r.tenant, n.tenant, &out->tenant));
  METER_RETURN_IF_ERROR(RequiredString(r.metric, n.metric, &out->metric));
  if (!r.timestamp.present()) return Missing(n.timestamp);
  METER_RETURN_IF_ERROR(EventId(r, out, &scratch->id));
  METER_ASSIGN_OR_RETURN(out->timestamp, EventTime(r.timestamp, n.timestamp, r.format == Format::kLago));
  METER_RETURN_IF_ERROR(Quantity(r.quantity, n.quantity, &out->quantity_micros));
  METER_RETURN_IF_ERROR(OptionalText(r.user, n.user, &out->user));
  METER_RETURN_IF_ERROR(OptionalText(r.operation, n.operation, &out->operation));
  METER_RETURN_IF_ERROR(OptionalText(r.status, n.status, &out->status));
  METER_RETURN_IF_ERROR(Latency(r.latency_ms, n.latency_ms, &out->latency_ms));
  METER_RETURN_IF_ERROR(Cost(r.cost, n.cost, &out->cost, &scratch->cost));
  return Properties(r.properties, n.properties, &out->properties);
}

Status ToEvent(const RawRecord& r, Event* out) {
  EventView v;
  EventScratch scratch;
  METER_RETURN_IF_ERROR(ToEventView(r, &v, &scratch));
  *out = OwnedCopy(v);
  return Status::OK();
}

}  // namespace meter::ingest
