// InvoiceStore: invoice rows, the invoice number sequence, and the reads that
// tell which finalized invoices have late usage (SPEC section 7).
//
// A row keeps the invoice document (its JSON, as issued) next to the columns
// used to find it. Finalized rows (open, paid, overdue, void) are never
// rewritten except for their status and its timestamps. Every writing method
// joins the caller's transaction when there is one, so a lifecycle step, its
// number and its webhook message commit together.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::store {

struct InvoiceRecord {
  std::string id;
  std::string number;       // "" for drafts
  std::string tenant;
  std::string month;        // "2026-02"
  Period period;
  std::string status;       // draft, open, paid, overdue, void
  std::string currency;
  std::string subtotal, tax, total;  // decimal text
  Timestamp issue_date = 0;  // midnight UTC of the issue date
  Timestamp due_date = 0;    // midnight UTC of the due date
  std::string document;      // the invoice JSON
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
  std::optional<Timestamp> finalized_at, paid_at, voided_at;
  std::string void_reason;
  int64_t events_seq = 0;    // highest event seq at finalization
};

// Filters for List; empty fields match everything.
struct InvoiceFilter {
  std::string tenant;
  std::string month;
  std::string status;
};

class InvoiceStore {
 public:
  explicit InvoiceStore(Database& db) : db_(db) {}

  // The invoice whose number or id is `id_or_number`; NotFound naming it
  // when there is none.
  Result<InvoiceRecord> Find(const std::string& id_or_number);

  // Every invoice of `month` (any status), of one tenant or ("") of all,
  // ordered by tenant then creation.
  Result<std::vector<InvoiceRecord>> ForMonth(const std::string& month, const std::string& tenant);

  // Invoices matching the filter, oldest period first, then tenant.
  Result<std::vector<InvoiceRecord>> List(const InvoiceFilter& filter);

  // The tenant's finalized invoices that still bill (open, paid, overdue),
  // oldest period first.
  Result<std::vector<InvoiceRecord>> Finalized(const std::string& tenant);

  // Open invoices whose due date is before `due_before`.
  Result<std::vector<InvoiceRecord>> OpenDueBefore(Timestamp due_before);

  // Inserts a new row; refuses a second live invoice for a tenant and month.
  Status Insert(const InvoiceRecord& r);
  // Rewrites the row with r.id (every column but id and created_at).
  Status Update(const InvoiceRecord& r);
  // Deletes the row with `id`; NotFound when absent.
  Status Delete(const std::string& id);

  // The next number for `prefix` and `year` (1, 2, 3 ...), recorded as taken.
  // Call inside the transaction that stores the number, so a rollback gives
  // it back and the sequence has no gaps.
  Result<int64_t> TakeNumber(const std::string& prefix, int year);

  // Ids of the tenants whose status is suspended (generate bills them only
  // for usage they had).
  Result<std::set<std::string>> SuspendedTenants();

  // The highest event sequence number recorded so far (0 when none).
  Result<int64_t> MaxEventSeq();

  // Billing finalized invoices (open, paid, overdue) whose period ends by
  // `before` and which have late usage: events inside their period recorded
  // after they were finalized. Returns tenant -> those invoices' ids. One
  // pass over the events recorded since the oldest finalization among them.
  Result<std::map<std::string, std::set<std::string>>> WithLateEvents(Timestamp before);

 private:
  Database& db_;
};

}  // namespace meter::store
