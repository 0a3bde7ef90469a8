// RenderCreditNote: a credit note in each invoice format (SPEC 11).
#include <fmt/format.h>

#include "billing/credit_notes.h"
#include "billing/format.h"
#include "core/json_util.h"
#include "core/money.h"

namespace meter::billing {
namespace {

// Label and amount rows under the credited lines.
std::vector<std::pair<std::string, std::string>> Totals(const CreditNote& n) {
  return {{"Credited", MoneyText(n.amount, n.currency)},
          {fmt::format("Tax {}", PercentText(n.tax_rate)), MoneyText(n.tax, n.currency)},
          {fmt::format("Total ({})", n.currency), MoneyText(n.total, n.currency)}};
}

std::string Settlement(const CreditNote& n) {
  if (n.refunded) return "Refunded to the customer.";
  if (!n.grant_id.empty()) return fmt::format("Added to the customer's prepaid credit (grant {}).", n.grant_id);
  return fmt::format("Deducted from the amount due on invoice {}.", n.invoice_number);
}

std::string Text(const CreditNote& n) {
  std::string out = fmt::format("CREDIT NOTE {}\n\nInvoice:  {}\nTenant:   {}\nIssued:   {}\nReason:   {}\n\n", n.number,
                                n.invoice_number, n.tenant, FormatDate(n.created_at), n.reason);
  size_t wd = 11;
  for (const auto& l : n.lines) wd = std::max(wd, DisplayWidth(l.description) + 6);
  out += fmt::format("{:<{}}  {:>12}\n{}\n", "Description", wd, "Amount", std::string(wd + 14, '-'));
  for (const auto& l : n.lines) {
    std::string desc = fmt::format("{:>3}. {}", l.line, l.description);
    out += desc + std::string(wd > DisplayWidth(desc) ? wd - DisplayWidth(desc) : 0, ' ') +
           fmt::format("  {:>12}\n", MoneyText(l.amount, n.currency));
  }
  out += std::string(wd + 14, '-') + "\n";
  for (const auto& [label, amount] : Totals(n)) out += fmt::format("{:>{}}  {:>12}\n", label, wd, amount);
  return out + "\n" + Settlement(n) + "\n";
}

std::string Csv(const CreditNote& n) {
  std::string out = "credit_note,invoice,line,description,amount\r\n";
  for (const auto& l : n.lines)
    out += fmt::format("{},{},{},{},{}\r\n", CsvField(n.number), CsvField(n.invoice_number), l.line,
                       CsvField(l.description), MoneyString(l.amount, n.currency));
  return out;
}

std::string Markdown(const CreditNote& n) {
  std::string out = fmt::format("# Credit note {}\n\n**Invoice:** {}  \n**Tenant:** {}  \n**Issued:** {}  \n**Reason:** {}\n\n",
                                MdEscape(n.number), MdEscape(n.invoice_number), MdEscape(n.tenant),
                                FormatDate(n.created_at), MdEscape(n.reason));
  out += "| Line | Description | Amount |\n| ---: | --- | ---: |\n";
  for (const auto& l : n.lines)
    out += fmt::format("| {} | {} | {} |\n", l.line, MdEscape(l.description), MoneyText(l.amount, n.currency));
  for (const auto& [label, amount] : Totals(n)) out += fmt::format("| | **{}** | **{}** |\n", MdEscape(label), amount);
  return out + "\n" + MdEscape(Settlement(n)) + "\n";
}

std::string Html(const CreditNote& n) {
  std::string rows;
  for (const auto& l : n.lines)
    rows += fmt::format("<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td></tr>\n", l.line, HtmlEscape(l.description),
                        MoneyText(l.amount, n.currency));
  for (const auto& [label, amount] : Totals(n))
    rows += fmt::format("<tr class=\"total\"><td></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
                        HtmlEscape(label), amount);
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>Credit note {0}</title>\n"
      "<style>body{{font:14px/1.45 Helvetica,Arial,sans-serif;color:#1d2329;max-width:800px;margin:32px auto}}"
      "table{{width:100%;border-collapse:collapse}}td,th{{padding:6px 8px;border-bottom:1px solid #e3e7eb}}"
      ".num{{text-align:right}}.total td{{border:none;font-weight:600}}"
      "@media print{{body{{margin:0}}}}</style>\n</head>\n<body>\n<h1>CREDIT NOTE</h1>\n<p>{0}</p>\n"
      "<p>Invoice {1} &middot; {2} &middot; issued {3}</p>\n<p>Reason: {4}</p>\n<table>\n"
      "<thead><tr><th>Line</th><th>Description</th><th class=\"num\">Amount</th></tr></thead>\n<tbody>\n{5}</tbody>\n"
      "</table>\n<p>{6}</p>\n</body>\n</html>\n",
      HtmlEscape(n.number), HtmlEscape(n.invoice_number), HtmlEscape(n.tenant), FormatDate(n.created_at),
      HtmlEscape(n.reason), rows, HtmlEscape(Settlement(n)));
}

}  // namespace

Result<std::string> RenderCreditNote(const CreditNote& n, std::string_view format) {
  if (format == "text" || format.empty()) return Text(n);
  if (format == "json") return DumpJson(CreditNoteToJson(n), 2) + "\n";
  if (format == "csv") return Csv(n);
  if (format == "md" || format == "markdown") return Markdown(n);
  if (format == "html") return Html(n);
  return Status::InvalidArgument(fmt::format("unknown format '{}' (text, json, csv, md, html)", format));
}

}  // namespace meter::billing
