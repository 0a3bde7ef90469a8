// RenderExplain: how every quantity and amount of an invoice was computed.
#include <fmt/format.h>

#include "billing/format.h"
#include "billing/render.h"
#include "core/money.h"

namespace meter::billing {
namespace {

std::string Span(const Period& p) { return fmt::format("[{}, {})", FormatRfc3339(p.start), FormatRfc3339(p.end)); }

std::string ExplainBase(const InvoiceLine& l, const std::string& cur) {
  if (l.days == l.days_in_period)
    return fmt::format("   base price of plan '{}' for the whole month: {}\n", l.plan, MoneyText(l.amount, cur));
  return fmt::format("   plan '{}' in force {} days of {} ({}):\n   {} × {} / {} = {} (rounded once, half away from zero)\n",
                     l.plan, l.days, l.days_in_period, Span(l.period), PriceText(l.base_price, cur), l.days,
                     l.days_in_period, MoneyText(l.amount, cur));
}

std::string ExplainModel(const InvoiceLine& l, const std::string& cur) {
  const PricedCharge& p = l.priced;
  const catalog::Charge& c = l.charge;
  std::string exact = Thousands(p.exact_amount);
  switch (c.model) {
    case catalog::ChargeModel::kPerUnit:
      return fmt::format("   per_unit: {} × {} = {}\n", Thousands(p.billable), PriceText(c.unit_price, cur), exact);
    case catalog::ChargeModel::kPackage:
      return fmt::format("   package: {} billable / {} per package, rounded up = {} packages; {} × {} = {}\n",
                         Thousands(p.billable), Thousands(c.package_size), Thousands(p.packages),
                         Thousands(p.packages), PriceText(c.package_price, cur), exact);
    case catalog::ChargeModel::kGraduated:
    case catalog::ChargeModel::kVolume: {
      bool graduated = c.model == catalog::ChargeModel::kGraduated;
      std::string out = graduated ? "   graduated: each tier prices the units that fall in it\n"
                                  : "   volume: every unit at the price of the tier the total falls in\n";
      for (size_t i = 0; i < p.tiers.size(); ++i) {
        const TierAmount& t = p.tiers[i];
        std::string flat = t.flat_price.IsZero() ? "" : fmt::format(" + flat {}", PriceText(t.flat_price, cur));
        out += fmt::format("     tier {} ({}, {} each{}): ", i + 1, TierRange(t), PriceText(t.unit_price, cur), flat);
        out += t.applied ? fmt::format("{} × {}{} = {}\n", Thousands(t.quantity), PriceText(t.unit_price, cur), flat,
                                       Thousands(t.amount))
                         : "not applied\n";
      }
      return out + fmt::format("     sum of tiers = {}\n", exact);
    }
  }
  return "";
}

std::string ExplainUsage(const InvoiceLine& l, const std::string& cur) {
  std::string out;
  if (l.events >= 0)
    out += fmt::format("   events taken: {} ({} event{})\n", l.condition.empty() ? "all of the meter's" : l.condition,
                       l.events, l.events == 1 ? "" : "s");
  out += fmt::format("   quantity: {} in {} = {}\n", l.source, Span(l.period), Thousands(l.quantity));
  if (!l.overage)
    out += fmt::format("   plan '{}' has no overage: units beyond the {} included are not billed; billable = {}\n",
                       l.plan, Thousands(l.charge.included), Thousands(l.priced.billable));
  else
    out += fmt::format("   included {}: billable = max(0, {} - {}) = {}\n", Thousands(l.charge.included),
                       Thousands(l.quantity), Thousands(l.charge.included), Thousands(l.priced.billable));
  out += ExplainModel(l, cur);
  out += fmt::format("   amount = {} rounded to the minor unit = {}\n", Thousands(l.priced.exact_amount),
                     MoneyText(l.amount, cur));
  return out;
}

std::string ExplainAdjustment(const InvoiceLine& l, const std::string& cur) {
  if (!l.adjusts) return "";
  const AdjustmentRef& a = *l.adjusts;
  std::string which = a.line < 0 ? std::string("a slice it did not bill") : fmt::format("line {}", a.line + 1);
  std::string out = fmt::format(
      "   late usage for {} (invoice {}, {}): events recorded after it was finalized\n"
      "   quantity now: {} in {} = {}; billed so far: {}; difference {}\n",
      a.month, a.invoice_number.empty() ? a.invoice_id : a.invoice_number, which, l.source, Span(l.period),
      Thousands(a.quantity_after), Thousands(a.quantity_before), Thousands(l.quantity));
  out += fmt::format("   re-priced under the terms of that {}: {} now bills {}\n", a.line < 0 ? "slice" : "line",
                     Thousands(a.quantity_after),
                     MoneyText(a.amount_after, cur));
  out += fmt::format("   amount = {} - {} billed so far = {}\n", MoneyText(a.amount_after, cur),
                     MoneyText(a.amount_before, cur), MoneyText(l.amount, cur));
  return out;
}

// A coupon line: what was left before it and what it took (SPEC 11: each
// coupon applies to what the ones before it left).
std::string ExplainCoupon(const Invoice& inv, size_t index) {
  const std::string& cur = inv.currency;
  Decimal left = inv.subtotal;
  for (size_t i = 0; i < index; ++i)
    if (inv.lines[i].kind == LineKind::kCoupon) left = left + inv.lines[i].amount;
  const InvoiceLine& l = inv.lines[index];
  return fmt::format("   applied to what was left of the subtotal, {}: takes off {}, leaving {}\n", MoneyText(left, cur),
                     MoneyText(l.amount.Negated(), cur), MoneyText(left + l.amount, cur));
}

std::string ExplainTotals(const Invoice& inv) {
  const std::string& cur = inv.currency;
  std::string sum;
  for (const auto& l : inv.lines)
    if (l.kind != LineKind::kCoupon) sum += (sum.empty() ? "" : " + ") + MoneyText(l.amount, cur);
  std::string out = fmt::format("subtotal = {} = {}\n", sum.empty() ? "0" : sum, MoneyText(inv.subtotal, cur));
  if (!inv.discounts.empty()) {
    std::string off;
    for (const auto& d : inv.discounts) off += " - " + MoneyText(d.amount, cur);
    out += fmt::format("discounted subtotal = {}{} = {}\n", MoneyText(inv.subtotal, cur), off,
                       MoneyText(inv.discounted_subtotal, cur));
  }
  out += fmt::format("tax ({}, {}) = {} × {} rounded once = {}\n", inv.tax_name.empty() ? "Tax" : inv.tax_name,
                     PercentText(inv.tax_rate), MoneyText(inv.discounted_subtotal, cur), inv.tax_rate.ToString(),
                     MoneyText(inv.tax, cur));
  out += fmt::format("total = {} + {} = {} {}\n", MoneyText(inv.discounted_subtotal, cur), MoneyText(inv.tax, cur),
                     cur, MoneyText(inv.total, cur));
  if (inv.credits_applied.IsZero() && inv.credit_notes.empty()) return out;
  std::string less;
  if (!inv.credits_applied.IsZero()) less += " - " + MoneyText(inv.credits_applied, cur) + " prepaid credits";
  for (const auto& n : inv.credit_notes) less += fmt::format(" - {} credit note {}", MoneyText(n.total, cur), n.number);
  out += fmt::format("amount due = {}{} = {} {}\n", MoneyText(inv.total, cur), less, cur, MoneyText(inv.amount_due, cur));
  return out;
}

}  // namespace

std::string RenderExplain(const Invoice& inv) {
  std::string out = fmt::format("Invoice {} for {}, {} ({}), status {}\n\n", InvoiceTitle(inv), inv.tenant,
                                inv.period.month, PeriodText(inv), inv.status);
  for (size_t i = 0; i < inv.lines.size(); ++i) {
    const InvoiceLine& l = inv.lines[i];
    out += fmt::format("{}. {}: {}\n", i + 1, l.description, MoneyText(l.amount, inv.currency));
    if (l.kind == LineKind::kBase) out += ExplainBase(l, inv.currency);
    if (l.kind == LineKind::kUsage) out += ExplainUsage(l, inv.currency);
    if (l.kind == LineKind::kAdjustment) out += ExplainAdjustment(l, inv.currency);
    if (l.kind == LineKind::kCoupon) out += ExplainCoupon(inv, i);
    if (l.kind == LineKind::kAnnualCredit)
      out += fmt::format("   unused days of the plan year of '{}': {} × {} / {} = {} (rounded once)\n", l.plan,
                         PriceText(l.base_price, inv.currency), l.days, l.days_in_period, MoneyText(l.amount, inv.currency));
    if (l.kind == LineKind::kCommitment)
      out += fmt::format("   commitment in force {} (each plan's minimum_commitment prorated by its paid days, exact),\n"
                         "   less the base price and usage lines, rounded once = {}\n",
                         PriceText(l.base_price, inv.currency), MoneyText(l.amount, inv.currency));
    out += "\n";
  }
  out += ExplainTotals(inv);
  out += fmt::format("\nThe quantities come from the stored events; list them with\n"
                     "  meter report usage --tenant {} --period {} --by meter\n",
                     inv.tenant, inv.period.month);
  return out;
}

}  // namespace meter::billing
