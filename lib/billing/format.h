// Internal to lib/billing: how amounts, quantities, periods and line details
// are written, shared by the JSON document, the renderers and --explain so
// every output spells them alike.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "billing/invoice.h"
#include "core/decimal.h"

namespace meter::billing {

// "24.75": the currency's minor-unit places, no grouping (JSON, CSV).
std::string MoneyPlain(const Decimal& d, std::string_view currency);
// A price with its own precision but at least the minor unit ("99.00", "0.002").
std::string PricePlain(const Decimal& d, std::string_view currency);
// For people: grouped in thousands ("1,234.50", "5,000", "0.002").
std::string MoneyText(const Decimal& d, std::string_view currency);
std::string PriceText(const Decimal& d, std::string_view currency);
std::string QuantityText(const Decimal& q);
// A rate as a percentage: 0.1 -> "10%", 0.075 -> "7.5%".
std::string PercentText(const Decimal& rate);

// "INV-2026-000001", or "inv_acme_2026-02 (draft)".
std::string InvoiceTitle(const Invoice& inv);
// "2026-02-01 to 2026-02-28" (plus the zone when not UTC).
std::string PeriodText(const Invoice& inv);
// "VAT 10%".
std::string TaxLabel(const Invoice& inv);
// "Please pay USD 24.75 by 2026-03-15 ..." or what the status says instead.
std::string PaymentNote(const Invoice& inv);
// Which units a tier covers: "first 100", "over 100 up to 500", "over 500".
std::string TierRange(const TierAmount& t);
// The detail lines printed under a line: allowance, packages, tiers applied,
// what an adjustment corrects.
std::vector<std::string> LineDetails(const InvoiceLine& l, std::string_view currency);

// Characters shown (UTF-8 code points).
size_t DisplayWidth(std::string_view s);
std::string CsvField(std::string_view s);
std::string HtmlEscape(std::string_view s);
std::string MdEscape(std::string_view s);

}  // namespace meter::billing
