#include "usage/slices.h"

#include <algorithm>
#include <limits>

#include <fmt/format.h>

namespace meter::usage {
namespace {

// The charge's filters and groups as the one slicing pass takes them.
SliceSpec SpecOf(const catalog::Charge& charge) {
  SliceSpec spec;
  for (const catalog::ChargeFilter& f : charge.filters) {
    SliceFilter& s = spec.filters.emplace_back();
    for (const auto& cond : f.where) s.where.push_back({cond.field, cond.values});
    s.group_by = f.charge.group_by;
  }
  spec.remainder_group_by = charge.group_by;
  return spec;
}

// Invoice line order: filters in catalog order, the remainder (-1) last;
// groups in byte order with kNoGroupValue last.
bool LineOrder(const UsageSlice& a, const UsageSlice& b) {
  auto rank = [](int f) { return f < 0 ? std::numeric_limits<int>::max() : f; };
  if (a.filter != b.filter) return rank(a.filter) < rank(b.filter);
  if (!a.group || !b.group) return !a.group && b.group;
  bool a_none = *a.group == kNoGroupValue, b_none = *b.group == kNoGroupValue;
  if (a_none != b_none) return b_none;
  return *a.group < *b.group;  // std::string compares bytes as unsigned char
}

}  // namespace

bool IsSliced(const catalog::Charge& charge) { return !charge.filters.empty() || !charge.group_by.empty(); }

Result<std::vector<UsageSlice>> MeasureSlices(store::Database& db, const catalog::Catalog& c,
                                              const std::string& tenant, const catalog::Charge& charge,
                                              const Period& p) {
  const catalog::Meter* m = c.FindMeter(charge.meter);
  if (!m) return Status::DataError(fmt::format("a charge bills unknown meter '{}'", charge.meter));
  METER_ASSIGN_OR_RETURN(auto measured, MeasureSlices(db, *m, SpecOf(charge), {{tenant, p}}));
  std::vector<UsageSlice> out;
  for (const auto& [key, value] : measured.front()) {
    const std::string& group_by = key.filter >= 0 ? charge.filters[key.filter].charge.group_by : charge.group_by;
    UsageSlice s{key.filter, std::nullopt, value.value(), value.events()};
    if (!group_by.empty()) s.group = key.group;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), LineOrder);
  if (out.empty()) out.push_back(UsageSlice{});
  return out;
}

}  // namespace meter::usage
