#include "core/json_util.h"

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace meter {
namespace {

using nlohmann::json;

// The binary subtype that marks a raw number ('n').
constexpr std::uint8_t kRawNumberSubtype = 0x6e;

json RawNumber(std::string_view text) {
  return json::binary(std::vector<std::uint8_t>(text.begin(), text.end()), kRawNumberSubtype);
}

std::string RawText(const json& v) {
  const auto& bytes = v.get_binary();
  return std::string(bytes.begin(), bytes.end());
}

}  // namespace

Result<Decimal> ParseDecimalNumberText(std::string_view text) {
  size_t e = text.find_first_of("eE");
  if (e == std::string_view::npos) return Decimal::Parse(text);
  std::string_view mantissa = text.substr(0, e), exp_text = text.substr(e + 1);
  auto bad = [&] { return Status::InvalidArgument(fmt::format("'{}' is not a decimal number", text)); };
  if (exp_text.empty() || exp_text.size() > 4) return bad();
  int exp = 0;
  size_t i = (exp_text[0] == '+' || exp_text[0] == '-') ? 1 : 0;
  if (i == exp_text.size()) return bad();
  for (; i < exp_text.size(); ++i) {
    if (exp_text[i] < '0' || exp_text[i] > '9') return bad();
    exp = exp * 10 + (exp_text[i] - '0');
  }
  if (exp_text[0] == '-') exp = -exp;
  if (exp < -36 || exp > 36) return bad();
  // Move the decimal point by rewriting the digits, so no rounding happens.
  std::string sign, digits;
  int point = -1;
  for (size_t i = 0; i < mantissa.size(); ++i) {
    const char c = mantissa[i];
    if (c == '-' || c == '+') { if (i != 0) return bad(); if (c == '-') sign = "-"; }  // one leading sign
    else if (c == '.') { if (point >= 0) return bad(); point = static_cast<int>(digits.size()); }
    else if (c >= '0' && c <= '9') digits += c;
    else return bad();
  }
  if (digits.empty()) return bad();
  // Digits on both sides of a '.', as Decimal::Parse and JSON want: ".5e1"
  // and "5.e0" are refused like ".5" and "5.".
  if (point == 0 || point == static_cast<int>(digits.size())) return bad();
  if (point < 0) point = static_cast<int>(digits.size());
  point += exp;
  if (point <= 0) digits = std::string(-point + 1, '0') + digits, point = 1;
  if (point > static_cast<int>(digits.size())) digits += std::string(point - digits.size(), '0');
  std::string out = sign + digits.substr(0, point);
  if (point < static_cast<int>(digits.size())) out += "." + digits.substr(point);
  return Decimal::Parse(out);
}

int SignificantDigits(std::string_view number) {
  int n = 0;
  bool leading = true;
  for (char c : number) {
    if (c == 'e' || c == 'E') break;
    if (c >= '1' && c <= '9') leading = false;
    if (c >= '0' && c <= '9' && !leading) ++n;
  }
  return n;
}

Result<Decimal> DecimalFromJson(const nlohmann::json& v) {
  if (v.is_number_integer()) {
    if (v.is_number_unsigned()) {
      auto u = v.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) return Decimal::Parse(std::to_string(u));
      return Decimal::FromInt(static_cast<int64_t>(u));
    }
    return Decimal::FromInt(v.get<int64_t>());
  }
  if (v.is_number_float()) {
    double d = v.get<double>();
    if (!std::isfinite(d)) return Status::InvalidArgument("number is not finite");
    std::string text = v.dump();  // shortest round-trip text
    if (SignificantDigits(text) > 15)
      return Status::InvalidArgument(fmt::format(
          "number {} has more digits than a JSON number carries exactly; write it as a string", text));
    return ParseDecimalNumberText(text);
  }
  if (v.is_string()) return Decimal::Parse(v.get<std::string>());
  if (IsRawNumber(v)) return ParseDecimalNumberText(RawText(v));
  return Status::InvalidArgument(fmt::format("expected a number or decimal string, got {}", JsonTypeName(v)));
}

namespace {

using nlohmann::json;

// True when the double `value`, read back as a Decimal the way
// DecimalFromJson reads a double, is the number `literal` writes.
bool DoubleIsExact(double value, std::string_view literal) {
  auto read = DecimalFromJson(json(value));
  auto written = ParseDecimalNumberText(literal);
  return read.ok() && written.ok() && *read == *written;
}

// True when `c` must go through nlohmann: a control character, a quote, a
// backslash, or a byte of a multi-byte UTF-8 character.
bool NeedsNlohmann(unsigned char c) { return c < 0x20 || c >= 0x80 || c == '"' || c == '\\'; }

// NeedsNlohmann of any of the 8 bytes of `w` (the bit tricks are exact as a
// yes or no: a byte below 0x20, with its high bit set, or equal to '"' or '\\').
bool AnyNeedsNlohmann(std::uint64_t w) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHighs = 0x8080808080808080ULL;
  auto any_zero = [&](std::uint64_t v) { return ((v - kOnes) & ~v & kHighs) != 0; };
  return (w & kHighs) != 0 || ((w - kOnes * 0x20) & ~w & kHighs) != 0 || any_zero(w ^ (kOnes * '"')) ||
         any_zero(w ^ (kOnes * '\\'));
}

