// Lifecycle: draft -> open (finalize) -> paid | void, and open -> overdue
// (sweep-overdue; an overdue invoice can still be paid or voided). Each
// transition commits in one transaction with its webhook message
// (invoice.finalized, invoice.paid, invoice.overdue, invoice.voided; data =
// the invoice JSON). A transition writes only the lifecycle columns. Illegal transitions are refused with Status::Denied
// (exit 1) naming the invoice and its status.
//
// Numbers are `<prefix><year>-<6 digits>` (INV-2026-000001): the catalog's
// invoice.number_prefix and the year of the issue date, counted per prefix
// and year, taken in the finalizing transaction, so they are sequential with
// no gaps; drafts have none, and refreshing or deleting drafts takes none.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "billing/invoice.h"
#include "catalog/catalog.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"
#include "store/invoice_store.h"
#include "webhooks/queue.h"

namespace meter::billing {

// Writes the lifecycle fields of `inv` and its attributes (amount due,
// credit notes: SPEC 11) over its row `old`, keeping its lines, amounts and
// event high-water mark, and queues `type` ("" = none) with the invoice
// JSON, in the caller's transaction.
Status SaveTransition(store::Database& db, const Invoice& inv, const store::InvoiceRecord& old,
                      const std::string& type, Timestamp now);

// The invoice with number or id `id`; NotFound when none.
Result<Invoice> GetInvoice(store::Database& db, const std::string& id);

// Invoices matching `filter`, oldest month first, then tenant.
Result<std::vector<Invoice>> ListInvoices(store::Database& db, const store::InvoiceFilter& filter);

// Finalizes the draft `inv` (just built from current data): takes the next
// number, sets status open, records the coupons it used and draws prepaid
// credits (SPEC 11; nothing left to pay: status paid), records the event
// high-water mark, updates the stored draft (`stored`) or inserts the rows,
// and queues invoice.finalized (and invoice.paid) with the finalized
// invoice's JSON. Must run inside the caller's transaction. `lines`, when
// given, is InvoiceLinesJson(inv), already rendered (finalizing leaves the
// lines as they are). `current`, when given, is the stored draft's row and
// holds this invoice's content already (the same lines and amounts): only
// the columns finalizing changes are written over it (the rows end the same).
// The messages are queued through `outbox` (on `db`, in this transaction).
// `events_seq`, when given, is the event high-water mark to record (read
// before any usage the invoice counts); else the highest seq now.
Status FinalizeBuilt(store::Database& db, webhooks::Outbox& outbox, const catalog::Catalog& catalog, Invoice& inv,
                     Timestamp created_at, Timestamp now, bool stored,
                     std::optional<nlohmann::json> lines = std::nullopt, const store::InvoiceRecord* current = nullptr,
                     std::optional<int64_t> events_seq = std::nullopt);

// `invoice finalize ID`: rebuilds the draft from the data now (so late usage
// and adjustments are current), numbers it and opens it. Refuses anything
// but a draft (Denied).
Result<Invoice> FinalizeInvoice(store::Database& db, const std::string& id, Timestamp now);

// `invoice mark-paid ID`: open or overdue -> paid at `paid_at`. Refuses
// drafts, paid and void invoices (Denied).
Result<Invoice> MarkPaid(store::Database& db, const std::string& id, Timestamp paid_at, Timestamp now);

// `invoice void ID --reason R`: open or overdue -> void; prepaid credits it
// drew are given back. Refuses drafts (delete them instead), paid and void
// invoices and invoices with credit notes (Denied) and an empty reason
// (InvalidArgument).
Result<Invoice> VoidInvoice(store::Database& db, const std::string& id, const std::string& reason, Timestamp now);

// `invoice sweep-overdue`: every open invoice whose due date is before the
// UTC day of `now` becomes overdue. Returns those invoices.
Result<std::vector<Invoice>> SweepOverdue(store::Database& db, Timestamp now);

// `invoice delete ID`: deletes a draft (the next generate recreates it).
// Refuses finalized invoices (Denied): they are voided, never deleted.
Status DeleteDraft(store::Database& db, const std::string& id);

}  // namespace meter::billing
