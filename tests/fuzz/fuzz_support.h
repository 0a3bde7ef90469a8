// Shared pieces of the libFuzzer targets: the record loop of `meter ingest`
// (line splitting, trimming, comment lines) and invariant checks that abort,
// so libFuzzer records a broken invariant as a crash with its input.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/decimal.h"
#include "core/event.h"
#include "core/json_util.h"
#include "core/time.h"
#include "ingest/json_record.h"
#include "ingest/line_reader.h"
#include "ingest/record.h"

namespace meter::fuzz {

// Aborts with the failed invariant and `detail`: libFuzzer saves the input.
[[noreturn]] inline void Fail(const char* what, std::string_view detail) {
  std::fprintf(stderr, "fuzz invariant failed: %s [%.*s]\n", what, static_cast<int>(detail.size()),
               detail.data());
  std::abort();
}

#define METER_FUZZ_CHECK(cond, detail) \
  do {                                  \
    if (!(cond)) ::meter::fuzz::Fail(#cond, (detail)); \
  } while (0)

// The same trim as ingest's record loop (spaces and tabs).
inline std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// One record line in a buffer of its own, as ingest hands it to the parsers:
// followed by exactly kJsonPadding readable bytes (LineReader's promise), so
// AddressSanitizer reports any read beyond them. The padding holds the bytes
// that follow the line in the input, as in LineReader's buffer, or `fill`.
class PaddedLine {
 public:
  PaddedLine(std::string_view line, std::string_view after, char fill) {
    buf_.reset(new char[line.size() + ingest::kJsonPadding]);
    if (!line.empty()) std::memcpy(buf_.get(), line.data(), line.size());
    size_t n = after.size() < ingest::kJsonPadding ? after.size() : ingest::kJsonPadding;
    if (n > 0) std::memcpy(buf_.get() + line.size(), after.data(), n);
    std::memset(buf_.get() + line.size() + n, fill, ingest::kJsonPadding - n);
    size_ = line.size();
  }
  std::string_view text() const { return {buf_.get(), size_}; }

 private:
  std::unique_ptr<char[]> buf_;
  size_t size_ = 0;
};

// A record line as ingest's loop sees it: trimmed text and what follows it.
struct RecordLine {
  std::string_view text;
  std::string_view after;
};

// Splits input the way LineReader + ingest's loop do: lines end at "\n" (a
// "\r" before it is dropped), a UTF-8 BOM opens line 1, lines are trimmed,
// blank lines and lines starting with '#' are skipped. Lines longer than
// kMaxRecordBytes cannot occur at libFuzzer's input sizes.
inline std::vector<RecordLine> RecordLines(const uint8_t* data, size_t size) {
  std::string_view all(reinterpret_cast<const char*>(data), size);
  std::vector<RecordLine> out;
  size_t pos = 0;
  for (size_t number = 1; pos < all.size(); ++number) {
    size_t nl = all.find('\n', pos);
    size_t end = nl == std::string_view::npos ? all.size() : nl;
    std::string_view line = all.substr(pos, end - pos);
    pos = nl == std::string_view::npos ? all.size() : nl + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (number == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);
    std::string_view text = Trim(line);
    if (text.empty() || text[0] == '#') continue;
    out.push_back({text, all.substr(text.data() + text.size() - all.data())});
  }
  return out;
}

// True when `s` is well-formed UTF-8 (no overlongs, surrogates or values
// beyond U+10FFFF).
inline bool ValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n;
    uint32_t cp;
    if (c < 0x80) { ++i; continue; }
    if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
    else return false;
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      unsigned char cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

// The exact value of number text, as ParseDecimalNumberText reads it, except
// that zeros at the end of a fraction do not count against its 18 places
// (ingest's fast ParseMicros reads "1.0000000000000000000" as 1, by value).
inline Result<Decimal> ExactValue(std::string_view text) {
  std::string s(text);
  if (s.find('.') != std::string::npos && s.find_first_of("eE") == std::string::npos) {
    while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
  }
  return ParseDecimalNumberText(s);
}

// Checks every number token outside strings of `json` against the RFC 8259
// grammar and copies the text to `out` with each number replaced by 0, so a
// strict parser (nlohmann) can check the rest: RFC 8259 allows numbers such
// as 1e999 that nlohmann refuses as overflowing a double.
inline bool CheckNumbers(std::string_view json, std::string* out) {
  out->clear();
  bool in_string = false, escaped = false;
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t end = json.find_first_not_of("+-.eE0123456789", i);
      if (end == std::string_view::npos) end = json.size();
      if (!ingest::IsJsonNumber(json.substr(i, end - i))) return false;
      out->push_back('0');
      i = end - 1;
      continue;
    }
    out->push_back(c);
  }
  return true;
}

// A one-line description of a parse outcome, for comparing two parses:
// every field of the event (ForEachEventField), or the error.
inline std::string Describe(const Status& st, const EventView& e) {
  if (!st.ok()) return "error: " + st.message();
  std::string out;
  ForEachEventField(e, e, [&](EventColumn, const auto& field, const auto&) {
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<T, std::string_view>) {
      out += std::to_string(field.size()) + ":";
      out.append(field);
    } else if constexpr (std::is_same_v<T, std::optional<int64_t>>) {
      out += field ? std::to_string(*field) : "-";
    } else {
      out += std::to_string(field);
    }
    out += '|';
  });
  return out;
}

// The invariants every accepted event must hold, whatever its format:
// required fields present, text fields valid UTF-8 (they are printed in JSON
// later), the quantity exactly the decimal the record spelled, the cost
// canonical and non-negative, properties one valid JSON object.
inline void CheckEvent(const ingest::RawRecord& raw, const EventView& e) {
  const std::string d = Describe(Status::OK(), e);
  METER_FUZZ_CHECK(!e.id.empty() && !e.tenant.empty() && !e.metric.empty(), d);
  for (std::string_view f : {e.id, e.source, e.tenant, e.metric, e.user, e.operation, e.status, e.properties})
    METER_FUZZ_CHECK(ValidUtf8(f), d);
  // Only a CloudEvent has a source, and it always has one: identities of
  // different shapes never meet.
  METER_FUZZ_CHECK(e.source.empty() == (raw.format != ingest::Format::kCloudEvents), d);
  METER_FUZZ_CHECK(e.quantity_micros >= 0, d);
  if (raw.quantity.present()) {
    auto exact = ExactValue(raw.quantity.text);
    METER_FUZZ_CHECK(exact.ok(), d);
    METER_FUZZ_CHECK(*exact == Decimal::FromScaled(e.quantity_micros, 6), d);
  } else {
    METER_FUZZ_CHECK(e.quantity_micros == 1000000, d);
  }
  if (e.latency_ms) METER_FUZZ_CHECK(*e.latency_ms >= 0, d);
  if (!e.cost.empty()) {
    auto cost = Decimal::Parse(e.cost);
    METER_FUZZ_CHECK(cost.ok() && !cost->IsNegative() && cost->ToString() == e.cost, d);
  }
  if (!e.properties.empty()) {
    std::string numbers_checked;
    METER_FUZZ_CHECK(CheckNumbers(e.properties, &numbers_checked), d);
    auto j = nlohmann::json::parse(numbers_checked, nullptr, /*allow_exceptions=*/false);
    METER_FUZZ_CHECK(j.is_object(), d);
  }
  (void)FormatRfc3339(e.timestamp);
}

}  // namespace meter::fuzz
