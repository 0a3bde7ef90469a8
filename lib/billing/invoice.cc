#include "billing/invoice.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/money.h"

namespace meter::billing {
namespace {

std::string CivilText(int64_t days) {
  CivilDate c = CivilFromDays(days);
  return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
}

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
  l.days = seg.days;
  l.days_in_period = in.period.days;
  l.description = fmt::format("{} plan, base price", seg.plan.name);
  if (seg.days != in.period.days) l.description += fmt::format(" ({} of {} days)", seg.days, in.period.days);
  return l;
}

Result<InvoiceLine> UsageLine(const UsageSegment& seg, const catalog::Charge& c, const InvoiceInputs& in,
                              bool split) {
  auto it = seg.usage.find(c.meter);
  Decimal q = it == seg.usage.end() ? Decimal() : it->second;
  METER_ASSIGN_OR_RETURN(PricedCharge priced, PriceCharge(c, q, seg.plan.overage, in.catalog->currency));
  const catalog::Meter* m = in.catalog->FindMeter(c.meter);
  InvoiceLine l;
  l.kind = LineKind::kUsage;
  l.meter = c.meter;
  l.plan = seg.plan.key;
  l.period = seg.period;
  l.quantity = q;
  if (c.model == catalog::ChargeModel::kPerUnit) l.unit_price = c.unit_price;
  if (c.model == catalog::ChargeModel::kPackage) l.unit_price = c.package_price;
  l.amount = priced.amount;
  l.charge = c;
  l.overage = seg.plan.overage;
  l.priced = std::move(priced);
  l.source = SourceText(m, c.meter);
  l.description = !c.description.empty() ? c.description : (m && !m->name.empty() ? m->name : c.meter);
  if (split) l.description += fmt::format(" ({} plan)", seg.plan.name);
  return l;
}

Status AddSegmentLines(const UsageSegment& seg, const InvoiceInputs& in, bool split, Invoice& inv) {
  for (const auto& c : seg.plan.charges) {
    auto line = UsageLine(seg, c, in, split);
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
  for (const auto& c : in.coupons) inv.coupons_met.push_back(c.position);
  inv.discounts = std::move(discounts).value();
  inv.discounted_subtotal = left;
  return Status::OK();
}

Status AddTotals(const InvoiceInputs& in, Invoice& inv) {
  Decimal subtotal;
  for (const auto& l : inv.lines) {
    auto sum = subtotal.Add(l.amount);
    if (!sum.ok()) return PricingError(sum.status(), in, "subtotal");
    subtotal = *sum;
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

Invoice Header(const InvoiceInputs& in) {
  const catalog::Catalog& c = *in.catalog;
  Invoice inv;
  inv.id = in.id.empty() ? DraftId(in.tenant.id, in.period.month) : in.id;
  inv.tenant = in.tenant.id;
  inv.tenant_name = in.tenant.name;
  inv.tenant_email = in.tenant.email;
  inv.period = in.period;
  inv.currency = c.currency;
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
    case LineKind::kCoupon: return "coupon";
  }
  return "usage";
}

Result<BillingPeriod> MonthPeriod(std::string_view month, std::string_view tz) {
  METER_ASSIGN_OR_RETURN(Period p, ParseMonth(month, tz));
  int year = std::stoi(std::string(month.substr(0, 4)));
  unsigned mon = static_cast<unsigned>(std::stoi(std::string(month.substr(5, 2))));
  BillingPeriod bp;
  bp.month = std::string(month);
  bp.timezone = std::string(tz);
  bp.period = p;
  bp.days = DaysInMonth(year, mon);
  int64_t first = DaysFromCivil(year, mon, 1);
  bp.first_day = CivilText(first);
  bp.last_day = CivilText(first + bp.days - 1);
  bp.issue_date = CivilText(first + bp.days);
  return bp;
}

std::string AddDays(std::string_view date, int days) {
  int y = std::stoi(std::string(date.substr(0, 4)));
  unsigned m = static_cast<unsigned>(std::stoi(std::string(date.substr(5, 2))));
  unsigned d = static_cast<unsigned>(std::stoi(std::string(date.substr(8, 2))));
  return CivilText(DaysFromCivil(y, m, d) + days);
}

Result<std::vector<PlanSpan>> PlanSpans(const std::vector<store::PlanAssignment>& history,
                                        const BillingPeriod& bp) {
  if (history.empty()) return Status::NotFound("tenant has no plan");
  const Period& p = bp.period;
  std::vector<Timestamp> cuts = {p.start};
  for (const auto& a : history)
    if (a.effective_from > p.start && a.effective_from < p.end) cuts.push_back(a.effective_from);
  cuts.push_back(p.end);
  // For the base price a change counts from the nearest midnight of the month.
  auto day_index = [&](size_t i) -> int {
    if (i + 1 == cuts.size()) return bp.days;
    int64_t d = (cuts[i] - p.start + kMillisPerDay / 2) / kMillisPerDay;
    return static_cast<int>(std::clamp<int64_t>(d, 0, bp.days));
  };
  std::vector<PlanSpan> spans;
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    PlanSpan s{store::PlanAt(history, cuts[i]), {cuts[i], cuts[i + 1]}, day_index(i + 1) - day_index(i)};
    if (!spans.empty() && spans.back().plan == s.plan) {
      spans.back().period.end = s.period.end;
      spans.back().days += s.days;
    } else {
      spans.push_back(s);
    }
  }
  return spans;
}

std::string DraftId(std::string_view tenant, std::string_view month, int reissue) {
  if (reissue <= 1) return fmt::format("inv_{}_{}", tenant, month);
  return fmt::format("inv_{}_{}_{}", tenant, month, reissue);
}

Result<Invoice> BuildInvoice(const InvoiceInputs& in) {
  if (!in.catalog) return Status::Internal("BuildInvoice: no catalog");
  Invoice inv = Header(in);
  for (const auto& seg : in.segments) {
    if (seg.plan.base_price.IsZero()) continue;
    auto amount = ProrateBase(seg.plan.base_price, seg.days, in.period.days, inv.currency);
    if (!amount.ok()) return PricingError(amount.status(), in, "base price");
    inv.lines.push_back(BaseLine(seg, in, *amount));
  }
  for (const auto& seg : in.segments) METER_RETURN_IF_ERROR(AddSegmentLines(seg, in, in.segments.size() > 1, inv));
  for (const auto& adj : in.adjustments) inv.lines.push_back(adj);
  METER_RETURN_IF_ERROR(AddTotals(in, inv));
  return inv;
}

Result<std::optional<InvoiceLine>> LateUsageLine(const Invoice& of, int index, const Decimal& before_q,
                                                 const Decimal& before_amount, const Decimal& current) {
  if (index < 0 || index >= static_cast<int>(of.lines.size()))
    return Status::Internal(fmt::format("invoice {} has no line {}", of.id, index));
  if (current == before_q) return std::optional<InvoiceLine>();
  const InvoiceLine& billed = of.lines[index];
  METER_ASSIGN_OR_RETURN(PricedCharge priced, PriceCharge(billed.charge, current, billed.overage, of.currency));
  InvoiceLine l = billed;
  l.kind = LineKind::kAdjustment;
  METER_ASSIGN_OR_RETURN(l.quantity, current.Sub(before_q));
  METER_ASSIGN_OR_RETURN(l.amount, priced.amount.Sub(before_amount));
  l.priced = std::move(priced);
  l.description = fmt::format("Late usage adjustment for {}: {} {}{}", of.period.month, billed.meter,
                              l.quantity.IsNegative() ? "" : "+", l.quantity.ToString());
  l.adjusts = AdjustmentRef{of.id, of.number, of.period.month, index, before_q, current, before_amount,
                            l.priced.amount};
  return std::optional<InvoiceLine>(std::move(l));
}

}  // namespace meter::billing
