// InvoiceToJson / InvoiceFromJson: the invoice document. The stored copy of an
// invoice is this JSON, so a finalized invoice reads back exactly as issued.
#include <cstdlib>

#include <fmt/format.h>

#include "billing/format.h"
#include "billing/invoice.h"
#include "core/json_util.h"
#include "core/money.h"

namespace meter::billing {
namespace {

using nlohmann::json;

json OptionalTime(const std::optional<Timestamp>& t) { return t ? json(FormatRfc3339(*t)) : json(nullptr); }

json PricingJson(const catalog::Charge& c, bool overage) {
  json j = {{"model", catalog::ChargeModelName(c.model)}, {"included", QuantityJson(c.included)},
            {"overage", overage}};
  if (c.model == catalog::ChargeModel::kPerUnit) j["unit_price"] = c.unit_price.ToString();
  if (c.model == catalog::ChargeModel::kPackage) {
    j["package_size"] = QuantityJson(c.package_size);
    j["package_price"] = c.package_price.ToString();
  }
  if (!c.tiers.empty()) {
    j["tiers"] = json::array();
    for (const auto& t : c.tiers)
      j["tiers"].push_back({{"up_to", t.up_to ? QuantityJson(*t.up_to) : json(nullptr)},
                            {"unit_price", t.unit_price.ToString()}, {"flat_price", t.flat_price.ToString()}});
  }
  return j;
}

json TiersJson(const std::vector<TierAmount>& tiers) {
  json out = json::array();
  for (const auto& t : tiers)
    out.push_back({{"from", QuantityJson(t.from)}, {"up_to", t.up_to ? QuantityJson(*t.up_to) : json(nullptr)},
                   {"quantity", QuantityJson(t.quantity)}, {"unit_price", t.unit_price.ToString()},
                   {"flat_price", t.flat_price.ToString()}, {"applied", t.applied},
                   {"amount", t.amount.ToString()}});
  return out;
}

json AdjustsJson(const AdjustmentRef& a, const std::string& currency) {
  return {{"invoice", a.invoice_id}, {"number", a.invoice_number.empty() ? json(nullptr) : json(a.invoice_number)},
          {"period", a.month}, {"line", a.line}, {"quantity_before", QuantityJson(a.quantity_before)},
          {"quantity_after", QuantityJson(a.quantity_after)},
          {"amount_before", MoneyPlain(a.amount_before, currency)},
          {"amount_after", MoneyPlain(a.amount_after, currency)}};
}

json LineJson(const InvoiceLine& l, const std::string& currency) {
  json j = {{"kind", LineKindName(l.kind)}, {"description", l.description},
            {"meter", l.meter.empty() ? json(nullptr) : json(l.meter)}, {"plan", l.plan},
            {"period_start", FormatRfc3339(l.period.start)}, {"period_end", FormatRfc3339(l.period.end)},
            {"quantity", QuantityJson(l.quantity)},
            {"unit_price", l.unit_price ? json(PricePlain(*l.unit_price, currency)) : json(nullptr)},
            {"amount", MoneyPlain(l.amount, currency)},
            {"tiers", l.kind == LineKind::kUsage ? TiersJson(l.priced.tiers) : json::array()}};
  if (l.kind == LineKind::kBase) {
    j["days"] = l.days;
    j["days_in_period"] = l.days_in_period;
    return j;
  }
  j["model"] = catalog::ChargeModelName(l.charge.model);
  j["included"] = QuantityJson(l.charge.included);
  j["billable"] = QuantityJson(l.priced.billable);
  j["exact_amount"] = l.priced.exact_amount.ToString();
  if (l.charge.model == catalog::ChargeModel::kPackage) j["packages"] = QuantityJson(l.priced.packages);
  j["pricing"] = PricingJson(l.charge, l.overage);
  j["source"] = l.source;
  if (l.adjusts) j["adjusts"] = AdjustsJson(*l.adjusts, currency);
  return j;
}

}  // namespace

json QuantityJson(const Decimal& q) {
  if (q.IsInteger()) {
    auto n = q.ToInt64();
    if (n.ok()) return *n;
  }
  // The shortest text that reads back as this double is the decimal itself
  // when it has at most 15 significant digits, so the printed number is exact.
  return std::strtod(q.ToString().c_str(), nullptr);
}

json InvoiceToJson(const Invoice& inv) {
  json lines = json::array();
  for (const auto& l : inv.lines) lines.push_back(LineJson(l, inv.currency));
  const std::string& cur = inv.currency;
  json j = {{"id", inv.id}, {"number", inv.number.empty() ? json(nullptr) : json(inv.number)},
            {"tenant", inv.tenant}, {"tenant_name", inv.tenant_name}, {"tenant_email", inv.tenant_email},
            {"period", inv.period.month}, {"timezone", inv.period.timezone.empty() ? "UTC" : inv.period.timezone},
            {"period_start", FormatRfc3339(inv.period.period.start)},
            {"period_end", FormatRfc3339(inv.period.period.end)},
            {"currency", cur}, {"status", inv.status}, {"issue_date", inv.issue_date}, {"due_date", inv.due_date},
            {"lines", lines}, {"subtotal", MoneyPlain(inv.subtotal, cur)}, {"tax_name", inv.tax_name},
            {"tax_rate", inv.tax_rate.ToString(std::max(2, inv.tax_rate.FractionalDigits()))},
            {"tax", MoneyPlain(inv.tax, cur)}, {"total", MoneyPlain(inv.total, cur)},
            {"seller", {{"name", inv.seller_name}, {"address", inv.seller_address}}},
            {"finalized_at", OptionalTime(inv.finalized_at)}, {"paid_at", OptionalTime(inv.paid_at)},
            {"voided_at", OptionalTime(inv.voided_at)},
            {"void_reason", inv.void_reason.empty() ? json(nullptr) : json(inv.void_reason)}};
  return j;
}

}  // namespace meter::billing

