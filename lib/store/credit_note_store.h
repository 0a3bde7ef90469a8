// CreditNoteStore: credit notes against finalized invoices and their own
// gap-free number sequence (SPEC section 11). Writing methods join the
// caller's transaction, so a note, its number, its effect on the invoice and
// its webhook message commit together.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::store {

struct CreditNoteRecord {
  std::string number;        // "CN-2026-000001"
  std::string invoice_id;
  std::string tenant;
  std::string currency;
  Decimal amount, tax, total;
  std::string reason;
  bool refunded = false;
  std::string grant_id;      // the credit grant it became ("" for none)
  std::string lines;         // JSON array of the credited shares
  Timestamp created_at = 0;
};

class CreditNoteStore {
 public:
  explicit CreditNoteStore(Database& db) : db_(db) {}

  Status Insert(const CreditNoteRecord& r);
  // NotFound naming the number when there is none.
  Result<CreditNoteRecord> Find(const std::string& number);
  // Notes of one invoice, by number.
  Result<std::vector<CreditNoteRecord>> ForInvoice(const std::string& invoice_id);
  // Notes of `tenant` ("" = all), by number.
  Result<std::vector<CreditNoteRecord>> List(const std::string& tenant);
  // The next number for `prefix` and `year`; call in the transaction that
  // stores the note so a rollback gives it back.
  Result<int64_t> TakeNumber(const std::string& prefix, int year);

 private:
  Database& db_;
};

}  // namespace meter::store
