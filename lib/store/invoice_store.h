// InvoiceStore: invoices and their lines as typed rows, the invoice number
// sequence, and the reads that tell which finalized invoices have late usage
// (SPEC section 7).
//
// An invoice is one `invoices` row (identity, period, lifecycle, totals) and
// one `invoice_lines` row per line (kind, description, meter, plan, period,
// quantity, unit price, amount). Fields beyond those columns are kept in each
// row's `attributes`: a JSON object lib/billing writes and reads through its
// one table of attributes (billing/invoice_record.h), so adding a field needs
// no migration. Nothing here is the output: lib/billing renders JSON, text
// and webhook payloads from these rows. Each lifecycle field (status, number,
// finalized_at, paid_at, voided_at, void_reason) lives in one column only.
//
// Finalized invoices (open, paid, overdue, void) are never rewritten except
// through UpdateLifecycle. Every writing method joins the caller's
// transaction when there is one, so a lifecycle step, its number and its
// webhook message commit together.
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

struct InvoiceLineRecord {
  std::string kind;                       // base, usage, adjustment
  std::string description;
  std::string meter;                      // "" for lines without one
  std::string plan;
  Period period;
  std::string quantity;                   // decimal text
  std::optional<std::string> unit_price;  // decimal text
  std::string amount;                     // decimal text
  std::string attributes = "{}";          // JSON object text

  friend bool operator==(const InvoiceLineRecord&, const InvoiceLineRecord&) = default;
};

struct InvoiceRecord {
  std::string id;
  std::string number;       // "" for drafts
  std::string tenant;
  std::string month;        // "2026-02"
  std::string timezone;     // the tenant's zone when billed ("" = UTC)
  Period period;
  std::string status;       // draft, open, paid, overdue, void
  std::string currency;
  Timestamp issue_date = 0;  // midnight UTC of the issue date
  Timestamp due_date = 0;    // midnight UTC of the due date
  std::string tenant_name, tenant_email;
  std::string subtotal, tax_name, tax_rate, tax, total;  // decimal text but tax_name
  std::string attributes = "{}";  // JSON object text
  Timestamp created_at = 0;
  Timestamp updated_at = 0;
  std::optional<Timestamp> finalized_at, paid_at, voided_at;
  std::string void_reason;
  int64_t events_seq = 0;    // highest event seq at finalization
  std::vector<InvoiceLineRecord> lines;  // in invoice order

  friend bool operator==(const InvoiceRecord&, const InvoiceRecord&) = default;
};

// What InvoiceStore::StatesForMonth tells of an invoice: enough to see that
// it was written since it was read.
struct InvoiceState {
  std::string tenant;
  std::string id;
  std::string status;
  Timestamp updated_at = 0;

  friend auto operator<=>(const InvoiceState&, const InvoiceState&) = default;
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

  // The invoice (with its lines) whose number or id is `id_or_number`;
  // NotFound naming it when there is none.
  Result<InvoiceRecord> Find(const std::string& id_or_number);

  // Every invoice of `month` (any status), of one tenant or ("") of all,
  // ordered by tenant then creation.
  Result<std::vector<InvoiceRecord>> ForMonth(const std::string& month, const std::string& tenant);

  // The states of the invoices of `month` (any status) of the tenants whose
  // ids are in [first_tenant, last_tenant] (byte order), ordered by tenant
  // then id; without their lines.
  Result<std::vector<InvoiceState>> StatesForMonth(const std::string& month, const std::string& first_tenant,
                                                   const std::string& last_tenant);

  // Invoices matching the filter, oldest period first, then tenant.
  Result<std::vector<InvoiceRecord>> List(const InvoiceFilter& filter);

  // The tenant's finalized invoices that still bill (open, paid, overdue),
  // oldest period first.
  Result<std::vector<InvoiceRecord>> Finalized(const std::string& tenant);

  // Open invoices whose due date is before `due_before`.
  Result<std::vector<InvoiceRecord>> OpenDueBefore(Timestamp due_before);

  // Inserts a new invoice and its lines; refuses a second live invoice for a
  // tenant and month.
  Status Insert(const InvoiceRecord& r);
  // Rewrites the invoice r.id and replaces its lines (every column but id
  // and created_at): for drafts, which are rebuilt from the data.
  Status Update(const InvoiceRecord& r);
  // Writes only the lifecycle columns of r.id (number, status, finalized_at,
  // paid_at, voided_at, void_reason, events_seq, updated_at) and its
  // attributes (where the amount due and credit notes of SPEC 11 live, which
  // change after finalization); the lines and amounts of a finalized invoice
  // never change. NotFound when absent.
  Status UpdateLifecycle(const InvoiceRecord& r);
  // Deletes the invoice `id` and its lines; NotFound when absent.
  Status Delete(const std::string& id);

  // The next number for `prefix` and `year` (1, 2, 3 ...), recorded as taken.
  // Call inside the transaction that stores the number, so a rollback gives
  // it back and the sequence has no gaps.
  Result<int64_t> TakeNumber(const std::string& prefix, int year);

  // Ids of the tenants whose status is suspended (generate bills them only
  // for usage they had).
  Result<std::set<std::string>> SuspendedTenants();

  // A run writing many invoices in several transactions (invoice generate):
  // on SQLite the commits stop copying the write-ahead log into the database
  // file every ~4 MiB (every ~256 MiB instead, so a store::BackgroundCheckpointer
  // can copy each committed transaction on a thread of its own); off restores
  // the default. Durability is unchanged (synchronous stays FULL). Nothing on
  // PostgreSQL. Call outside a transaction.
  Status SetLongRun(bool on);

  // The highest event sequence number recorded so far (0 when none).
  Result<int64_t> MaxEventSeq();

  // Billing finalized invoices (open, paid, overdue) whose period ends by
  // `before` and which have late usage: events inside their period recorded
  // after they were finalized, or voided after they were finalized
  // (`events void`). Returns tenant -> those invoices' ids. One pass over the
  // events recorded since the oldest finalization among them, and one over
  // the voided events (a partial index holds only those).
  Result<std::map<std::string, std::set<std::string>>> WithLateEvents(Timestamp before);

 private:
  Database& db_;
};

}  // namespace meter::store
