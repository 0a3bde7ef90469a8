// RenderHtml: one printable page, inline CSS, no scripts, nothing fetched.
#include <fmt/format.h>

#include "billing/format.h"
#include "billing/render.h"

namespace meter::billing {
namespace {

constexpr const char* kStyle = R"(
  body { font: 14px/1.45 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1d2329; margin: 0; }
  .page { max-width: 800px; margin: 32px auto; padding: 40px 48px; background: #fff; }
  header { display: flex; justify-content: space-between; align-items: flex-start; }
  h1 { font-size: 28px; letter-spacing: 0.08em; margin: 0 0 4px; }
  .number { font-size: 16px; color: #4a5560; }
  .badge { display: inline-block; padding: 2px 10px; border-radius: 10px; font-size: 12px;
           text-transform: uppercase; letter-spacing: 0.05em; background: #e8edf2; }
  .badge.paid { background: #d9f2e3; color: #16623a; } .badge.overdue { background: #fde2e1; color: #9b1c1c; }
  .badge.void { background: #eee; color: #666; } .badge.draft { background: #fff4d6; color: #7a5b00; }
  .parties { display: flex; gap: 48px; margin: 32px 0 24px; }
  .parties h2, .dates h2 { font-size: 11px; text-transform: uppercase; letter-spacing: 0.08em; color: #6b7680;
                           margin: 0 0 4px; }
  .dates { display: flex; gap: 48px; margin-bottom: 28px; }
  table { width: 100%; border-collapse: collapse; }
  th { text-align: left; font-size: 11px; text-transform: uppercase; letter-spacing: 0.06em; color: #6b7680;
       border-bottom: 2px solid #1d2329; padding: 6px 8px; }
  td { padding: 8px; border-bottom: 1px solid #e3e7eb; vertical-align: top; }
  .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
  .detail { color: #6b7680; font-size: 12px; }
  .totals td { border: none; padding: 4px 8px; }
  .totals .grand td { font-weight: 700; font-size: 16px; border-top: 2px solid #1d2329; padding-top: 8px; }
  .note { margin-top: 32px; padding: 12px 16px; background: #f4f6f8; border-radius: 6px; }
  .void-banner { color: #9b1c1c; font-weight: 700; }
  /* Printed, an invoice of a dozen models by a few projects (40 lines) fits one page. */
  @page { margin: 12mm; }
  @media print {
    .page { margin: 0; padding: 0; max-width: none; }
    body { font-size: 10px; line-height: 1.25; }
    h1 { font-size: 20px; }
    .parties { margin: 10px 0 8px; } .dates { margin-bottom: 10px; }
    th { padding: 3px 6px; font-size: 9px; } td { padding: 2px 6px; }
    .detail { font-size: 9px; }
    .totals td { padding: 1px 6px; } .totals .grand td { font-size: 12px; padding-top: 4px; }
    .note { margin-top: 10px; padding: 6px 10px; }
    tr { break-inside: avoid; } thead { display: table-header-group; }
  }
)";

std::string Parties(const Invoice& inv) {
  std::string out = "<section class=\"parties\">";
  if (!inv.seller_name.empty())
    out += fmt::format("<div><h2>From</h2><div>{}</div><div>{}</div></div>", HtmlEscape(inv.seller_name),
                       HtmlEscape(inv.seller_address));
  out += fmt::format("<div><h2>Bill to</h2><div><strong>{}</strong> ({})</div><div>{}</div></div></section>",
                     HtmlEscape(inv.tenant_name.empty() ? inv.tenant : inv.tenant_name), HtmlEscape(inv.tenant),
                     HtmlEscape(inv.tenant_email));
  out += fmt::format("<section class=\"dates\"><div><h2>Period</h2>{}</div><div><h2>Issue date</h2>{}</div>"
                     "<div><h2>Due date</h2>{}</div></section>",
                     HtmlEscape(PeriodText(inv)), inv.issue_date, inv.due_date);
  return out;
}

std::string LineRows(const Invoice& inv) {
  std::string out;
  for (const auto& l : inv.lines) {
    std::string desc = HtmlEscape(l.description);
    for (const auto& d : LineDetails(l, inv.currency)) desc += "<div class=\"detail\">" + HtmlEscape(d) + "</div>";
    out += fmt::format("<tr><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                       desc, HtmlEscape(QuantityText(l)), l.unit_price ? PriceText(*l.unit_price, inv.currency) : "",
                       MoneyText(l.amount, inv.currency));
  }
  return out;
}

std::string TotalRows(const Invoice& inv) {
  auto row = [](const std::string& cls, const std::string& label, const std::string& amount) {
    return fmt::format("<tr class=\"{}\"><td></td><td></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                       cls, HtmlEscape(label), amount);
  };
  std::string out;
  for (const auto& [label, amount] : SummaryRows(inv)) {
    bool grand = label.starts_with("Total") || label.starts_with("Amount due");
    std::string text = label;
    if (grand) std::erase_if(text, [](char c) { return c == '(' || c == ')'; });  // "Total USD"
    out += row(grand ? "grand" : "", text, MoneyText(amount, inv.currency));
  }
  return out;
}

}  // namespace

std::string RenderHtml(const Invoice& inv) {
  std::string title = InvoiceTitle(inv);
  std::string out = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Invoice {}</title>\n"
      "<style>{}</style>\n</head>\n<body>\n<main class=\"page\">\n<header><div><h1>INVOICE</h1>"
      "<div class=\"number\">{}</div></div><span class=\"badge {}\">{}</span></header>\n",
      HtmlEscape(title), kStyle, HtmlEscape(title), HtmlEscape(inv.status), HtmlEscape(inv.status));
  if (inv.status == "void")
    out += fmt::format("<p class=\"void-banner\">Void: {}</p>\n", HtmlEscape(inv.void_reason));
  out += Parties(inv);
  out += "\n<table>\n<thead><tr><th>Description</th><th class=\"num\">Quantity</th><th class=\"num\">Unit price</th>"
         "<th class=\"num\">Amount</th></tr></thead>\n<tbody>\n";
  out += LineRows(inv);
  out += "</tbody>\n<tbody class=\"totals\">\n" + TotalRows(inv) + "</tbody>\n</table>\n";
  out += fmt::format("<p class=\"note\">{}</p>\n", HtmlEscape(PaymentNote(inv)));
  for (const auto& note : CreditGrantNotes(inv)) out += fmt::format("<p class=\"note\">{}</p>\n", HtmlEscape(note));
  out += "</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace meter::billing
