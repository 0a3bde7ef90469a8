// Prepaid credits (SPEC section 11): grants in a tenant's currency, drawn
// down by finalized invoices, expired by `credits expire`, voided by a
// person. Every grant, draw, expiry and void is a ledger entry written in the
// same transaction as the change it records, so for every tenant
// grants - draws - expiries - voids = balance (CheckLedgers verifies it).
//
// Choices where the SPEC is silent:
// * A grant's id is idempotent: granting an id again with the same tenant
//   and amount returns the stored grant unchanged; with other terms it is
//   refused (Denied, exit 1).
// * `credits balance` counts grants usable at `now`: not voided and not past
//   their expiry, even before `credits expire` has written the expiry entry.
// * A voided invoice gives back what it drew, as a negative draw entry on
//   each grant it drew from (a grant that expired meanwhile expires again at
//   the next `credits expire`).
// * credits.balance_low is queued by the first draw that leaves the balance
//   below `credits.low_balance`; a grant that lifts it back to or above the
//   threshold re-arms it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/credit_store.h"
#include "store/database.h"

namespace meter::billing {

struct GrantRequest {
  std::string tenant;
  Decimal amount;           // > 0, in the tenant's currency
  std::string expires;      // "YYYY-MM-DD": usable through the end of that day in the tenant's zone; "" = never
  int64_t priority = 0;     // higher draws first among grants expiring together
  std::string reason;
  std::string id;           // "" = generated ("cg_...")
  std::string source = "manual";  // manual, credit_note, invoice
  // The grant's currency; "" = the tenant's (its plan's). A credit note grants
  // in its invoice's currency, which a plan change may have left behind.
  std::string currency;
};

// The id of the credit grant a finalized invoice numbered `number` made
// from its negative subtotal (SPEC 10): one per invoice, so finalization
// retried after a crash cannot grant twice.
inline std::string CarriedCreditId(std::string_view number) { return "cg_" + std::string(number); }

// `amount` (an --amount flag) written to `currency`'s minor unit;
// InvalidArgument when it has more decimals than that unit: "--amount 15.5
// has more decimals than JPY allows".
Result<Decimal> RequireMinorUnit(const Decimal& amount, const std::string& currency);

// The currency tenant `t` is billed in: its plan's (Catalog::CurrencyOf).
std::string TenantCurrency(const catalog::Catalog& c, const catalog::Tenant& t);

// Adds a grant with its ledger entry (joins the caller's transaction, so
// billing code can grant inside a finalization). Refuses an unknown tenant
// (NotFound: `c.tenants` must hold it), a non-positive amount or a bad date
// (InvalidArgument), and an id already used with other terms (Denied).
Result<store::CreditGrantRecord> GrantCredit(store::Database& db, const catalog::Catalog& c, const GrantRequest& r,
                                             Timestamp now);

// True when `g` can be drawn from at `now`.
bool GrantUsable(const store::CreditGrantRecord& g, Timestamp now);

// What `tenant` can draw at `now` in `currency`: the remaining amounts of its
// usable grants in that currency (grants in another, left by a plan change
// across currencies, wait for invoices in theirs and are never added in).
Result<Decimal> CreditBalance(store::Database& db, const std::string& tenant, const std::string& currency,
                              Timestamp now);

// Draws up to `amount` for invoice `invoice_id` (named `label` in the ledger)
// from `tenant`'s usable grants in SPEC order: earliest expiry first (none
// last), then higher priority, then oldest. Must run inside the caller's
// transaction; returns what was drawn (<= amount). Only grants in
// `currency` (the invoice's) are drawn: a grant made before a move to a plan
// in another currency waits for an invoice in its own. Queues
// credits.balance_low when the draw crosses the catalog threshold.
Result<Decimal> DrawCredits(store::Database& db, const catalog::Catalog& c, const std::string& tenant,
                            const std::string& currency, const Decimal& amount, const std::string& invoice_id,
                            const std::string& label, Timestamp now);

// Gives back every draw of `invoice_id` (a voided invoice). Inside the
// caller's transaction.
Status ReturnDraws(store::Database& db, const std::string& invoice_id, const std::string& label, Timestamp now);

// `credits void GRANT`: what remains of the grant is voided (a void entry).
// Refuses an unknown grant (NotFound) and a voided one (Denied).
Result<store::CreditGrantRecord> VoidGrant(store::Database& db, const std::string& id, const std::string& reason,
                                           Timestamp now);

// `credits expire`: every grant past its expiry with something remaining
// gets an expiry entry for it and queues credits.expired, in one
// transaction. Returns the grants expired (with the amounts they lost as
// `remaining`).
Result<std::vector<store::CreditGrantRecord>> ExpireCredits(store::Database& db, Timestamp now);

// "active", "used" (nothing left), "expired" or "void" at `now`.
std::string GrantStatus(const store::CreditGrantRecord& g, Timestamp now);

// The JSON of a grant ({"id","tenant","currency","amount","remaining",
// "priority","expires_at","reason","source","created_at","status",...});
// money as decimal strings.
nlohmann::json GrantToJson(const store::CreditGrantRecord& g, Timestamp now);

// One entry of `credits ledger`: the entry, its grant's currency (a plan
// change across currencies leaves grants in the old one) and the tenant's
// running balance in that currency once the entry is counted.
struct LedgerLine {
  store::LedgerEntry entry;
  std::string currency;
  Decimal balance;
};

// `tenant`'s ledger in entry order, each entry with its currency and the
// running balance in that currency (grants add, draws, expiries and voids
// take away). An entry whose grant is not found takes `fallback_currency`.
Result<std::vector<LedgerLine>> TenantLedger(store::Database& db, const std::string& tenant,
                                             const std::string& fallback_currency);

// {"seq","tenant","grant_id","kind","amount","currency","invoice","note",
// "created_at"}; money as a decimal string.
nlohmann::json LedgerLineToJson(const LedgerLine& line);

// One inconsistency found by CheckLedgers.
struct LedgerProblem {
  std::string tenant;
  std::string message;
};

// Checks every grant against its ledger entries (grant - draws - expiries -
// voids = remaining, remaining never negative, one grant entry equal to the
// amount) and every tenant's ledger total against its grants. Reads only.
Result<std::vector<LedgerProblem>> CheckLedgers(store::Database& db);

}  // namespace meter::billing
