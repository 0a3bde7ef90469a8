// Generate: the thin layer between the database and the pure invoice builder.
// It reads a tenant's plan history and usage (through usage/quantity.h, the
// one shared usage read, exact over any [start, end)), the late usage of
// finalized months, and stores drafts.
//
// Choices where the SPEC is silent:
// * Every active tenant in the database is invoiced for a month, with or
//   without usage. A suspended tenant is invoiced when it had usage in the
//   month (usage is never left unbilled) or already has a draft for it;
//   otherwise it gets no invoice (no base price while suspended all month).
//   A tenant's first plan applies from the beginning of time (as the plan
//   history records it), so a month before the tenant was added is billed
//   under that plan as well.
// * Drafts have a stable id per tenant and month ("inv_acme_2026-02"); a
//   month whose invoice was voided gets a new draft "inv_acme_2026-02_2".
//   A month with a finalized invoice (open, paid, overdue) is never rebuilt:
//   generate reports the stored invoice as it is.
// * Late usage: for each earlier finalized invoice of the tenant, each usage
//   line is re-measured over its own segment and re-priced under the terms
//   stored on that line (so a later catalog change is not billed
//   retroactively). The difference from what was billed, counting adjustment
//   lines already on other finalized invoices, becomes one labelled
//   adjustment line per changed line ("Late usage adjustment for 2026-02:
//   api_calls +12"; less than billed after `events void`: "Voided events
//   adjustment for 2026-02: api_calls -3"), even when the amount is 0.00 (the usage is then on
//   record as covered by the included amount). Drafts are previews: finalizing
//   rebuilds the draft from the data at that moment, so an adjustment shown on
//   two drafts is billed only by the first one finalized.
#pragma once

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "billing/invoice.h"
#include "catalog/catalog.h"
#include "core/progress.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"
#include "store/invoice_store.h"

namespace meter::billing {

// The inputs for `tenant`'s `month` ("YYYY-MM", in the tenant's time zone):
// plan segments from its plan history, plans resolved in `catalog`, usage
// of each charge's meter per segment. With `plan_override`, that plan is
// taken as in force for the whole month instead (recommend: "what would plan
// X have billed"). No adjustments. Refuses a plan missing from `catalog`
// (DataError) and a tenant without a plan history (NotFound).
Result<InvoiceInputs> ReadInvoiceInputs(store::Database& db, const catalog::Catalog& catalog,
                                        const catalog::Tenant& tenant, std::string_view month,
                                        const catalog::Plan* plan_override = nullptr);

// Late-usage adjustment lines for `tenant`'s finalized invoices billed in
// `currency` whose period starts before `before` (see the file comment).
// Invoices in another currency (before a plan change across currencies) are
// left for a later invoice in theirs: amounts of two currencies are never
// added up. `candidates`, when given, limits the invoices re-measured to those
// ids (the tenant's entry of InvoiceStore::WithLateEvents; empty: none);
// otherwise all are. Reads only.
Result<std::vector<InvoiceLine>> LateUsageAdjustments(store::Database& db, const catalog::Catalog& catalog,
                                                      const std::string& tenant, const std::string& currency,
                                                      Timestamp before,
                                                      const std::set<std::string>* candidates = nullptr);

// One tenant's LateUsageAdjustments to measure.
struct LateRequest {
  std::string tenant;
  std::string currency;  // the currency of the invoice the adjustments go on
  Timestamp before = 0;
  const std::set<std::string>* candidates = nullptr;
};

// LateUsageAdjustments of many tenants at once (invoice generate): the
// sliced lines of all of their invoices are re-measured in one
// usage::MeasureSlices call, each (tenant, charge, period) once, instead of
// one pass per line. The result for each request, in order, equals
// LateUsageAdjustments of that request alone (its error included); the
// outer error is one the measuring met. Reads only.
Result<std::vector<Result<std::vector<InvoiceLine>>>> LateUsageAdjustments(store::Database& db,
                                                                           const catalog::Catalog& catalog,
                                                                           const std::vector<LateRequest>& requests);

// The draft `id` for `tenant`'s `month` as generate builds it from the data
// now: ReadInvoiceInputs, then LateUsageAdjustments for the finalized months
// before it, then BuildInvoice. Reads only.
Result<Invoice> BuildDraft(store::Database& db, const catalog::Catalog& catalog, const catalog::Tenant& tenant,
                           std::string_view month, const std::string& id,
                           const std::set<std::string>* candidates = nullptr);

struct GenerateOptions {
  std::string month;    // "YYYY-MM"
  std::string tenant;   // "" = every tenant
  bool dry_run = false; // compute and report, write nothing
  bool finalize = false;
  Timestamp now = 0;
  // Told the tenants to invoice and, after each, how many are done.
  ProgressSink* progress = nullptr;
  // With `finalize`: finalize only the invoices whose period has ended by
  // `now` (a tenant on billing day 15 is still in its February period on
  // March 1); the others are stored as drafts.
  bool finalize_ended_only = false;
  // Unless dry_run: the invoices are written in transactions of this many
  // tenants each (0: all in one), every invoice whole; a run stopped between
  // two commits is finished by running it again. The first transaction reads
  // what every invoice is built from; a later one refuses (Busy, its tenants
  // left as they were) when another command wrote one of its tenants'
  // invoices of the month meanwhile. Finalized invoices all record the event
  // high-water mark read first.
  size_t batch_tenants = 2048;
};

struct GenerateResult {
  std::vector<Invoice> invoices;  // one per tenant, in tenant order
  int created = 0;     // new drafts
  int refreshed = 0;   // drafts whose content changed
  int unchanged = 0;   // drafts already up to date
  int finalized = 0;   // finalized by --finalize
  int not_ended = 0;   // left as drafts by finalize_ended_only
  int kept = 0;        // months already finalized, left as they are
};

// `meter invoice generate`: builds the invoice of every tenant in
// catalog.tenants (CatalogStore::Load fills them from the database), or of
// options.tenant, for the month (in transactions of options.batch_tenants
// tenants): new drafts are inserted (queueing invoice.created), existing
// drafts refreshed in place, finalized invoices kept; with `finalize` the
// drafts are then finalized. Generating twice gives the same invoices.
// `dry_run` reads a snapshot and writes nothing. Refuses dry_run with
// finalize, a bad month (InvalidArgument) and an unknown tenant (NotFound).
Result<GenerateResult> GenerateInvoices(store::Database& db, const catalog::Catalog& catalog,
                                        const GenerateOptions& options);

// What `tenant`'s invoice for `month` is now: the finalized invoice if there
// is one, else the draft generate would write (with late-usage adjustments).
// Writes nothing. For `tenants show`, trends and simulate. A suspended
// tenant generate would not invoice (no usage that month) gets an invoice
// with no lines and a zero total: nothing is billed.
Result<Invoice> PreviewInvoice(store::Database& db, const catalog::Catalog& catalog, const std::string& tenant,
                               std::string_view month);

// The cost of `tenant`'s current period so far: PreviewInvoice for its
// billing period containing `now`.
Result<Invoice> PreviewCurrentPeriod(store::Database& db, const catalog::Catalog& catalog,
                                     const std::string& tenant, Timestamp now);

}  // namespace meter::billing
