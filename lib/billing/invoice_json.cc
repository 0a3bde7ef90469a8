// InvoiceToJson: the invoice as the JSON of SPEC section 7, rendered from the
// Invoice at the edge (--json, `invoice show --format json`, webhook
// payloads). It is not how invoices are stored (billing/invoice_record.h),
// though both take the fields beyond the typed columns from the same
// attribute tables.
#include <algorithm>

#include "billing/invoice.h"
#include "billing/invoice_record.h"
#include "core/json_util.h"
#include "core/money.h"

namespace meter::billing {
namespace {

using nlohmann::json;

json OptionalTime(const std::optional<Timestamp>& t) { return t ? json(FormatRfc3339(*t)) : json(nullptr); }

json OptionalText(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json LineJson(const InvoiceLine& l, const std::string& currency) {
  json j = {{"kind", LineKindName(l.kind)}, {"description", l.description}, {"meter", OptionalText(l.meter)},
            {"plan", l.plan}, {"period_start", FormatRfc3339(l.period.start)},
            {"period_end", FormatRfc3339(l.period.end)}, {"quantity", JsonNumber(l.quantity)},
            {"unit_price", l.unit_price ? json(PriceString(*l.unit_price, currency)) : json(nullptr)},
            {"amount", MoneyString(l.amount, currency)}};
  AddLineAttributes(l, currency, j);
  // SPEC section 10: every line says its filter and group, null when none.
  for (const char* key : {"filter", "group"})
    if (!j.contains(key)) j[key] = nullptr;
  return j;
}

}  // namespace

json InvoiceLinesJson(const Invoice& inv) {
  json lines = json::array();
  for (const auto& l : inv.lines) lines.push_back(LineJson(l, inv.currency));
  return lines;
}

json InvoiceToJson(const Invoice& inv) { return InvoiceToJson(inv, InvoiceLinesJson(inv)); }

json InvoiceToJson(const Invoice& inv, json lines) {
  const std::string& cur = inv.currency;
  json j = {{"id", inv.id}, {"number", OptionalText(inv.number)}, {"tenant", inv.tenant},
            {"tenant_name", inv.tenant_name}, {"tenant_email", inv.tenant_email}, {"period", inv.period.month},
            {"timezone", inv.period.timezone.empty() ? "UTC" : inv.period.timezone},
            {"period_start", FormatRfc3339(inv.period.period.start)},
            {"period_end", FormatRfc3339(inv.period.period.end)}, {"currency", cur}, {"status", inv.status},
            {"issue_date", inv.issue_date}, {"due_date", inv.due_date}, {"lines", std::move(lines)},
            {"subtotal", MoneyString(inv.subtotal, cur)}, {"tax_name", inv.tax_name},
            {"tax_rate", inv.tax_rate.ToString(std::max(2, inv.tax_rate.FractionalDigits()))},
            {"tax", MoneyString(inv.tax, cur)}, {"total", MoneyString(inv.total, cur)},
            {"finalized_at", OptionalTime(inv.finalized_at)}, {"paid_at", OptionalTime(inv.paid_at)},
            {"voided_at", OptionalTime(inv.voided_at)}, {"void_reason", OptionalText(inv.void_reason)}};
  AddInvoiceAttributes(inv, j);
  return j;
}

}  // namespace meter::billing
