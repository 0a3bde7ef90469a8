#include "billing/invoice.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/money.h"

namespace meter::billing {
namespace {

// Amount errors (overflow) are data the catalog and usage produced: report
// them as rejected data naming where they arose.
Status PricingError(const Status& st, const InvoiceInputs& in, std::string_view what) {
  return Status::DataError(fmt::format("invoice for {} {}: {}: {}", in.tenant.id, in.period.month, what,
                                       st.message()));
}

// How the meter measures usage, in words, for --explain.
std::string SourceText(const catalog::Meter* m, const std::string& key) {
  if (!m) return fmt::format("meter '{}'", key);
  std::string what;
  switch (m->aggregation) {
    case catalog::Aggregation::kSum: what = fmt::format("sum of {}", m->value); break;
    case catalog::Aggregation::kCount: what = "count"; break;
    case catalog::Aggregation::kMax: what = fmt::format("maximum of {}", m->value); break;
    case catalog::Aggregation::kUniqueCount: what = fmt::format("distinct values of {}", m->value); break;
    case catalog::Aggregation::kLatest: what = fmt::format("latest {}", m->value); break;
  }
  std::string text = fmt::format("{} of '{}' events", what, m->event);
  for (const auto& w : m->where) text += fmt::format(" where {} = '{}'", w.field, w.equals);
  return text;
}

InvoiceLine BaseLine(const UsageSegment& seg, const InvoiceInputs& in, const Decimal& amount) {
  InvoiceLine l;
  l.kind = LineKind::kBase;
  l.plan = seg.plan.key;
  l.period = seg.period;
  l.quantity = Decimal::FromInt(1);
  l.unit_price = seg.plan.base_price;
  l.base_price = seg.plan.base_price;
  l.amount = amount;
  l.days = seg.paid();
  l.days_in_period = in.period.days;
  l.description = fmt::format("{} plan, base price", seg.plan.name);
  if (seg.trial_paid_from)
    l.description += fmt::format(" ({} of {} days; {}-day trial, paid from {})", seg.paid(), in.period.days,
                                 seg.trial_days, DayText(*seg.trial_paid_from));
  else if (seg.paid() != in.period.days)
    l.description += fmt::format(" ({} of {} days)", seg.paid(), in.period.days);
  return l;
}

const UsageSegment* SegmentOn(const InvoiceInputs& in, const std::string& plan) {
  for (const auto& seg : in.segments)
    if (seg.plan.key == plan) return &seg;
  return nullptr;
}

// An annual plan's base price: whole on an invoice (or a share of its days
// when pricing what-ifs), for the plan year it opens.
Result<InvoiceLine> AnnualBaseLine(const AnnualCharge& a, const InvoiceInputs& in, const std::string& currency) {
  const UsageSegment* seg = SegmentOn(in, a.plan);
  if (!seg) return Status::Internal(fmt::format("annual plan '{}' is in no segment", a.plan));
  int year_days = static_cast<int>(a.year_end - a.year_start);
  int days = a.share_days > 0 ? a.share_days : year_days;
  METER_ASSIGN_OR_RETURN(Decimal amount, ProrateBase(seg->plan.base_price, days, year_days, currency));
  InvoiceLine l = BaseLine(*seg, in, amount);
  l.days = days;
  l.days_in_period = year_days;
  l.description = fmt::format("{} plan, annual base price ({} to {})", seg->plan.name, DayText(a.year_start),
                              DayText(a.year_end - 1));
  if (a.share_days > 0) l.description += fmt::format(" ({} of {} days)", days, year_days);
  return l;
}

// Leaving an annual plan early: the unused days of its year, as a credit in
// the plan's own currency, which `*currency` is set to (a move at a period
// start may be to a plan billing in another). The plan left is among the
// segments unless the change falls exactly on the period's start: then it
// is the catalog's.
Result<InvoiceLine> AnnualCreditLine(const AnnualCredit& a, const InvoiceInputs& in, std::string* currency) {
  const UsageSegment* seg = SegmentOn(in, a.plan);
  UsageSegment left;
  if (!seg) {
    const catalog::Plan* plan = in.catalog->FindPlan(a.plan);
    if (!plan) return Status::DataError(fmt::format("annual plan '{}' is not in the catalog", a.plan));
    left.plan = *plan;
    left.period = in.period.period;
    seg = &left;
  }
  *currency = in.catalog->CurrencyOf(seg->plan);
  METER_ASSIGN_OR_RETURN(Decimal amount, ProrateBase(seg->plan.base_price, a.unused_days(), a.year_days(), *currency));
  InvoiceLine l = BaseLine(*seg, in, amount.Negated());
  l.kind = LineKind::kAnnualCredit;
  l.quantity = Decimal::FromInt(-1);
  l.days = a.unused_days();
  l.days_in_period = a.year_days();
  l.description = fmt::format("{} plan, unused days credited ({} of {} days from {})", seg->plan.name,
                              a.unused_days(), a.year_days(), DayText(a.change_day));
  return l;
}

// The event field as a description writes it: without "properties.".
std::string FieldLabel(const std::string& field) {
  return field.starts_with("properties.") ? field.substr(11) : field;
}

// How a filter's where condition reads in --explain ("model=a|b, user=u").
std::string ConditionText(const catalog::ChargeFilter& f) {
  std::string out;
  for (const auto& cond : f.where) {
    if (!out.empty()) out += ", ";
    out += FieldLabel(cond.field) + "=";
    for (size_t i = 0; i < cond.values.size(); ++i) out += (i ? "|" : "") + cond.values[i];
  }
  return out;
}

// The line pricing `q` of charge `c` (or of its filter `filter` and group
// `group` when the charge is sliced) in segment `seg`.
// " · <filter> · <field>=<group>" for a sliced line (SPEC section 10), the
// part of its description that tells it from the charge's other lines.
std::string SliceLabel(const InvoiceLine& l) {
  std::string out;
  if (l.filter) out += " · " + *l.filter;
  if (l.group) out += fmt::format(" · {}={}", FieldLabel(l.charge.group_by), *l.group);
  return out;
}

Result<InvoiceLine> UsageLine(const UsageSegment& seg, const catalog::Charge& c, const Decimal& q,
                              const usage::UsageSlice* slice, const InvoiceInputs& in, bool split) {
  const catalog::Charge& pricing = slice && slice->filter >= 0 ? c.filters[slice->filter].charge : c;
  METER_ASSIGN_OR_RETURN(PricedCharge priced,
                         PriceCharge(pricing, q, seg.plan.overage, in.catalog->CurrencyOf(seg.plan)));
  const catalog::Meter* m = in.catalog->FindMeter(c.meter);
  InvoiceLine l;
  l.kind = LineKind::kUsage;
  l.meter = c.meter;
  l.plan = seg.plan.key;
  l.period = seg.period;
  l.quantity = q;
  if (pricing.model == catalog::ChargeModel::kPerUnit) l.unit_price = pricing.unit_price;
  if (pricing.model == catalog::ChargeModel::kPackage) l.unit_price = pricing.package_price;
  l.amount = priced.amount;
  l.charge = pricing;
  l.charge.filters.clear();
  l.overage = seg.plan.overage;
  l.priced = std::move(priced);
  l.source = SourceText(m, c.meter);
  if (m) l.unit = m->unit;
  l.description = !c.description.empty() ? c.description : (m && !m->name.empty() ? m->name : c.meter);
  if (slice) {
    l.events = slice->events;
    if (slice->filter >= 0) {
      const catalog::ChargeFilter& f = c.filters[slice->filter];
      l.filter = f.name;
      l.condition = "where " + ConditionText(f);
    } else if (!c.filters.empty()) {
      l.condition = "matching no filter";
    }
    if (slice->group) {
      l.group = slice->group;
      l.condition += fmt::format("{}{}={}", l.condition.empty() ? "" : ", ", FieldLabel(pricing.group_by), *slice->group);
    }
    l.description += SliceLabel(l);
  }
  if (split) l.description += fmt::format(" ({} plan)", seg.plan.name);
  return l;
}

Status AddSegmentLines(const UsageSegment& seg, const InvoiceInputs& in, bool split, Invoice& inv) {
  for (size_t i = 0; i < seg.plan.charges.size(); ++i) {
    const catalog::Charge& c = seg.plan.charges[i];
    if (auto sl = seg.slices.find(i); sl != seg.slices.end()) {
      for (const auto& slice : sl->second) {
        auto line = UsageLine(seg, c, slice.quantity, &slice, in, split);
        if (!line.ok()) return PricingError(line.status(), in, c.meter);
        inv.lines.push_back(std::move(line).value());
      }
      continue;
    }
    auto it = seg.usage.find(c.meter);
    auto line = UsageLine(seg, c, it == seg.usage.end() ? Decimal() : it->second, nullptr, in, split);
    if (!line.ok()) return PricingError(line.status(), in, c.meter);
    inv.lines.push_back(std::move(line).value());
  }
  return Status::OK();
}

// SPEC 11: coupon lines after the subtotal, each taking what it can from
// what the ones before it left.
Status AddDiscounts(const InvoiceInputs& in, Invoice& inv) {
  auto discounts = ComputeDiscounts(in.coupons, inv.subtotal, inv.currency);
  if (!discounts.ok()) return PricingError(discounts.status(), in, "coupons");
  Decimal left = inv.subtotal;
  for (const auto& d : *discounts) {
    InvoiceLine l;
    l.kind = LineKind::kCoupon;
    l.description = d.description;
    l.coupon = d.code;
    l.period = in.period.period;
    l.quantity = Decimal::FromInt(1);
    l.amount = d.amount.Negated();
    inv.lines.push_back(std::move(l));
    auto next = left.Sub(d.amount);
    if (!next.ok()) return PricingError(next.status(), in, "coupons");
    left = *next;
  }
  for (const auto& c : in.coupons)
    if (CouponMeets(c.terms, inv.currency)) inv.coupons_met.push_back(c.position);
  inv.discounts = std::move(discounts).value();
  inv.discounted_subtotal = left;
  return Status::OK();
}

// The minimum commitment true-up (SPEC section 10): the commitment in force
// (each segment's plan's commitment over its paid days, summed exactly: the
// sum of commitment × days, over the period's days) less the base and usage
// lines, rounded once; none when they reach it.
Status AddCommitment(const InvoiceInputs& in, Invoice& inv) {
  Decimal committed_days;  // sum of commitment × paid days
  for (const auto& seg : in.segments) {
    auto part = seg.plan.minimum_commitment.Mul(Decimal::FromInt(seg.paid()));
    if (part.ok()) part = committed_days.Add(*part);
    if (!part.ok()) return PricingError(part.status(), in, "minimum commitment");
    committed_days = *part;
  }
  if (committed_days.IsZero() || in.period.days <= 0) return Status::OK();
  Decimal billed;
  for (const auto& l : inv.lines)
    if (l.kind == LineKind::kBase || l.kind == LineKind::kUsage) {
      auto sum = billed.Add(l.amount);
      if (!sum.ok()) return PricingError(sum.status(), in, "minimum commitment");
      billed = *sum;
    }
  auto gap = billed.Mul(Decimal::FromInt(in.period.days));
  if (gap.ok()) gap = committed_days.Sub(*gap);
  if (!gap.ok()) return PricingError(gap.status(), in, "minimum commitment");
  if (!gap->IsNegative() && !gap->IsZero()) {
    auto amount = ProrateToMinor(*gap, Decimal::FromInt(1), Decimal::FromInt(in.period.days), inv.currency);
    if (!amount.ok()) return PricingError(amount.status(), in, "minimum commitment");
    if (amount->IsZero()) return Status::OK();
    InvoiceLine l;
    l.kind = LineKind::kCommitment;
    l.description = "Minimum commitment true-up";
    l.plan = in.segments.back().plan.key;
    l.period = in.period.period;
    l.quantity = Decimal::FromInt(1);
    l.unit_price = *amount;
    l.amount = *amount;
    l.days = in.period.days;
    l.days_in_period = in.period.days;
    METER_ASSIGN_OR_RETURN(l.base_price, committed_days.MulDiv(Decimal::FromInt(1), Decimal::FromInt(in.period.days),
                                                               Decimal::kScaleDigits, Rounding::kHalfAwayFromZero));
    inv.lines.push_back(std::move(l));
  }
  return Status::OK();
}

Status AddTotals(const InvoiceInputs& in, Invoice& inv) {
  Decimal subtotal;
  for (const auto& l : inv.lines) {
    auto sum = subtotal.Add(l.amount);
    if (!sum.ok()) return PricingError(sum.status(), in, "subtotal");
    subtotal = *sum;
  }
  // Lines adding up to less than zero bill nothing; the rest becomes credit.
  if (subtotal.IsNegative()) {
    inv.carried_credit = subtotal.Negated();
    subtotal = Decimal();
  }
  inv.subtotal = subtotal;
  METER_RETURN_IF_ERROR(AddDiscounts(in, inv));
  auto tax = inv.discounted_subtotal.Mul(inv.tax_rate);
  if (tax.ok()) tax = RoundToMinor(*tax, inv.currency);
  if (!tax.ok()) return PricingError(tax.status(), in, "tax");
  inv.tax = *tax;
  auto total = inv.discounted_subtotal.Add(inv.tax);
  if (!total.ok()) return PricingError(total.status(), in, "total");
  inv.total = *total;
  inv.amount_due = inv.total;
  return Status::OK();
}

// The currency the segments' plans bill in: one, or a DataError.
Result<std::string> InvoiceCurrency(const InvoiceInputs& in) {
  const std::string& first =
      FirstSegmentCurrency(*in.catalog, in.segments.empty() ? nullptr : &in.segments.front().plan);
  for (const auto& seg : in.segments)
    if (in.catalog->CurrencyOf(seg.plan) != first)
      return Status::DataError(fmt::format(
          "invoice for {} {}: its plans bill in {} and {}; a change of currency must take effect at the start of "
          "a billing period", in.tenant.id, in.period.month, first, in.catalog->CurrencyOf(seg.plan)));
  return first;
}

Invoice Header(const InvoiceInputs& in) {
  const catalog::Catalog& c = *in.catalog;
  Invoice inv;
  inv.id = in.id.empty() ? DraftId(in.tenant.id, in.period.month) : in.id;
  inv.tenant = in.tenant.id;
  inv.tenant_name = in.tenant.name;
  inv.tenant_email = in.tenant.email;
  inv.period = in.period;
  inv.currency = c.currency;  // BuildInvoice sets the plans' currency
  inv.issue_date = in.period.issue_date;
  inv.due_date = AddDays(in.period.issue_date, c.invoice.net_days);
  inv.tax_name = c.tax.name;
  inv.tax_rate = in.tenant.overrides.tax_rate.value_or(c.tax.rate);
  inv.seller_name = c.invoice.seller_name;
  inv.seller_address = c.invoice.seller_address;
  return inv;
}

}  // namespace

std::string_view LineKindName(LineKind k) {
  switch (k) {
    case LineKind::kBase: return "base";
    case LineKind::kUsage: return "usage";
    case LineKind::kAdjustment: return "adjustment";
    case LineKind::kAnnualCredit: return "annual_credit";
    case LineKind::kCommitment: return "commitment";
    case LineKind::kCoupon: return "coupon";
  }
  return "usage";
}

Result<std::vector<PlanSpan>> PlanSpans(const std::vector<store::PlanAssignment>& history,
                                        const BillingPeriod& bp) {
  TenantTerms terms;
  terms.timezone = bp.timezone;
  terms.billing_day = bp.billing_day;
  terms.history = history;
  METER_ASSIGN_OR_RETURN(PeriodSchedule s, Schedule(terms, catalog::Catalog{}, bp));
  std::vector<PlanSpan> spans;
  for (const auto& seg : s.segments) spans.push_back({seg.plan, seg.period, seg.days});
  return spans;
}

std::string DraftId(std::string_view tenant, std::string_view month, int reissue) {
  if (reissue <= 1) return fmt::format("inv_{}_{}", tenant, month);
  return fmt::format("inv_{}_{}_{}", tenant, month, reissue);
}

namespace {

// At least as many lines as BuildInvoice makes from `in`, so the lines are
// never moved to a larger vector while the invoice is built.
size_t MaxLines(const InvoiceInputs& in) {
  size_t n = in.segments.size() + in.annual_charges.size() + in.adjustments.size() + in.annual_credits.size() +
             in.coupons.size() + 1;  // + the commitment true-up
  for (const auto& seg : in.segments) {
    n += seg.plan.charges.size();
    for (const auto& [charge, slices] : seg.slices) n += slices.size();
  }
  return n;
}

}  // namespace

const std::string& FirstSegmentCurrency(const catalog::Catalog& c, const catalog::Plan* first_plan) {
  return first_plan ? c.CurrencyOf(*first_plan) : c.currency;
}

Result<Invoice> BuildInvoice(const InvoiceInputs& in) {
  if (!in.catalog) return Status::Internal("BuildInvoice: no catalog");
  Invoice inv = Header(in);
  inv.lines.reserve(MaxLines(in));
  METER_ASSIGN_OR_RETURN(inv.currency, InvoiceCurrency(in));
  for (const auto& seg : in.segments) {
    if (seg.plan.base_price.IsZero() || seg.plan.interval == "year") continue;
    if (seg.paid() == 0 && !seg.trial_paid_from) continue;  // before the tenant started
    auto amount = ProrateBase(seg.plan.base_price, seg.paid(), in.period.days, inv.currency);
    if (!amount.ok()) return PricingError(amount.status(), in, "base price");
    inv.lines.push_back(BaseLine(seg, in, *amount));
  }
  for (const auto& a : in.annual_charges) {
    auto line = AnnualBaseLine(a, in, inv.currency);
    if (!line.ok()) return PricingError(line.status(), in, "annual base price");
    if (!line->base_price.IsZero()) inv.lines.push_back(std::move(line).value());
  }
  for (const auto& seg : in.segments) METER_RETURN_IF_ERROR(AddSegmentLines(seg, in, in.segments.size() > 1, inv));
  for (const auto& adj : in.adjustments) inv.lines.push_back(adj);
  for (const auto& a : in.annual_credits) {
    std::string own;
    auto line = AnnualCreditLine(a, in, &own);
    if (!line.ok()) return PricingError(line.status(), in, "annual credit");
    if (line->amount.IsZero()) continue;
    if (own == inv.currency) inv.lines.push_back(std::move(line).value());
    else inv.held_credit = Invoice::HeldCredit{line->amount.Negated(), own, line->description};
  }
  METER_RETURN_IF_ERROR(AddCommitment(in, inv));
  METER_RETURN_IF_ERROR(AddTotals(in, inv));
  return inv;
}

namespace {

// The adjustment of `billed` (line `index` of `of`, -1: a slice `of` did not
// bill) from `before_q` / `before_amount` to `current`.
Result<std::optional<InvoiceLine>> AdjustmentLine(const Invoice& of, int index, const InvoiceLine& billed,
                                                  const Decimal& before_q, const Decimal& before_amount,
                                                  const Decimal& current) {
  if (current == before_q) return std::optional<InvoiceLine>();
  METER_ASSIGN_OR_RETURN(PricedCharge priced, PriceCharge(billed.charge, current, billed.overage, of.currency));
  InvoiceLine l = billed;
  l.kind = LineKind::kAdjustment;
  METER_ASSIGN_OR_RETURN(l.quantity, current.Sub(before_q));
  METER_ASSIGN_OR_RETURN(l.amount, priced.amount.Sub(before_amount));
  l.priced = std::move(priced);
  // Less than billed: events of the period were voided (SPEC 11), late usage in reverse.
  l.description = fmt::format("{} adjustment for {}: {}{} {}{}",
                              l.quantity.IsNegative() ? "Voided events" : "Late usage", of.period.month, billed.meter,
                              SliceLabel(billed), l.quantity.IsNegative() ? "" : "+", l.quantity.ToString());
  l.adjusts = AdjustmentRef{of.id, of.number, of.period.month, index, before_q, current, before_amount,
                            l.priced.amount};
  return std::optional<InvoiceLine>(std::move(l));
}

}  // namespace

Result<std::optional<InvoiceLine>> LateUsageLine(const Invoice& of, int index, const Decimal& before_q,
                                                 const Decimal& before_amount, const Decimal& current) {
  if (index < 0 || index >= static_cast<int>(of.lines.size()))
    return Status::Internal(fmt::format("invoice {} has no line {}", of.id, index));
  return AdjustmentLine(of, index, of.lines[index], before_q, before_amount, current);
}

Result<InvoiceLine> UnbilledSliceLine(const catalog::Catalog& c, const Invoice& of, const InvoiceLine& sibling,
                                      const catalog::Charge& charge, const usage::UsageSlice& slice) {
  const catalog::Plan* plan = c.FindPlan(sibling.plan);
  if (!plan) return Status::NotFound(fmt::format("plan {} of invoice {} is not in the catalog", sibling.plan, of.id));
  UsageSegment seg;
  seg.plan = *plan;
  seg.period = sibling.period;
  InvoiceInputs in;
  in.catalog = &c;
  bool split = std::any_of(of.lines.begin(), of.lines.end(), [&](const InvoiceLine& l) {
    return l.kind == LineKind::kUsage && l.period != sibling.period;
  });
  METER_ASSIGN_OR_RETURN(InvoiceLine l, UsageLine(seg, charge, Decimal(), &slice, in, split));
  l.amount = Decimal();  // billed nothing, whatever a price of 0 units would be
  l.events = 0;
  l.overage = sibling.overage;
  return l;
}

Result<std::optional<InvoiceLine>> LateSliceLine(const Invoice& of, const InvoiceLine& unbilled,
                                                 const Decimal& before_q, const Decimal& before_amount,
                                                 const Decimal& current) {
  return AdjustmentLine(of, -1, unbilled, before_q, before_amount, current);
}

}  // namespace meter::billing
