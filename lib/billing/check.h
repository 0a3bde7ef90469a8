// `meter db check`: the integrity checks of billing data (SPEC 11 and 12):
// every invoice's totals against its lines and every prepaid-credit ledger
// against its grants. Reads only, in one snapshot.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "store/database.h"

namespace meter::billing {

struct CheckProblem {
  std::string area;     // "invoice", "credits"
  std::string subject;  // the invoice number or id, the tenant
  std::string message;
};

struct CheckReport {
  int64_t invoices = 0;  // invoices checked
  int64_t grants = 0;    // credit grants checked
  std::vector<CheckProblem> problems;
};

// Checks, for every invoice: subtotal = its lines before coupons (0 when
// they add up to less), discounted subtotal = subtotal - coupon lines, tax =
// discounted subtotal × rate rounded once, total = discounted subtotal + tax,
// nothing negative, credits applied = what the ledger drew for it, credit
// notes within the total; for every tenant: grants - draws - expiries -
// voids = balance (CheckLedgers). Problems are listed, not returned as errors.
Result<CheckReport> CheckBilling(store::Database& db);

}  // namespace meter::billing
