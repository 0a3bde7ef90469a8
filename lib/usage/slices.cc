#include "usage/slices.h"

#include <algorithm>
#include <limits>
#include <map>

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

// One request's measured slices as invoice lines, in line order; with none,
// one empty remainder slice (so a charge still has a line).
std::vector<UsageSlice> LinesOf(const SliceSpec& spec, const std::map<SliceKey, ingest::MeterValue>& measured) {
  std::vector<UsageSlice> out;
  for (const auto& [key, value] : measured) {
    const std::string& group_by = key.filter >= 0 ? spec.filters[key.filter].group_by : spec.remainder_group_by;
    UsageSlice s{key.filter, std::nullopt, value.value(), value.events()};
    if (!group_by.empty()) s.group = key.group;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), LineOrder);
  if (out.empty()) out.push_back(UsageSlice{});
  return out;
}

}  // namespace

bool IsSliced(const catalog::Charge& charge) { return !charge.filters.empty() || !charge.group_by.empty(); }

Result<std::vector<UsageSlice>> MeasureSlices(store::Database& db, const catalog::Catalog& c,
                                              const std::string& tenant, const catalog::Charge& charge,
                                              const Period& p) {
  METER_ASSIGN_OR_RETURN(auto measured, MeasureSlices(db, c, {{&charge, tenant, p}}));
  return std::move(measured.front());
}

Result<std::vector<std::vector<UsageSlice>>> MeasureSlices(store::Database& db, const catalog::Catalog& c,
                                                           const std::vector<ChargeSliceRequest>& requests) {
  // The requests by (meter, slice spec): each such pass serves all of its requests.
  struct Pass {
    const catalog::Meter* meter;
    SliceSpec spec;
    std::vector<SliceRequest> requests;
    std::vector<size_t> of;  // the index in `requests` of each of the pass's requests
  };
  std::vector<Pass> passes;
  for (size_t i = 0; i < requests.size(); ++i) {
    const catalog::Charge& charge = *requests[i].charge;
    const catalog::Meter* m = c.FindMeter(charge.meter);
    if (!m) return Status::DataError(fmt::format("a charge bills unknown meter '{}'", charge.meter));
    SliceSpec spec = SpecOf(charge);
    auto pass = std::find_if(passes.begin(), passes.end(), [&](const Pass& x) { return x.meter == m && x.spec == spec; });
    if (pass == passes.end()) pass = passes.insert(passes.end(), Pass{m, std::move(spec), {}, {}});
    pass->requests.push_back({requests[i].tenant, requests[i].period});
    pass->of.push_back(i);
  }
  std::vector<std::vector<UsageSlice>> out(requests.size());
  for (const Pass& pass : passes) {
    METER_ASSIGN_OR_RETURN(auto measured, MeasureSlices(db, *pass.meter, pass.spec, pass.requests));
    for (size_t k = 0; k < measured.size(); ++k) out[pass.of[k]] = LinesOf(pass.spec, measured[k]);
  }
  return out;
}

}  // namespace meter::usage