namespace meter::billing {
namespace {

using nlohmann::json;

// Reading helpers: a malformed document throws, and InvoiceFromJson turns
// that into one DataError.
struct BadDocument : std::runtime_error {
  using std::runtime_error::runtime_error;
};

Decimal Num(const json& j) {
  auto d = DecimalFromJson(j);
  if (!d.ok()) throw BadDocument(d.status().message());
  return *d;
}

std::optional<Decimal> OptNum(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return Num(j.at(key));
}

std::string Str(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return "";
  return j.at(key).get<std::string>();
}

Timestamp Time(const json& j, const char* key) {
  auto t = ParseRfc3339(j.at(key).get<std::string>());
  if (!t.ok()) throw BadDocument(t.status().message());
  return *t;
}

std::optional<Timestamp> OptTime(const json& j, const char* key) {
  if (!j.contains(key) || j.at(key).is_null()) return std::nullopt;
  return Time(j, key);
}

catalog::ChargeModel Model(const std::string& name) {
  for (auto m : {catalog::ChargeModel::kPerUnit, catalog::ChargeModel::kGraduated, catalog::ChargeModel::kVolume,
                 catalog::ChargeModel::kPackage})
    if (catalog::ChargeModelName(m) == name) return m;
  throw BadDocument("unknown model '" + name + "'");
}

catalog::Charge ChargeFrom(const json& p, const std::string& meter, bool* overage) {
  catalog::Charge c;
  c.meter = meter;
  c.model = Model(p.at("model").get<std::string>());
  c.included = Num(p.at("included"));
  *overage = p.at("overage").get<bool>();
  c.unit_price = OptNum(p, "unit_price").value_or(Decimal());
  c.package_size = OptNum(p, "package_size").value_or(Decimal());
  c.package_price = OptNum(p, "package_price").value_or(Decimal());
  if (p.contains("tiers"))
    for (const auto& t : p.at("tiers"))
      c.tiers.push_back({OptNum(t, "up_to"), Num(t.at("unit_price")), Num(t.at("flat_price"))});
  return c;
}

std::vector<TierAmount> TiersFrom(const json& tiers) {
  std::vector<TierAmount> out;
  for (const auto& t : tiers)
    out.push_back({Num(t.at("from")), OptNum(t, "up_to"), Num(t.at("quantity")), Num(t.at("unit_price")),
                   Num(t.at("flat_price")), t.at("applied").get<bool>(), Num(t.at("amount"))});
  return out;
}

AdjustmentRef AdjustsFrom(const json& a) {
  return {a.at("invoice").get<std::string>(), Str(a, "number"), a.at("period").get<std::string>(),
          a.at("line").get<int>(), Num(a.at("quantity_before")), Num(a.at("quantity_after")),
          Num(a.at("amount_before")), Num(a.at("amount_after"))};
}

LineKind KindFrom(const std::string& name) {
  for (auto k : {LineKind::kBase, LineKind::kUsage, LineKind::kAdjustment})
    if (LineKindName(k) == name) return k;
  throw BadDocument("unknown line kind '" + name + "'");
}

InvoiceLine LineFrom(const json& j) {
  InvoiceLine l;
  l.kind = KindFrom(j.at("kind").get<std::string>());
  l.description = Str(j, "description");
  l.meter = Str(j, "meter");
  l.plan = Str(j, "plan");
  l.period = {Time(j, "period_start"), Time(j, "period_end")};
  l.quantity = Num(j.at("quantity"));
  l.unit_price = OptNum(j, "unit_price");
  l.amount = Num(j.at("amount"));
  if (l.kind == LineKind::kBase) {
    l.base_price = l.unit_price.value_or(Decimal());
    l.days = j.at("days").get<int>();
    l.days_in_period = j.at("days_in_period").get<int>();
    return l;
  }
  l.charge = ChargeFrom(j.at("pricing"), l.meter, &l.overage);
  l.priced.included = l.charge.included;
  l.priced.billable = Num(j.at("billable"));
  l.priced.packages = OptNum(j, "packages").value_or(Decimal());
  l.priced.tiers = TiersFrom(j.at("tiers"));
  l.priced.exact_amount = OptNum(j, "exact_amount").value_or(l.amount);
  l.priced.quantity = l.quantity;
  l.priced.amount = l.amount;
  l.source = Str(j, "source");
  if (j.contains("adjusts")) l.adjusts = AdjustsFrom(j.at("adjusts"));
  return l;
}

Invoice InvoiceFrom(const json& j) {
  Invoice inv;
  inv.id = j.at("id").get<std::string>();
  inv.number = Str(j, "number");
  inv.tenant = j.at("tenant").get<std::string>();
  inv.tenant_name = Str(j, "tenant_name");
  inv.tenant_email = Str(j, "tenant_email");
  std::string tz = Str(j, "timezone");
  auto bp = MonthPeriod(j.at("period").get<std::string>(), tz == "UTC" ? "" : tz);
  if (!bp.ok()) throw BadDocument(bp.status().message());
  inv.period = *bp;
  inv.currency = j.at("currency").get<std::string>();
  inv.status = j.at("status").get<std::string>();
  inv.issue_date = j.at("issue_date").get<std::string>();
  inv.due_date = j.at("due_date").get<std::string>();
  for (const auto& l : j.at("lines")) inv.lines.push_back(LineFrom(l));
  inv.subtotal = Num(j.at("subtotal"));
  inv.tax_name = Str(j, "tax_name");
  inv.tax_rate = Num(j.at("tax_rate"));
  inv.tax = Num(j.at("tax"));
  inv.total = Num(j.at("total"));
  if (j.contains("seller")) {
    inv.seller_name = Str(j.at("seller"), "name");
    inv.seller_address = Str(j.at("seller"), "address");
  }
  inv.finalized_at = OptTime(j, "finalized_at");
  inv.paid_at = OptTime(j, "paid_at");
  inv.voided_at = OptTime(j, "voided_at");
  inv.void_reason = Str(j, "void_reason");
  return inv;
}

}  // namespace

Result<Invoice> InvoiceFromJson(const json& j) {
  try {
    return InvoiceFrom(j);
  } catch (const std::exception& e) {
    return Status::DataError(fmt::format("invoice document is unreadable: {}", e.what()));
  }
}

}  // namespace meter::billing
