#include "usage/units.h"

#include <fmt/format.h>

#include "core/json_util.h"

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

nlohmann::json SecondsJson(int64_t micros) { return JsonNumber(FromMicros(micros)); }

}  // namespace meter::usage
