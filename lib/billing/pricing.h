// Pricing: what one charge of a plan bills for a measured quantity, and the
// prorated base price (SPEC section 2). Pure functions over their arguments:
// no database, no clock, so reports can re-price any usage under any plan.
//
// Rules (the SPEC's, plus the choices it leaves open):
// * `included` units are taken off first under every model; the remaining
//   "billable" units are what the model prices (for graduated and volume the
//   tiers count billable units, so a plan can combine a free allowance with
//   tiers).
// * per_unit: billable × unit_price.
// * graduated: each tier prices the billable units between the previous
//   tier's up_to (exclusive) and its own up_to (inclusive; none = unbounded)
//   at its unit_price, plus its flat_price when at least one unit reaches it.
// * volume: all billable units at the unit_price of the tier their total falls
//   in (up_to inclusive), plus that tier's flat_price.
// * package: billable units rounded up to whole packages of package_size, at
//   package_price each.
// * Zero billable units bill nothing under every model (no flat fee either).
// * A plan with "overage": false bills no units at all: everything it covers
//   is in its base price, and its limits are hard caps.
// * Amounts are computed exactly (tier amounts are exact products) and rounded
//   once, to the currency's minor unit, half away from zero.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"

namespace meter::billing {

// One tier's share of a graduated or volume charge.
struct TierAmount {
  Decimal from;                  // exclusive lower bound in billable units (0 for the first tier)
  std::optional<Decimal> up_to;  // inclusive upper bound; nullopt = unbounded
  Decimal quantity;              // billable units priced in this tier
  Decimal unit_price;
  Decimal flat_price;            // the tier's flat fee (charged only when `applied`)
  bool applied = false;          // the tier priced units (graduated: reached; volume: the tier)
  Decimal amount;                // exact: quantity × unit_price (+ flat_price when applied)
};

// What a charge bills for one measured quantity.
struct PricedCharge {
  Decimal quantity;      // as measured
  Decimal included;      // the charge's included units
  Decimal billable;      // units priced: max(0, quantity - included); 0 without overage
  Decimal packages;      // package model: whole packages billed
  std::vector<TierAmount> tiers;  // graduated and volume: every tier, in order
  Decimal exact_amount;  // before rounding
  Decimal amount;        // exact_amount rounded once to the currency's minor unit
};

// Prices `quantity` units of `charge`. `overage` is the plan's flag: false
// bills nothing beyond included. `currency` chooses the minor unit (USD 2,
// JPY 0). Refuses a negative quantity (InvalidArgument) and any amount beyond
// the Decimal range ("amount out of range"), never wrapping.
Result<PricedCharge> PriceCharge(const catalog::Charge& charge, const Decimal& quantity, bool overage,
                                 std::string_view currency = "USD");

// A monthly base price for `days` of a `days_in_period`-day month: exactly
// base × days / days_in_period, rounded once to the currency's minor unit
// (core/money.h ProrateToMinor; every amount rounds through core/money.h).
// Refuses days outside [0, days_in_period] and a zero-length month.
Result<Decimal> ProrateBase(const Decimal& base, int days, int days_in_period, std::string_view currency = "USD");

}  // namespace meter::billing
