// Invoice: the document and the pure builder that prices one tenant's month
// (SPEC section 7). BuildInvoice reads nothing and writes nothing: callers
// hand it the catalog, the tenant, the month, the plans in force during it
// with the usage measured under each, and any late-usage adjustments, so the
// same usage can be re-priced under another plan or catalog (forecast,
// recommend, simulate) without touching the database. lib/billing/generate.h
// is the thin layer that reads those inputs from the database.
//
// Choices where the SPEC is silent:
// * A plan change splits the period into segments (billing/schedule.h). The
//   base price is prorated by day: base × paid days / days in the period.
//   For the base price a change counts from the nearest midnight (in the
//   tenant's time zone), so `--effective 2026-02-15` gives the old plan 14
//   days and the new one 14 in February 2026. Usage is split at the exact
//   instant of the change and priced under the plan then in force.
// * The minimum commitment true-up compares the commitment in force (each
//   segment's plan's commitment × paid days / days in the period, summed
//   exactly) with the base and usage lines; the difference is rounded once.
// * Each segment's charges get their plan's full included amount and tiers:
//   a segment is priced as if it were a whole month of its plan; only the base
//   price is prorated.
// * A plan with a zero base price gets no base line; every charge gets a line,
//   even at quantity 0.
// * Tax = subtotal × rate rounded once (tenant override, else catalog rate);
//   total = subtotal + tax.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "billing/coupons.h"
#include "billing/pricing.h"
#include "billing/schedule.h"
#include "usage/slices.h"
#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/catalog_store.h"