// True when `s` is plain ASCII without quotes, backslashes or control
// characters, 8 bytes at a time (the strings of an invoice's JSON are most
// of the bytes DumpJson looks at).
bool PlainAscii(const std::string& s) {
  const char* p = s.data();
  const size_t n = s.size();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    if (AnyNeedsNlohmann(w)) return false;
  }
  for (; i < n; ++i)
    if (NeedsNlohmann(static_cast<unsigned char>(p[i]))) return false;
  return true;
}

// Appends `s` as a JSON string. Plain ASCII without quotes, backslashes or
// control characters (nearly every key and value meter writes) is copied as
// is; anything else goes through nlohmann so escaping and UTF-8 checks stay
// exactly its own.
void AppendString(const std::string& s, std::string& out) {
  if (!PlainAscii(s)) {
    out += json(s).dump();
    return;
  }
  out += '"';
  out += s;
  out += '"';
}

void Dump(const json& j, int indent, int level, std::string& out) {
  switch (j.type()) {
    case json::value_t::object:
    case json::value_t::array: {
      const bool object = j.is_object();
      if (j.empty()) {
        out += object ? "{}" : "[]";
        return;
      }
      out += object ? '{' : '[';
      const std::string pad = indent < 0 ? "" : "\n" + std::string(static_cast<size_t>(indent) * (level + 1), ' ');
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out += ',';
        first = false;
        out += pad;
        if (object) {
          AppendString(it.key(), out);
          out += indent < 0 ? ":" : ": ";
        }
        Dump(it.value(), indent, level + 1, out);
      }
      if (indent >= 0) out += "\n" + std::string(static_cast<size_t>(indent) * level, ' ');
      out += object ? '}' : ']';
      return;
    }
    case json::value_t::binary:
      if (IsRawNumber(j)) {
        out += RawText(j);
        return;
      }
      out += j.dump();
      return;
    case json::value_t::string:
      AppendString(j.get_ref<const std::string&>(), out);
      return;
    case json::value_t::number_integer:
      out += std::to_string(j.get<json::number_integer_t>());
      return;
    case json::value_t::number_unsigned:
      out += std::to_string(j.get<json::number_unsigned_t>());
      return;
    case json::value_t::boolean:
      out += j.get<bool>() ? "true" : "false";
      return;
    case json::value_t::null:
      out += "null";
      return;
    default:
      out += j.dump();
  }
}

// A DOM built by nlohmann's own SAX builder, except that a number its double
// would change is kept as a raw number holding the literal.
class ExactDom {
 public:
  explicit ExactDom(json& root) : dom_(root, /*allow_exceptions=*/false) {}

  bool null() { return dom_.null(); }
  bool boolean(bool v) { return dom_.boolean(v); }
  bool number_integer(json::number_integer_t v) { return dom_.number_integer(v); }
  bool number_unsigned(json::number_unsigned_t v) { return dom_.number_unsigned(v); }
  bool number_float(json::number_float_t v, const std::string& literal) {
    if (DoubleIsExact(v, literal)) return dom_.number_float(v, literal);
    json::binary_t raw(std::vector<std::uint8_t>(literal.begin(), literal.end()), kRawNumberSubtype);
    return dom_.binary(raw);
  }
  bool string(std::string& v) { return dom_.string(v); }
  bool binary(json::binary_t& v) { return dom_.binary(v); }
  bool start_object(std::size_t n) { return dom_.start_object(n); }
  bool key(std::string& k) { return dom_.key(k); }
  bool end_object() { return dom_.end_object(); }
  bool start_array(std::size_t n) { return dom_.start_array(n); }
  bool end_array() { return dom_.end_array(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    error_ = e.what();
    return false;
  }
  const std::string& error() const { return error_; }

 private:
  nlohmann::detail::json_sax_dom_parser<json> dom_;
  std::string error_;
};

}  // namespace

json JsonNumber(const Decimal& d) {
  if (d.IsInteger()) {
    if (auto i = d.ToInt64(); i.ok()) return *i;
  }
  // A double only when it prints as exactly this text and DecimalFromJson
  // reads it back (up to 15 significant digits): then any reader agrees.
  std::string text = d.ToString();
  json as_double = std::strtod(text.c_str(), nullptr);
  if (as_double.dump() == text && SignificantDigits(text) <= 15) return as_double;
  return RawNumber(text);
}

bool IsRawNumber(const json& v) {
  return v.is_binary() && v.get_binary().has_subtype() && v.get_binary().subtype() == kRawNumberSubtype;
}

const char* JsonTypeName(const json& v) { return IsRawNumber(v) ? "number" : v.type_name(); }

std::string DumpJson(const json& j, int indent) {
  // Written into a buffer kept between calls, then copied once at its size,
  // instead of into a string that grows (and moves) a dozen times.
  // A document over 1 MB leaves with the buffer (no copy, no memory kept).
  thread_local std::string buffer;
  buffer.clear();
  Dump(j, indent, 0, buffer);
  if (buffer.size() > (size_t{1} << 20)) return std::exchange(buffer, std::string());
  return buffer;
}

Result<json> ParseJsonExact(std::string_view text, bool comments) {
  json root;
  ExactDom dom(root);
  bool ok = json::sax_parse(text, &dom, json::input_format_t::json, /*strict=*/true, comments);
  if (!ok) return Status::DataError(dom.error().empty() ? "not valid JSON" : dom.error());
  return root;
}

}  // namespace meter
