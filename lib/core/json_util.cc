#include "core/json_util.h"

#include <cmath>
#include <vector>

#include <fmt/format.h>

namespace meter {

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
    size_t sig = 0;
    bool leading = true;
    for (char c : text) {
      if (c == 'e' || c == 'E') break;
      if (c >= '1' && c <= '9') leading = false;
      if (c >= '0' && c <= '9' && !leading) ++sig;
    }
    if (sig > 15)
      return Status::InvalidArgument(fmt::format(
          "number {} has more digits than a JSON number carries exactly; write it as a string", text));
    return ParseDecimalNumberText(text);
  }
  if (v.is_string()) return Decimal::Parse(v.get<std::string>());
  return Status::InvalidArgument(fmt::format("expected a number or decimal string, got {}", v.type_name()));
}

namespace {

// SAX handler that keeps the path of the current value ("plans[1].base_price")
// and checks every float literal against the double the DOM would hold.
class ExactNumbers : public nlohmann::json_sax<nlohmann::json> {
 public:
  Status status;

  bool null() override { return Next(); }
  bool boolean(bool) override { return Next(); }
  bool number_integer(number_integer_t) override { return Next(); }
  bool number_unsigned(number_unsigned_t) override { return Next(); }
  bool number_float(number_float_t value, const string_t& literal) override {
    // Exact when the double reads back as the literal's value (or when
    // DecimalFromJson refuses it anyway).
    auto read = DecimalFromJson(nlohmann::json(value));
    auto written = ParseDecimalNumberText(literal);
    if (read.ok() && (!written.ok() || *written != *read)) {
      status = Status::InvalidArgument(fmt::format(
          "{}: number {} has more digits than a JSON number carries exactly; write it as a string (\"{}\")",
          Path(), literal, literal));
      return false;
    }
    return Next();
  }
  bool string(string_t&) override { return Next(); }
  bool binary(binary_t&) override { return Next(); }
  bool start_object(std::size_t) override { return Push(false); }
  bool key(string_t& k) override {
    frames_.back().key = k;
    return true;
  }
  bool end_object() override { return Pop(); }
  bool start_array(std::size_t) override { return Push(true); }
  bool end_array() override { return Pop(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

 private:
  struct Frame {
    bool array;
    size_t index;
    std::string key;
  };
  std::vector<Frame> frames_;

  bool Next() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return true;
  }
  bool Push(bool array) {
    frames_.push_back({array, 0, ""});
    return true;
  }
  bool Pop() {
    frames_.pop_back();
    return Next();
  }
  std::string Path() const {
    std::string path;
    for (const Frame& f : frames_) {
      if (f.array) path += fmt::format("[{}]", f.index);
      else path += path.empty() ? f.key : "." + f.key;
    }
    return path.empty() ? "number" : path;
  }
};

}  // namespace

Status CheckJsonNumbersExact(std::string_view json_text) {
  ExactNumbers handler;
  nlohmann::json::sax_parse(json_text, &handler, nlohmann::json::input_format_t::json, /*strict=*/true,
                            /*ignore_comments=*/true);
  return handler.status;
}

nlohmann::json DecimalToJson(const Decimal& d) {
  if (d.IsInteger()) {
    auto i = d.ToInt64();
    if (i.ok()) return *i;
  }
  return d.ToString();
}

}  // namespace meter
