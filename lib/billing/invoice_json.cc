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

// Objects here are filled key by key rather than from an initializer list:
// nlohmann copies every value of an initializer list once more (its elements
// are const), which was most of the cost of rendering an invoice.
json LineJson(const InvoiceLine& l, const std::string& currency) {
  json j(json::value_t::object);
  j["kind"] = LineKindName(l.kind);
  j["description"] = l.description;
  j["meter"] = OptionalText(l.meter);
  j["plan"] = l.plan;
  j["period_start"] = FormatRfc3339(l.period.start);
  j["period_end"] = FormatRfc3339(l.period.end);
  j["quantity"] = JsonNumber(l.quantity);
  j["unit_price"] = l.unit_price ? json(PriceString(*l.unit_price, currency)) : json(nullptr);
  j["amount"] = MoneyString(l.amount, currency);
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
  json j(json::value_t::object);
  j["id"] = inv.id;
  j["number"] = OptionalText(inv.number);
  j["tenant"] = inv.tenant;
  j["tenant_name"] = inv.tenant_name;
  j["tenant_email"] = inv.tenant_email;
  j["period"] = inv.period.month;
  j["timezone"] = inv.period.timezone.empty() ? "UTC" : inv.period.timezone;
  j["period_start"] = FormatRfc3339(inv.period.period.start);
  j["period_end"] = FormatRfc3339(inv.period.period.end);
  j["currency"] = cur;
  j["status"] = inv.status;
  j["issue_date"] = inv.issue_date;
  j["due_date"] = inv.due_date;
  j["lines"] = std::move(lines);
  j["subtotal"] = MoneyString(inv.subtotal, cur);
  j["tax_name"] = inv.tax_name;
  j["tax_rate"] = inv.tax_rate.ToString(std::max(2, inv.tax_rate.FractionalDigits()));
  j["tax"] = MoneyString(inv.tax, cur);
  j["total"] = MoneyString(inv.total, cur);
  j["finalized_at"] = OptionalTime(inv.finalized_at);
  j["paid_at"] = OptionalTime(inv.paid_at);
  j["voided_at"] = OptionalTime(inv.voided_at);
  j["void_reason"] = OptionalText(inv.void_reason);
  AddInvoiceAttributes(inv, j);
  return j;
}

}  // namespace meter::billing
