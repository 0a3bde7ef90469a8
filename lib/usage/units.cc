#include "usage/units.h"

#include <fmt/format.h>

namespace meter::usage {

Decimal FromMicros(int64_t micros) { return Decimal::FromScaled(micros, 6); }

Result<int64_t> ToMicros(const Decimal& d, std::string_view what) {
  if (d.IsNegative()) return Status::InvalidArgument(fmt::format("{} must not be negative, got {}", what, d.ToString()));
  if (d.FractionalDigits() > 6)
    return Status::InvalidArgument(fmt::format("{} has more than 6 decimal places: {}", what, d.ToString()));
  auto m = d.ToScaledInt64(6);
  if (!m.ok()) return Status::InvalidArgument(fmt::format("{} is out of range: {}", what, d.ToString()));
  return *m;
}

nlohmann::json UnitsJson(const Decimal& d) {
  if (d.IsInteger()) {
    if (auto i = d.ToInt64(); i.ok()) return *i;
  }
  return nlohmann::json::parse(d.ToString());
}

nlohmann::json SecondsJson(int64_t micros) { return UnitsJson(FromMicros(micros)); }

std::string FormatUnits(const Decimal& d) {
  std::string text = d.ToString();
  std::string_view s = text;
  std::string sign(s.starts_with('-') ? "-" : "");
  if (!sign.empty()) s.remove_prefix(1);
  size_t dot = s.find('.');
  std::string_view whole = s.substr(0, dot);
  std::string out;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i > 0 && (whole.size() - i) % 3 == 0) out += ',';
    out += whole[i];
  }
  if (dot != std::string_view::npos) out += s.substr(dot);
  return sign + out;
}

}  // namespace meter::usage
