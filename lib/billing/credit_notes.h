// Credit notes (SPEC section 11): corrections against finalized invoices,
// numbered in their own gap-free sequence (`<credit_note_prefix><year>-<6
// digits>`, the year of the day the note is issued, UTC).
//
// Choices where the SPEC is silent:
// * On an open or overdue invoice a note lowers the amount due; whatever of
//   its total exceeds the amount still due (credits may have paid part)
//   becomes a credit grant, or with --refund is recorded as refunded. On a
//   paid invoice the whole total does.
// * --line credits whole lines with a positive amount; coupon lines and
//   negative adjustments cannot be credited on their own.
// * A note's grant has the note's number as its reason and source
//   "credit_note"; it never expires.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "billing/invoice.h"
#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::billing {

struct CreditNoteLine {
  int line = 0;             // 1-based, in the invoice's line order
  std::string description;
  Decimal amount;           // credited, before tax
};

struct CreditNote {
  std::string number;
  std::string invoice_id, invoice_number, tenant, currency;
  std::vector<CreditNoteLine> lines;
  Decimal amount, tax_rate, tax, total;
  std::string reason;
  bool refunded = false;
  std::string grant_id;     // the credit grant it became, "" for none
  Timestamp created_at = 0;
};

struct CreditNoteRequest {
  std::string invoice;              // number or id
  std::optional<Decimal> amount;    // --amount, before tax
  std::vector<int> lines;           // --line N (1-based)
  std::string reason;
  bool refund = false;
};

// --amount A: A spread over the invoice's positive lines in proportion to
// their amounts, each share rounded to the minor unit, the last line taking
// the remainder. Refuses A <= 0 (InvalidArgument) and an invoice without a
// positive line (Denied). Pure.
Result<std::vector<CreditNoteLine>> SpreadAmount(const Invoice& inv, const Decimal& amount);

// --line N...: those whole lines. Refuses unknown, repeated and non-positive
// lines (InvalidArgument). Pure.
Result<std::vector<CreditNoteLine>> CreditWholeLines(const Invoice& inv, const std::vector<int>& lines);

// `invoice credit`: issues the note in one transaction with its number, its
// effect on the invoice (amount due, paid) or the credit grant, and the
// credit_note.created message. Refuses drafts and void invoices, notes that
// would take the invoice's notes above its total (Denied, exit 1), an empty
// reason and requests with neither or both of amount and lines
// (InvalidArgument).
Result<CreditNote> IssueCreditNote(store::Database& db, const CreditNoteRequest& r, Timestamp now);

// Notes of `tenant` ("" = all), oldest first; one note by number (NotFound).
Result<std::vector<CreditNote>> ListCreditNotes(store::Database& db, const std::string& tenant);
Result<CreditNote> GetCreditNote(store::Database& db, const std::string& number);

nlohmann::json CreditNoteToJson(const CreditNote& n);

// The note as text, json, csv (its lines), md or html (a printable page).
Result<std::string> RenderCreditNote(const CreditNote& n, std::string_view format);

}  // namespace meter::billing
