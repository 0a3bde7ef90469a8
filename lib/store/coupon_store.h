// CouponStore: the coupons applied to each tenant and what finalized
// invoices took off with them (SPEC section 11). Writing methods join the
// caller's transaction, so a redemption commits with its invoice.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::store {

struct TenantCouponRecord {
  std::string tenant;
  int64_t position = 0;        // 1, 2, 3 ... in the order applied
  std::string code;
  std::string terms;           // the coupon's catalog JSON when it was applied
  std::string start_month;     // first billing period it applies to, "YYYY-MM"
  Timestamp applied_at = 0;
  std::optional<Timestamp> removed_at;
};

struct RedemptionRecord {
  std::string invoice_id;
  std::string tenant;
  int64_t position = 0;
  Decimal amount;              // what the invoice took off with the coupon (>= 0)
};

class CouponStore {
 public:
  explicit CouponStore(Database& db) : db_(db) {}

  // Appends `r` (its position is assigned: one after the tenant's last) and
  // returns the position.
  Result<int64_t> Insert(const TenantCouponRecord& r);
  // Every coupon ever applied to `tenant`, removed ones included, by position.
  Result<std::vector<TenantCouponRecord>> ForTenant(const std::string& tenant);
  // How many distinct tenants have applied `code`.
  Result<int64_t> TenantsWithCode(const std::string& code);
  Status MarkRemoved(const std::string& tenant, int64_t position, Timestamp at);

  // The redemptions of `tenant` by invoices that still bill (open, paid,
  // overdue), by position: a voided invoice gives back what it took.
  Result<std::vector<RedemptionRecord>> LiveRedemptions(const std::string& tenant);
  // The redemptions recorded for one invoice, by position.
  Result<std::vector<RedemptionRecord>> ForInvoice(const std::string& invoice_id);
  Status InsertRedemption(const RedemptionRecord& r);

 private:
  Database& db_;
};

}  // namespace meter::store
