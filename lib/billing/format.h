// Internal to lib/billing: how periods, taxes and line details are written,
// shared by the renderers and --explain so every output spells them alike.
// Numbers and amounts come from lib/core (format.h for people, money.h and
// json_util.h for machines).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "billing/invoice.h"
#include "core/decimal.h"
#include "core/format.h"
#include "core/money.h"

namespace meter::billing {

// "INV-2026-000001", or "inv_acme_2026-02 (draft)".
std::string InvoiceTitle(const Invoice& inv);
// "2026-02-01 to 2026-02-28" (plus the zone when not UTC).
std::string PeriodText(const Invoice& inv);
// "VAT 10%".
std::string TaxLabel(const Invoice& inv);
// The rows under the line table, label and signed amount: subtotal, the
// discounts and discounted subtotal when a coupon took something off, tax,
// total, then prepaid credits, each credit note and the amount due when
// credits or notes reduced it (SPEC 11).
std::vector<std::pair<std::string, Decimal>> SummaryRows(const Invoice& inv);
// "Please pay USD 24.75 by 2026-03-15 ..." or what the status says instead.
std::string PaymentNote(const Invoice& inv);
// What this invoice gives the tenant as prepaid credit instead of billing it,
// one sentence each: a negative subtotal carried forward, and an annual
// plan's unused days held in that plan's currency. Empty when neither.
std::vector<std::string> CreditGrantNotes(const Invoice& inv);
// Which units a tier covers: "first 100", "over 100 up to 500", "over 500".
std::string TierRange(const TierAmount& t);
// The detail lines printed under a line: allowance, packages, tiers applied,
// what an adjustment corrects.
std::vector<std::string> LineDetails(const InvoiceLine& l, std::string_view currency);

// A line's quantity as people read it: thousands grouped, then the meter's
// unit when it has one ("1,500 tokens").
std::string QuantityText(const InvoiceLine& l);

// Characters shown (UTF-8 code points).
size_t DisplayWidth(std::string_view s);
std::string CsvField(std::string_view s);
std::string HtmlEscape(std::string_view s);
std::string MdEscape(std::string_view s);

}  // namespace meter::billing
