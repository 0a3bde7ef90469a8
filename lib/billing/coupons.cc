#include "billing/coupons.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "billing/credits.h"
#include "billing/invoice.h"
#include "billing/schedule.h"
#include "core/json_util.h"
#include "core/local_date.h"
#include "core/money.h"

namespace meter::billing {
namespace {

int MonthIndex(const std::string& month) {
  return std::stoi(month.substr(0, 4)) * 12 + std::stoi(month.substr(5, 2)) - 1;
}

// Whether the coupon applied at `r` reaches the invoice of `month`, before
// counting what `once` coupons have used.
bool Reaches(const store::TenantCouponRecord& r, const catalog::Coupon& k, const std::string& month) {
  if (r.removed_at || month < r.start_month) return false;
  if (k.duration == catalog::CouponDuration::kRepeating) return MonthIndex(month) - MonthIndex(r.start_month) < k.months;
  return true;
}

Result<catalog::Coupon> Terms(const store::TenantCouponRecord& r) {
  nlohmann::json j = nlohmann::json::parse(r.terms, nullptr, false);
  if (j.is_discarded()) return Status::DataError(fmt::format("coupon {} of {}: stored terms are not JSON", r.code, r.tenant));
  return catalog::ParseCoupon(j, "coupon " + r.code, "");
}

}  // namespace

std::string CouponLabel(const catalog::Coupon& c) {
  if (c.percent_off) return fmt::format("Coupon {} ({} %)", c.code, c.percent_off->ToString());
  return fmt::format("Coupon {} ({} {})", c.code, MoneyString(*c.amount_off, c.currency), c.currency);
}

bool CouponMeets(const catalog::Coupon& c, const std::string& currency) {
  return !c.amount_off || c.currency == currency;
}

Result<std::vector<Discount>> ComputeDiscounts(const std::vector<CouponInput>& coupons, const Decimal& subtotal,
                                               const std::string& currency) {
  std::vector<Discount> out;
  Decimal left = subtotal.IsNegative() ? Decimal() : subtotal;
  for (const auto& c : coupons) {
    if (!CouponMeets(c.terms, currency)) continue;
    Decimal off;
    if (c.terms.percent_off) {
      METER_ASSIGN_OR_RETURN(off, left.MulDiv(*c.terms.percent_off, Decimal::FromInt(100), MinorUnitDigits(currency),
                                              Rounding::kHalfAwayFromZero));
    } else {
      off = c.amount_left.value_or(*c.terms.amount_off);
    }
    off = std::min(off, left);
    if (off.IsZero() || off.IsNegative()) continue;
    METER_ASSIGN_OR_RETURN(left, left.Sub(off));
    out.push_back({c.position, c.terms.code, CouponLabel(c.terms), off});
  }
  return out;
}

Result<std::vector<CouponInput>> CouponsForInvoice(store::Database& db, const std::string& tenant,
                                                   const std::string& month) {
  store::CouponStore coupons(db);
  METER_ASSIGN_OR_RETURN(auto applied, coupons.ForTenant(tenant));
  std::vector<CouponInput> out;
  if (applied.empty()) return out;
  METER_ASSIGN_OR_RETURN(auto redemptions, coupons.LiveRedemptions(tenant));
  std::map<int64_t, Decimal> used;  // position -> amount taken by finalized invoices
  std::map<int64_t, bool> met;      // position -> a finalized invoice met it
  for (const auto& r : redemptions) {
    METER_ASSIGN_OR_RETURN(used[r.position], used[r.position].Add(r.amount));
    met[r.position] = true;
  }
  for (const auto& r : applied) {
    METER_ASSIGN_OR_RETURN(catalog::Coupon k, Terms(r));
    if (!Reaches(r, k, month)) continue;
    CouponInput in{r.position, k, std::nullopt};
    if (k.duration == catalog::CouponDuration::kOnce) {
      if (k.percent_off && met[r.position]) continue;
      if (k.amount_off) {
        METER_ASSIGN_OR_RETURN(Decimal left, k.amount_off->Sub(used[r.position]));
        if (left.IsZero() || left.IsNegative()) continue;
        in.amount_left = left;
      }
    }
    out.push_back(std::move(in));
  }
  return out;
}

Result<store::TenantCouponRecord> ApplyCoupon(store::Database& db, const catalog::Catalog& c,
                                              const catalog::Tenant& t, const std::string& code, Timestamp from,
                                              Timestamp now) {
  const catalog::Coupon* k = c.FindCoupon(code);
  if (!k) return Status::Denied(fmt::format("unknown coupon '{}': the catalog has no such code", code));
  if (!k->redeem_by.empty()) {
    METER_ASSIGN_OR_RETURN(Timestamp end, LocalDateStart(AddDays(k->redeem_by, 1), t.timezone));
    if (now >= end) return Status::Denied(fmt::format("coupon {} expired: it could be applied until {}", code, k->redeem_by));
  }
  std::string currency = TenantCurrency(c, t);
  if (k->amount_off && k->currency != currency)
    return Status::Denied(fmt::format("coupon {} is in {} but tenant {} is billed in {}", code, k->currency, t.id, currency));
  // SPEC 11: from the tenant's billing period containing `from` (its billing
  // day's period, named by the month it starts in).
  METER_ASSIGN_OR_RETURN(BillingPeriod first, PeriodContaining(from, t.timezone, t.billing_day));
  store::TenantCouponRecord rec{t.id, 0, code, DumpJson(catalog::CouponToJson(*k)), first.month, now, std::nullopt};
  Status st = db.Transaction([&]() -> Status {
    store::CouponStore coupons(db);
    METER_ASSIGN_OR_RETURN(auto applied, coupons.ForTenant(t.id));
    bool had = false;
    for (const auto& r : applied) {
      if (r.code != code) continue;
      had = true;
      if (!r.removed_at) return Status::Denied(fmt::format("tenant {} already has coupon {} applied", t.id, code));
    }
    if (k->max_redemptions && !had) {
      METER_ASSIGN_OR_RETURN(int64_t n, coupons.TenantsWithCode(code));
      if (n >= *k->max_redemptions)
        return Status::Denied(fmt::format("coupon {} is exhausted: {} of {} redemptions used", code, n, *k->max_redemptions));
    }
    METER_ASSIGN_OR_RETURN(rec.position, coupons.Insert(rec));
    return Status::OK();
  });
  if (!st.ok()) return st;
  return rec;
}

Status RemoveCoupon(store::Database& db, const std::string& tenant, const std::string& code, Timestamp now) {
  return db.Transaction([&]() -> Status {
    store::CouponStore coupons(db);
    METER_ASSIGN_OR_RETURN(auto applied, coupons.ForTenant(tenant));
    for (const auto& r : applied)
      if (r.code == code && !r.removed_at) return coupons.MarkRemoved(tenant, r.position, now);
    return Status::NotFound(fmt::format("tenant {} has no coupon {} applied", tenant, code));
  });
}

Result<std::vector<store::TenantCouponRecord>> TenantCoupons(store::Database& db, const std::string& tenant) {
  return store::CouponStore(db).ForTenant(tenant);
}

}  // namespace meter::billing