namespace meter::billing {

// A stretch of the period during which one plan was in force.
struct PlanSpan {
  std::string plan;  // plan key
  Period period;     // clipped to the period; usage in it is priced under `plan`
  int days = 0;      // days of the period its base price is charged for
};

// The plan segments of `bp` from a plan history (oldest first, as
// CatalogStore::PlanHistory returns it): Schedule's segments without
// catalog terms. The days of all segments add up to bp.days. Refuses an
// empty history (NotFound: the tenant has no plan).
Result<std::vector<PlanSpan>> PlanSpans(const std::vector<store::PlanAssignment>& history,
                                        const BillingPeriod& bp);

// The kinds of invoice lines, in SPEC section 11's order: base price and
// usage; adjustments (late usage, voided events, annual credits); the
// commitment true-up; then, after the subtotal, coupons.
enum class LineKind { kBase, kUsage, kAdjustment, kAnnualCredit, kCommitment, kCoupon };
std::string_view LineKindName(LineKind k);

// Which finalized invoice line an adjustment corrects, and by how much.
struct AdjustmentRef {
  std::string invoice_id;
  std::string invoice_number;
  std::string month;         // the adjusted invoice's month, "2026-02"
  int line = -1;             // index of the adjusted line in that invoice; -1: a slice it did not bill
  Decimal quantity_before;   // what had been billed for that line (including earlier adjustments)
  Decimal quantity_after;    // what the usage is now
  Decimal amount_before;
  Decimal amount_after;
};

struct InvoiceLine {
  LineKind kind = LineKind::kUsage;
  std::string description;
  std::string meter;          // "" for base lines
  std::string plan;           // the plan the line was priced under
  Period period;              // when that plan / usage was in force
  Decimal quantity;           // base: 1; usage: measured; adjustment: the change in quantity
  std::optional<Decimal> unit_price;  // per_unit price, package price, base price; none for tiers
  Decimal amount;             // rounded once to the minor unit
  // Usage lines: how it was priced (kept so a finalized line can be re-derived
  // under the same terms even after the catalog changes).
  catalog::Charge charge;
  bool overage = true;
  PricedCharge priced;
  std::string source;         // how the quantity was measured, for --explain
  std::string unit;           // the meter's unit (SPEC 2), printed after the quantity; "" = none
  // Base lines: the base price prorated to `days` paid days of
  // `days_in_period` (an annual base: charged whole, days = days_in_period =
  // the plan year's days). Annual credits: `days` unused of the year's
  // `days_in_period`.
  Decimal base_price;
  int days = 0, days_in_period = 0;
  // Adjustment lines.
  std::optional<AdjustmentRef> adjusts;
  // Sliced usage (SPEC section 10): the filter's name and the group value
  // ("(none)" for events without the field); nullopt when not filtered /
  // grouped. `condition` says which events the line took, for --explain;
  // `events` how many (-1: not counted).
  std::optional<std::string> filter;
  std::optional<std::string> group;
  std::string condition;
  int64_t events = -1;
  // Coupon lines (SPEC 11): the code; amount is negative.
  std::string coupon;
};

// A credit note issued against a finalized invoice, as the invoice lists it.
struct CreditNoteRef {
  std::string number;
  Decimal total;
};

struct Invoice {
  std::string id;               // stable per tenant and month ("inv_acme_2026-02")
  std::string number;           // "" until finalized
  std::string tenant;
  std::string tenant_name;
  std::string tenant_email;
  BillingPeriod period;
  std::string currency;
  std::string status = "draft"; // draft, open, paid, overdue, void
  std::string issue_date;       // "YYYY-MM-DD"
  std::string due_date;         // issue_date + net_days
  std::vector<InvoiceLine> lines;
  Decimal subtotal;             // never negative (SPEC section 10)
  // When the lines add up to less than zero: the part below zero, which
  // finalization turns into a prepaid credit grant.
  Decimal carried_credit;
  // An annual plan's unused-days credit in another currency than this
  // invoice's (the tenant left it for a plan in another currency, at a period
  // start): never a line here, since amounts of two currencies are never
  // added up; finalization grants it as prepaid credit in its own currency,
  // drawn by the tenant's invoices in that currency.
  struct HeldCredit {
    Decimal amount;  // > 0
    std::string currency;
    std::string description;
  };
  std::optional<HeldCredit> held_credit;
  std::string tax_name;
  Decimal tax_rate;
  Decimal tax;
  Decimal total;
  // SPEC 11: coupons (each discount positive), the discounted subtotal that
  // tax is computed on, prepaid credits drawn at finalization, credit notes,
  // and what is left to pay.
  std::vector<Discount> discounts;
  Decimal discounted_subtotal;
  Decimal credits_applied;
  std::vector<CreditNoteRef> credit_notes;
  Decimal amount_due;
  // Positions of the tenant's coupons that met this invoice, those taking 0
  // off included (a `once` coupon is used up by meeting one). Not stored:
  // finalization rebuilds the invoice and records them as redemptions.
  std::vector<int64_t> coupons_met;
  std::string seller_name;
  std::string seller_address;
  std::optional<Timestamp> finalized_at, paid_at, voided_at;
  std::string void_reason;
};

// One plan segment with the usage measured in it.
struct UsageSegment {
  catalog::Plan plan;
  Period period;
  int days = 0;                          // days of the period the plan was in force
  std::map<std::string, Decimal> usage;  // meter key -> quantity; absent = 0
  // Of `days`, those its base price and commitment are charged for (after the
  // tenant's start, outside a trial); nullopt = all of them.
  std::optional<int> paid_days;
  int trial_days = 0;                    // the plan's trial when it overlaps the segment
  std::optional<int64_t> trial_paid_from;  // its first paid day (local civil day)
  // Charges with filters or group_by (by index in plan.charges): their
  // usage in slices, in line order (usage/slices.h).
  std::map<size_t, std::vector<usage::UsageSlice>> slices;
  int paid() const { return paid_days.value_or(days); }
};

// Everything BuildInvoice needs. `catalog` must outlive the call; it supplies
// currency, tax, invoice settings and meter descriptions (its tenants and
// plans are not read: the tenant and the segments' plans are given; only an
// annual plan left exactly at the period's start is looked up for its credit).
struct InvoiceInputs {
  const catalog::Catalog* catalog = nullptr;
  catalog::Tenant tenant;
  BillingPeriod period;
  std::vector<UsageSegment> segments;
  // Annual base prices falling due and annual plans left early (their plans
  // among the segments' plans).
  std::vector<AnnualCharge> annual_charges;
  std::vector<AnnualCredit> annual_credits;
  std::vector<InvoiceLine> adjustments;  // late-usage lines, appended as given
  std::vector<CouponInput> coupons;      // SPEC 11: in the order applied to the tenant
  std::string id;                        // empty: DraftId(tenant, month)
};

// The id of the draft for `tenant`'s `month`; `reissue` > 1 after voided ones.
std::string DraftId(std::string_view tenant, std::string_view month, int reissue = 1);

// The currency an invoice bills in, by the plan of its first segment
// (`first_plan`; BuildInvoice refuses segments in two): that plan's
// (Catalog::CurrencyOf), or the catalog's when there is no segment or the
// plan is one the catalog lacks (nullptr). BuildInvoice and generate's
// planning before the usage is read (which has only plan keys) both ask it.
const std::string& FirstSegmentCurrency(const catalog::Catalog& c, const catalog::Plan* first_plan);

// Prices the inputs into a draft invoice, lines in SPEC section 11's order:
// a base line per monthly segment with a non-zero base price (prorated to its
// paid days) and per annual base falling due, a line per charge per segment;
// the adjustments and annual credits; the minimum commitment true-up; then
// subtotal (0 when the lines add up to less, the rest carried as credit), a
// negative line per coupon that takes something off, the discounted
// subtotal, tax on it, total, and amount due (= total: credits are drawn at
// finalization). The currency is the segments' plans' (Catalog::CurrencyOf).
// Refuses segments in different currencies and amounts beyond the money
// range with a DataError naming the tenant; never wraps.
Result<Invoice> BuildInvoice(const InvoiceInputs& in);

// The line that corrects finalized `billed` (line `index` of invoice `of`)
// whose usage was billed as `before_q` / `before_amount` and is now
// `current`. nullopt when the quantity has not changed.
Result<std::optional<InvoiceLine>> LateUsageLine(const Invoice& of, int index, const Decimal& before_q,
                                                 const Decimal& before_amount, const Decimal& current);

// The line finalized `of` would have had for `slice` of `charge` (SPEC
// section 10) had the slice taken events then: built like `sibling` (a line
// of the same charge, plan and period on `of`) but billing nothing. The
// template LateSliceLine adjusts when late events fall in a filter or group
// that had no line. NotFound when the sibling's plan left the catalog.
Result<InvoiceLine> UnbilledSliceLine(const catalog::Catalog& c, const Invoice& of, const InvoiceLine& sibling,
                                      const catalog::Charge& charge, const usage::UsageSlice& slice);

// LateUsageLine for a slice `of` did not bill: `unbilled` (UnbilledSliceLine,
// or an earlier adjustment of the same slice) billed as `before_q` /
// `before_amount`, now `current`. Its AdjustmentRef::line is -1.
Result<std::optional<InvoiceLine>> LateSliceLine(const Invoice& of, const InvoiceLine& unbilled,
                                                 const Decimal& before_q, const Decimal& before_amount,
                                                 const Decimal& current);

// The invoice as the JSON of SPEC section 7 (money as strings, quantities as
// exact numbers: print it with DumpJson) plus the extra fields the renderers
// and re-derivation use. An output only: invoices are stored as rows
// (billing/invoice_record.h).
nlohmann::json InvoiceToJson(const Invoice& inv);

// The "lines" array of InvoiceToJson(inv), and InvoiceToJson with that array
// already rendered: for rendering one invoice twice over the same lines
// (generate --finalize: the draft's invoice.created, then invoice.finalized).
nlohmann::json InvoiceLinesJson(const Invoice& inv);
nlohmann::json InvoiceToJson(const Invoice& inv, nlohmann::json lines);

}  // namespace meter::billing
