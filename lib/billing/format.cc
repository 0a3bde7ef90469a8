#include "billing/format.h"

#include <fmt/format.h>


namespace meter::billing {

std::string InvoiceTitle(const Invoice& inv) {
  return inv.number.empty() ? inv.id + " (draft)" : inv.number;
}

std::string PeriodText(const Invoice& inv) {
  std::string text = fmt::format("{} to {}", inv.period.first_day, inv.period.last_day);
  if (!inv.period.timezone.empty()) text += fmt::format(" ({})", inv.period.timezone);
  return text;
}

std::string TaxLabel(const Invoice& inv) {
  return fmt::format("{} {}", inv.tax_name.empty() ? "Tax" : inv.tax_name, PercentText(inv.tax_rate));
}

std::vector<std::pair<std::string, Decimal>> SummaryRows(const Invoice& inv) {
  std::vector<std::pair<std::string, Decimal>> rows = {{"Subtotal", inv.subtotal}};
  if (!inv.discounts.empty()) {
    Decimal off = inv.subtotal - inv.discounted_subtotal;
    rows.push_back({"Discounts", off.Negated()});
    rows.push_back({"Discounted subtotal", inv.discounted_subtotal});
  }
  rows.push_back({TaxLabel(inv), inv.tax});
  rows.push_back({fmt::format("Total ({})", inv.currency), inv.total});
  if (inv.credits_applied.IsZero() && inv.credit_notes.empty()) return rows;
  if (!inv.credits_applied.IsZero()) rows.push_back({"Prepaid credits", inv.credits_applied.Negated()});
  for (const auto& n : inv.credit_notes) rows.push_back({"Credit note " + n.number, n.total.Negated()});
  rows.push_back({fmt::format("Amount due ({})", inv.currency), inv.amount_due});
  return rows;
}

std::string PaymentNote(const Invoice& inv) {
  std::string total = CurrencyAmount(inv.amount_due, inv.currency);
  if (inv.status == "draft") return "This is a draft: it is numbered and issued when finalized.";
  if (inv.status == "paid")
    return fmt::format("Paid{}. Thank you.", inv.paid_at ? " on " + FormatDate(*inv.paid_at) : "");
  if (inv.status == "void") return "This invoice is void: nothing is due.";
  if (inv.status == "overdue")
    return fmt::format("This invoice is overdue: {} was due on {}. Please pay now, quoting {}.", total, inv.due_date,
                       inv.number);
  return fmt::format("Please pay {} by {}, quoting {}.", total, inv.due_date, inv.number);
}

std::vector<std::string> CreditGrantNotes(const Invoice& inv) {
  std::vector<std::string> notes;
  std::string_view when = inv.number.empty() ? "will be" : "is";
  if (!inv.carried_credit.IsZero())
    notes.push_back(fmt::format("The lines come to {} below zero: that {} granted as prepaid credit for the next "
                                "invoices.",
                                CurrencyAmount(inv.carried_credit, inv.currency), when));
  if (const auto& h = inv.held_credit)
    notes.push_back(fmt::format("{}: {} {} granted as prepaid credit in {}, for the next invoices in that currency.",
                                h->description, CurrencyAmount(h->amount, h->currency), when, h->currency));
  return notes;
}

std::string TierRange(const TierAmount& t) {
  if (t.from.IsZero()) return t.up_to ? fmt::format("first {}", Thousands(*t.up_to)) : "all units";
  if (!t.up_to) return fmt::format("over {}", Thousands(t.from));
  return fmt::format("over {} up to {}", Thousands(t.from), Thousands(*t.up_to));
}

namespace {

std::string TierDetail(const TierAmount& t, std::string_view currency) {
  std::string flat = t.flat_price.IsZero() ? "" : fmt::format(" + flat {}", PriceText(t.flat_price, currency));
  return fmt::format("{}: {} × {}{} = {}", TierRange(t), Thousands(t.quantity), PriceText(t.unit_price, currency),
                     flat, Thousands(t.amount));
}

std::vector<std::string> UsageDetails(const InvoiceLine& l, std::string_view currency) {
  std::vector<std::string> out;
  const PricedCharge& p = l.priced;
  if (!l.overage && l.quantity > l.charge.included)
    out.push_back(fmt::format("no overage on this plan: nothing is billed beyond the {} included",
                              Thousands(l.charge.included)));
  else if (!l.charge.included.IsZero())
    out.push_back(fmt::format("{} used, {} included, {} billable", Thousands(l.quantity),
                              Thousands(l.charge.included), Thousands(p.billable)));
  if (l.charge.model == catalog::ChargeModel::kPackage && !p.packages.IsZero())
    out.push_back(fmt::format("{} packages of {} at {}", Thousands(p.packages), Thousands(l.charge.package_size),
                              PriceText(l.charge.package_price, currency)));
  for (const auto& t : p.tiers)
    if (t.applied) out.push_back(TierDetail(t, currency));
  return out;
}

}  // namespace

std::string QuantityText(const InvoiceLine& l) {
  std::string q = Thousands(l.quantity);
  return l.unit.empty() ? q : q + " " + l.unit;
}

std::vector<std::string> LineDetails(const InvoiceLine& l, std::string_view currency) {
  if (l.kind == LineKind::kCoupon) return {};
  if (l.kind == LineKind::kCommitment)
    return {fmt::format("commitment in force {}, less the base and usage lines", PriceText(l.base_price, currency))};
  if (l.kind == LineKind::kBase || l.kind == LineKind::kAnnualCredit) {
    if (l.days == l.days_in_period) return {};
    return {fmt::format("{} × {} / {} days", PriceText(l.base_price, currency), l.days, l.days_in_period)};
  }
  if (l.kind == LineKind::kAdjustment && l.adjusts) {
    const AdjustmentRef& a = *l.adjusts;
    std::string which = a.line < 0 ? std::string(", a slice it did not bill") : fmt::format(" line {}", a.line + 1);
    return {fmt::format("corrects {}{}: {} billed for {}, now {} for {}",
                        a.invoice_number.empty() ? a.invoice_id : a.invoice_number, which,
                        Thousands(a.quantity_before), MoneyText(a.amount_before, currency),
                        Thousands(a.quantity_after), MoneyText(a.amount_after, currency))};
  }
  return UsageDetails(l, currency);
}

size_t DisplayWidth(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xc0) != 0x80) ++n;
  return n;
}

std::string CsvField(std::string_view s) {
  if (s.find_first_of(",\"\n\r") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string HtmlEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string MdEscape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|' || c == '*' || c == '_' || c == '`' || c == '\\' || c == '<' || c == '>' || c == '[' || c == ']')
      out += '\\';
    out += c;
  }
  return out;
}

}  // namespace meter::billing
