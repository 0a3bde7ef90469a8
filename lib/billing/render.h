// Renderers: an invoice as text a person would mail, JSON, CSV of its lines,
// Markdown, a printable self-contained HTML page, and --explain. Each returns
// the whole document as a string (lib/ prints nothing).
#pragma once

#include <string>
#include <string_view>

#include "billing/invoice.h"
#include "core/status.h"

namespace meter::billing {

// Plain text: seller, customer, period, issue and due dates, lines with tier
// and allowance details, subtotal, tax, total and a payment note.
std::string RenderText(const Invoice& inv);

// The invoice JSON of SPEC section 7, pretty-printed.
std::string RenderJson(const Invoice& inv);

// RFC 4180 CSV, one row per line: line, kind, description, meter, plan,
// period_start, period_end, quantity, included, billable, unit_price, amount.
std::string RenderCsv(const Invoice& inv);

// Markdown with a line table and totals.
std::string RenderMarkdown(const Invoice& inv);

// One printable HTML page with inline CSS and nothing fetched from the
// network: seller, customer, period, line table, totals, due date.
std::string RenderHtml(const Invoice& inv);

// Per line, how the quantity was measured and how the amount follows from
// it, down to each tier; then subtotal, tax and total.
std::string RenderExplain(const Invoice& inv);

// Renders in `format` (text, json, csv, md, html); InvalidArgument otherwise.
Result<std::string> Render(const Invoice& inv, std::string_view format);

}  // namespace meter::billing
