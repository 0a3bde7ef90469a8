#include "core/json_util.h"

#include <cmath>

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
  for (char c : mantissa) {
    if (c == '-' || c == '+') { if (!digits.empty() || !sign.empty()) return bad(); if (c == '-') sign = "-"; }
    else if (c == '.') { if (point >= 0) return bad(); point = static_cast<int>(digits.size()); }
    else if (c >= '0' && c <= '9') digits += c;
    else return bad();
  }
  if (digits.empty()) return bad();
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

nlohmann::json DecimalToJson(const Decimal& d) {
  if (d.IsInteger()) {
    auto i = d.ToInt64();
    if (i.ok()) return *i;
  }
  return d.ToString();
}

}  // namespace meter
