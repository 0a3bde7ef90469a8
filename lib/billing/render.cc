#include "billing/render.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "billing/format.h"
#include "core/json_util.h"
#include "core/money.h"

namespace meter::billing {
namespace {

// One row of the line table, as text cells.
struct Row {
  std::string description, quantity, unit_price, amount;
  std::vector<std::string> details;
};

std::vector<Row> Rows(const Invoice& inv) {
  std::vector<Row> rows;
  for (const auto& l : inv.lines)
    rows.push_back({l.description, QuantityText(l),
                    l.unit_price ? PriceText(*l.unit_price, inv.currency) : "", MoneyText(l.amount, inv.currency),
                    LineDetails(l, inv.currency)});
  return rows;
}

std::vector<std::pair<std::string, std::string>> Totals(const Invoice& inv) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [label, amount] : SummaryRows(inv)) out.push_back({label, MoneyText(amount, inv.currency)});
  return out;
}

std::string Pad(const std::string& s, size_t width, bool right) {
  size_t w = DisplayWidth(s);
  std::string pad(width > w ? width - w : 0, ' ');
  return right ? pad + s : s + pad;
}

std::string TextHeader(const Invoice& inv) {
  std::string out = fmt::format("INVOICE {}\n", InvoiceTitle(inv));
  if (inv.number.empty()) out += "DRAFT: not yet issued; amounts may change until it is finalized\n";
  if (inv.status == "void") out += fmt::format("VOID: {}\n", inv.void_reason);
  out += "\n";
  if (!inv.seller_name.empty()) {
    out += fmt::format("From:     {}\n", inv.seller_name);
    if (!inv.seller_address.empty()) out += fmt::format("          {}\n", inv.seller_address);
  }
  out += fmt::format("Bill to:  {} ({})\n", inv.tenant_name.empty() ? inv.tenant : inv.tenant_name, inv.tenant);
  if (!inv.tenant_email.empty()) out += fmt::format("          {}\n", inv.tenant_email);
  out += fmt::format("\nPeriod:   {}\nIssued:   {}\nDue:      {}\nStatus:   {}\n\n", PeriodText(inv), inv.issue_date,
                     inv.due_date, inv.status);
  return out;
}

}  // namespace

std::string RenderText(const Invoice& inv) {
  std::vector<Row> rows = Rows(inv);
  size_t wd = 11, wq = 8, wp = 10, wa = 6;
  for (const auto& r : rows) {
    wd = std::max(wd, DisplayWidth(r.description));
    for (const auto& d : r.details) wd = std::max(wd, DisplayWidth(d) + 2);
    wq = std::max(wq, r.quantity.size());
    wp = std::max(wp, r.unit_price.size());
    wa = std::max(wa, r.amount.size());
  }
  for (const auto& [label, amount] : Totals(inv)) wa = std::max(wa, amount.size());
  size_t width = wd + wq + wp + wa + 6;
  std::string out = TextHeader(inv);
  out += fmt::format("{}  {}  {}  {}\n{}\n", Pad("Description", wd, false), Pad("Quantity", wq, true),
                     Pad("Unit price", wp, true), Pad("Amount", wa, true), std::string(width, '-'));
  for (const auto& r : rows) {
    out += fmt::format("{}  {}  {}  {}\n", Pad(r.description, wd, false), Pad(r.quantity, wq, true),
                       Pad(r.unit_price, wp, true), Pad(r.amount, wa, true));
    for (const auto& d : r.details) out += "  " + d + "\n";
  }
  out += std::string(width, '-') + "\n";
  for (const auto& [label, amount] : Totals(inv))
    out += fmt::format("{}  {}\n", Pad(label, width - wa - 2, true), Pad(amount, wa, true));
  out += "\n" + PaymentNote(inv) + "\n";
  for (const auto& note : CreditGrantNotes(inv)) out += note + "\n";
  return out;
}

std::string RenderJson(const Invoice& inv) { return DumpJson(InvoiceToJson(inv), 2) + "\n"; }

std::string RenderCsv(const Invoice& inv) {
  std::string out = "line,kind,description,meter,plan,period_start,period_end,quantity,included,billable,"
                    "unit_price,amount\r\n";
  for (size_t i = 0; i < inv.lines.size(); ++i) {
    const InvoiceLine& l = inv.lines[i];
    bool usage = l.kind == LineKind::kUsage || l.kind == LineKind::kAdjustment;
    std::vector<std::string> cells = {
        std::to_string(i + 1), std::string(LineKindName(l.kind)), l.description, l.meter, l.plan,
        FormatRfc3339(l.period.start), FormatRfc3339(l.period.end), l.quantity.ToString(),
        usage ? l.charge.included.ToString() : "", usage && l.kind == LineKind::kUsage ? l.priced.billable.ToString() : "",
        l.unit_price ? l.unit_price->ToString() : "", MoneyString(l.amount, inv.currency)};
    std::string row;
    for (size_t c = 0; c < cells.size(); ++c) row += (c ? "," : "") + CsvField(cells[c]);
    out += row + "\r\n";
  }
  return out;
}

std::string RenderMarkdown(const Invoice& inv) {
  std::string out = fmt::format("# Invoice {}\n\n", MdEscape(InvoiceTitle(inv)));
  if (inv.number.empty()) out += "> **Draft**: not yet issued; amounts may change until it is finalized.\n\n";
  if (inv.status == "void") out += fmt::format("> **Void**: {}\n\n", MdEscape(inv.void_reason));
  if (!inv.seller_name.empty())
    out += fmt::format("**From:** {}{}  \n", MdEscape(inv.seller_name),
                       inv.seller_address.empty() ? "" : ", " + MdEscape(inv.seller_address));
  out += fmt::format("**Bill to:** {} ({}){}  \n", MdEscape(inv.tenant_name.empty() ? inv.tenant : inv.tenant_name),
                     MdEscape(inv.tenant), inv.tenant_email.empty() ? "" : ", " + MdEscape(inv.tenant_email));
  out += fmt::format("**Period:** {}  \n**Issued:** {}  \n**Due:** {}  \n**Status:** {}\n\n", PeriodText(inv),
                     inv.issue_date, inv.due_date, inv.status);
  out += "| Description | Quantity | Unit price | Amount |\n| --- | ---: | ---: | ---: |\n";
  for (const auto& r : Rows(inv)) {
    std::string desc = MdEscape(r.description);
    for (const auto& d : r.details) desc += "<br>" + MdEscape(d);
    out += fmt::format("| {} | {} | {} | {} |\n", desc, r.quantity, r.unit_price, r.amount);
  }
  for (const auto& [label, amount] : Totals(inv))
    out += fmt::format("| | | **{}** | **{}** |\n", MdEscape(label), amount);
  out += "\n" + MdEscape(PaymentNote(inv)) + "\n";
  for (const auto& note : CreditGrantNotes(inv)) out += "\n" + MdEscape(note) + "\n";
  return out;
}

Result<std::string> Render(const Invoice& inv, std::string_view format) {
  if (format == "text" || format.empty()) return RenderText(inv);
  if (format == "json") return RenderJson(inv);
  if (format == "csv") return RenderCsv(inv);
  if (format == "md" || format == "markdown") return RenderMarkdown(inv);
  if (format == "html") return RenderHtml(inv);
  return Status::InvalidArgument(fmt::format("unknown format '{}' (text, json, csv, md, html)", format));
}

}  // namespace meter::billing
