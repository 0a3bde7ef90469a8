#include "billing/pricing.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/money.h"

namespace meter::billing {
namespace {

using catalog::ChargeModel;

// Every tier with its share of `billable` units: units between the previous
// bound (exclusive) and up_to (inclusive).
Result<std::vector<TierAmount>> GraduatedTiers(const catalog::Charge& c, const Decimal& billable) {
  std::vector<TierAmount> out;
  Decimal from;
  for (const auto& t : c.tiers) {
    TierAmount a{from, t.up_to, Decimal(), t.unit_price, t.flat_price, false, Decimal()};
    if (billable > from) {
      Decimal top = t.up_to ? std::min(billable, *t.up_to) : billable;
      METER_ASSIGN_OR_RETURN(a.quantity, top.Sub(from));
      a.applied = true;
      METER_ASSIGN_OR_RETURN(Decimal units, a.quantity.Mul(t.unit_price));
      METER_ASSIGN_OR_RETURN(a.amount, units.Add(t.flat_price));
    }
    out.push_back(a);
    if (t.up_to) from = *t.up_to;
  }
  return out;
}

// Every tier; only the one `billable` falls in (up_to inclusive) prices units.
Result<std::vector<TierAmount>> VolumeTiers(const catalog::Charge& c, const Decimal& billable) {
  std::vector<TierAmount> out;
  Decimal from;
  bool found = billable.IsZero();  // zero units fall in no tier
  for (const auto& t : c.tiers) {
    TierAmount a{from, t.up_to, Decimal(), t.unit_price, t.flat_price, false, Decimal()};
    if (!found && (!t.up_to || billable <= *t.up_to)) {
      found = true;
      a.applied = true;
      a.quantity = billable;
      METER_ASSIGN_OR_RETURN(Decimal units, billable.Mul(t.unit_price));
      METER_ASSIGN_OR_RETURN(a.amount, units.Add(t.flat_price));
    }
    out.push_back(a);
    if (t.up_to) from = *t.up_to;
  }
  return out;
}

Result<Decimal> SumTiers(const std::vector<TierAmount>& tiers) {
  Decimal sum;
  for (const auto& t : tiers) { METER_ASSIGN_OR_RETURN(sum, sum.Add(t.amount)); }
  return sum;
}

// The exact amount of `p.billable` units under the charge's model; fills the
// tier breakdown and package count on the way.
Status PriceBillable(const catalog::Charge& c, PricedCharge& p) {
  switch (c.model) {
    case ChargeModel::kPerUnit: {
      METER_ASSIGN_OR_RETURN(p.exact_amount, p.billable.Mul(c.unit_price));
      return Status::OK();
    }
    case ChargeModel::kPackage: {
      METER_ASSIGN_OR_RETURN(p.packages, p.billable.Div(c.package_size, 0, Rounding::kUp));
      METER_ASSIGN_OR_RETURN(p.exact_amount, p.packages.Mul(c.package_price));
      return Status::OK();
    }
    case ChargeModel::kGraduated: {
      METER_ASSIGN_OR_RETURN(p.tiers, GraduatedTiers(c, p.billable));
      METER_ASSIGN_OR_RETURN(p.exact_amount, SumTiers(p.tiers));
      return Status::OK();
    }
    case ChargeModel::kVolume: {
      METER_ASSIGN_OR_RETURN(p.tiers, VolumeTiers(c, p.billable));
      METER_ASSIGN_OR_RETURN(p.exact_amount, SumTiers(p.tiers));
      return Status::OK();
    }
  }
  return Status::Internal("unknown charge model");
}

}  // namespace

Result<PricedCharge> PriceCharge(const catalog::Charge& charge, const Decimal& quantity, bool overage,
                                 std::string_view currency) {
  if (quantity.IsNegative())
    return Status::InvalidArgument(fmt::format("{}: quantity {} is negative", charge.meter, quantity.ToString()));
  PricedCharge p;
  p.quantity = quantity;
  p.included = charge.included;
  if (overage && quantity > charge.included) { METER_ASSIGN_OR_RETURN(p.billable, quantity.Sub(charge.included)); }
  Status st = PriceBillable(charge, p);
  if (!st.ok()) return st.WithContext(charge.meter);
  auto rounded = RoundToMinor(p.exact_amount, currency);
  if (!rounded.ok()) return rounded.status().WithContext(charge.meter);
  p.amount = *rounded;
  return p;
}

Result<Decimal> ProrateBase(const Decimal& base, int days, int days_in_period, std::string_view currency) {
  if (days_in_period <= 0 || days < 0 || days > days_in_period)
    return Status::InvalidArgument(fmt::format("cannot prorate {} days of a {}-day period", days, days_in_period));
  return ProrateToMinor(base, Decimal::FromInt(days), Decimal::FromInt(days_in_period), currency);
}

}  // namespace meter::billing
