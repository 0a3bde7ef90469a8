// CreditStore: prepaid credit grants, their ledger and the low-balance flag
// of each tenant (SPEC section 11).
//
// Money is stored as decimal text and read back exact. Every writing method
// joins the caller's transaction when there is one, so a grant, draw, expiry
// or void commits together with the ledger entry that records it and with
// whatever caused it (a finalization, a credit note).
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

struct CreditGrantRecord {
  std::string id;
  std::string tenant;
  std::string currency;
  Decimal amount;
  Decimal remaining;                  // what is left to draw (0 once expired or voided)
  int64_t priority = 0;
  std::optional<Timestamp> expires_at;  // first instant it is no longer usable
  std::string reason;
  std::string source;                 // "manual", "credit_note", "invoice" (negative subtotal) ...
  Timestamp created_at = 0;
  std::optional<Timestamp> voided_at;
  std::string void_reason;
};

struct LedgerEntry {
  std::string tenant;
  int64_t seq = 0;          // assigned by AppendLedger: 1, 2, 3 ... per tenant
  std::string grant_id;
  std::string kind;         // grant, draw, expiry, void
  Decimal amount;           // positive; a draw given back by a voided invoice is negative
  std::string invoice_id;   // draws: the invoice drawn for ("" otherwise)
  std::string note;
  Timestamp created_at = 0;
};

class CreditStore {
 public:
  explicit CreditStore(Database& db) : db_(db) {}

  // The grant `id`, or nullopt when there is none.
  Result<std::optional<CreditGrantRecord>> FindGrant(const std::string& id);
  // The grants of `tenant` ("" = every tenant), oldest first.
  Result<std::vector<CreditGrantRecord>> Grants(const std::string& tenant);
  // Grants past their expiry (expires_at <= now) with something remaining,
  // not voided, oldest first.
  Result<std::vector<CreditGrantRecord>> ExpiredWithRemaining(Timestamp now);

  // Inserts a new grant; Denied when its id is taken.
  Status InsertGrant(const CreditGrantRecord& g);
  Status SetRemaining(const std::string& id, const Decimal& remaining);
  Status MarkVoided(const std::string& id, Timestamp at, const std::string& reason);

  // Appends `e` to its tenant's ledger with the next seq; returns the seq.
  Result<int64_t> AppendLedger(const LedgerEntry& e);
  // The tenant's ledger ("" = every tenant's), by tenant then seq.
  Result<std::vector<LedgerEntry>> Ledger(const std::string& tenant);
  // The draw entries recorded for `invoice_id`, in seq order.
  Result<std::vector<LedgerEntry>> DrawsForInvoice(const std::string& invoice_id);

  // Whether credits.balance_low has been queued for the tenant's current
  // crossing below the threshold.
  Result<bool> LowNotified(const std::string& tenant);
  Status SetLowNotified(const std::string& tenant, bool notified);

 private:
  Database& db_;
};

}  // namespace meter::store
