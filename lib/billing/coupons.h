// Coupons (SPEC section 11): applying them to tenants, deciding which apply
// to an invoice and what each takes off, and recording what a finalized
// invoice used.
//
// Choices where the SPEC is silent:
// * A coupon's terms are frozen when it is applied: changing or removing it
//   in the catalog later does not change a tenant's running discount.
// * `max_redemptions` counts the distinct tenants that ever applied the code
//   (a removed application still counts); a tenant cannot apply the same
//   code twice while it is applied.
// * What a `once` coupon has been used for is what finalized invoices took
//   off with it; voiding such an invoice gives it back, so the reissued
//   invoice gets the discount again.
// * A percentage share is rounded to the minor unit, half away from zero.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/coupon_store.h"
#include "store/database.h"

namespace meter::billing {

// A coupon as it stands for one invoice.
struct CouponInput {
  int64_t position = 0;           // the order it was applied to the tenant
  catalog::Coupon terms;
  std::optional<Decimal> amount_left;  // amount_off once: what is still unused
};

// What one coupon takes off one invoice.
struct Discount {
  int64_t position = 0;
  std::string code;
  std::string description;  // "Coupon LAUNCH20 (20 %)", "Coupon WELCOME50 (50.00 USD)"
  Decimal amount;           // > 0: what it took off
};

// The invoice line text naming a coupon's terms.
std::string CouponLabel(const catalog::Coupon& c);

// Whether coupon `c` meets an invoice in `currency`: an amount_off coupon
// only one in its own currency (an invoice before or after a move to a plan
// in another currency leaves it for the invoices in its currency).
bool CouponMeets(const catalog::Coupon& c, const std::string& currency);

// Applies `coupons` in order, each to what is left of `subtotal` (never
// below zero); a coupon that does not meet `currency` takes nothing.
// Coupons taking 0 off give no Discount. Pure.
Result<std::vector<Discount>> ComputeDiscounts(const std::vector<CouponInput>& coupons, const Decimal& subtotal,
                                               const std::string& currency);

// The coupons of `tenant` that reach its invoice for `month` ("YYYY-MM"),
// with what is left of each `once` coupon, whatever their currency (the
// invoice's currency is known once it is built: CouponMeets). Reads only.
Result<std::vector<CouponInput>> CouponsForInvoice(store::Database& db, const std::string& tenant,
                                                   const std::string& month);

// `tenants apply-coupon`: applies `code` to tenant `t` from the billing
// period containing `from`. Refuses (Denied, exit 1, one line saying why) an
// unknown code, one past its redeem_by at `now`, one applied by
// max_redemptions tenants already, one in another currency than the
// tenant's, and one the tenant already has applied.
Result<store::TenantCouponRecord> ApplyCoupon(store::Database& db, const catalog::Catalog& c,
                                              const catalog::Tenant& t, const std::string& code, Timestamp from,
                                              Timestamp now);

// `tenants remove-coupon`: stops `code` from the next draft on. NotFound
// when the tenant has it not applied.
Status RemoveCoupon(store::Database& db, const std::string& tenant, const std::string& code, Timestamp now);

// Coupons applied to `tenant` (removed ones too), for `tenants show`.
Result<std::vector<store::TenantCouponRecord>> TenantCoupons(store::Database& db, const std::string& tenant);

}  // namespace meter::billing
