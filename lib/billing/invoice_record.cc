#include "billing/invoice_record.h"

#include <stdexcept>

#include <fmt/format.h>

#include "core/json_util.h"
#include "core/money.h"

namespace meter::billing {
namespace {

using nlohmann::json;

// A row that cannot be read throws this inside InvoiceFromRecord, which
// turns it into one DataError naming the invoice.
struct Unreadable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const json kOmit = json(json::value_t::discarded);

Decimal Num(const json& j) {
  auto d = DecimalFromJson(j);
  if (!d.ok()) throw Unreadable(d.status().message());
  return *d;
}

Decimal Num(const std::string& text) {
  auto d = Decimal::Parse(text);
  if (!d.ok()) throw Unreadable(d.status().message());
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

json OptionalQuantity(const std::optional<Decimal>& q) { return q ? JsonNumber(*q) : json(nullptr); }

// ---- pricing terms, tiers and adjustment references ----

// Objects are filled key by key: an initializer list copies each value once
// more (InvoiceToJson's comment).
json PricingJson(const catalog::Charge& c, bool overage) {
  json j(json::value_t::object);
  j["model"] = catalog::ChargeModelName(c.model);
  j["included"] = JsonNumber(c.included);
  j["overage"] = overage;
  if (c.model == catalog::ChargeModel::kPerUnit) j["unit_price"] = c.unit_price.ToString();
  if (c.model == catalog::ChargeModel::kPackage) {
    j["package_size"] = JsonNumber(c.package_size);
    j["package_price"] = c.package_price.ToString();
  }
  if (!c.tiers.empty()) {
    json& tiers = j["tiers"] = json::array();
    for (const auto& t : c.tiers) {
      json& tier = tiers.emplace_back(json::value_t::object);
      tier["up_to"] = OptionalQuantity(t.up_to);
      tier["unit_price"] = t.unit_price.ToString();
      tier["flat_price"] = t.flat_price.ToString();
    }
  }
  return j;
}

catalog::ChargeModel Model(const std::string& name) {
  for (auto m : {catalog::ChargeModel::kPerUnit, catalog::ChargeModel::kGraduated, catalog::ChargeModel::kVolume,
                 catalog::ChargeModel::kPackage})
    if (catalog::ChargeModelName(m) == name) return m;
  throw Unreadable("unknown model '" + name + "'");
}

void PricingFrom(const json& p, InvoiceLine& l) {
  catalog::Charge c;
  c.meter = l.meter;
  c.model = Model(p.at("model").get<std::string>());
  c.included = Num(p.at("included"));
  c.unit_price = OptNum(p, "unit_price").value_or(Decimal());
  c.package_size = OptNum(p, "package_size").value_or(Decimal());
  c.package_price = OptNum(p, "package_price").value_or(Decimal());
  if (p.contains("tiers"))
    for (const auto& t : p.at("tiers"))
      c.tiers.push_back({OptNum(t, "up_to"), Num(t.at("unit_price")), Num(t.at("flat_price"))});
  l.charge = std::move(c);
  l.overage = p.at("overage").get<bool>();
}

json TiersJson(const std::vector<TierAmount>& tiers) {
  json out = json::array();
  for (const auto& t : tiers) {
    json& tier = out.emplace_back(json::value_t::object);
    tier["from"] = JsonNumber(t.from);
    tier["up_to"] = OptionalQuantity(t.up_to);
    tier["quantity"] = JsonNumber(t.quantity);
    tier["unit_price"] = t.unit_price.ToString();
    tier["flat_price"] = t.flat_price.ToString();
    tier["applied"] = t.applied;
    tier["amount"] = t.amount.ToString();
  }
  return out;
}

std::vector<TierAmount> TiersFrom(const json& tiers) {
  std::vector<TierAmount> out;
  for (const auto& t : tiers)
    out.push_back({Num(t.at("from")), OptNum(t, "up_to"), Num(t.at("quantity")), Num(t.at("unit_price")),
                   Num(t.at("flat_price")), t.at("applied").get<bool>(), Num(t.at("amount"))});
  return out;
}

json AdjustsJson(const AdjustmentRef& a, const std::string& currency) {
  json j(json::value_t::object);
  j["invoice"] = a.invoice_id;
  j["number"] = a.invoice_number.empty() ? json(nullptr) : json(a.invoice_number);
  j["period"] = a.month;
  j["line"] = a.line < 0 ? json(nullptr) : json(a.line);
  j["quantity_before"] = JsonNumber(a.quantity_before);
  j["quantity_after"] = JsonNumber(a.quantity_after);
  j["amount_before"] = MoneyString(a.amount_before, currency);
  j["amount_after"] = MoneyString(a.amount_after, currency);
  return j;
}

AdjustmentRef AdjustsFrom(const json& a) {
  return {a.at("invoice").get<std::string>(), Str(a, "number"), a.at("period").get<std::string>(),
          a.at("line").is_null() ? -1 : a.at("line").get<int>(), Num(a.at("quantity_before")), Num(a.at("quantity_after")),
          Num(a.at("amount_before")), Num(a.at("amount_after"))};
}

// ---- the attribute tables ----

// One field of an invoice or line kept beyond the typed columns. `to_json`
// gives its JSON value (kOmit when it does not apply to this invoice or
// line); `from_json` reads that value back (nullptr: derived from other
// fields, written for people and scripts only). Entries are read in table
// order. `is_default` (optional) tells when the value is the one a row
// without the key reads back as: such a value is printed but not stored, so
// rows written before the field existed still compare equal to a rebuilt
// invoice.
template <typename T>
struct Attribute {
  const char* key;
  json (*to_json)(const T&, const std::string& currency);
  void (*from_json)(const json&, T&);
  bool (*is_default)(const T&) = nullptr;
};

// Usage and late-usage lines carry how they were priced; the others (base
// prices, annual credits, the commitment true-up) carry days.
bool Priced(const InvoiceLine& l) { return l.kind == LineKind::kUsage || l.kind == LineKind::kAdjustment; }

// Stored only when set, so rows written before SPEC section 10 compare equal
// to the same line built now; InvoiceToJson writes null for the missing ones.
json OptionalString(const std::optional<std::string>& s) { return s ? json(*s) : kOmit; }

// ---- SPEC 11: discounts and credit notes ----

// What an invoice stored without an amount due owes: nothing once paid, else
// its total.
Decimal DefaultAmountDue(const Invoice& inv) { return inv.status == "paid" ? Decimal() : inv.total; }

json DiscountsJson(const Invoice& inv) {
  json out = json::array();
  for (const auto& d : inv.discounts) {
    json& discount = out.emplace_back(json::value_t::object);
    discount["code"] = d.code;
    discount["amount"] = MoneyString(d.amount, inv.currency);
  }
  return out;
}

// Each discount's description is its coupon line's (the lines are read
// before the attributes).
void DiscountsFrom(const json& j, Invoice& inv) {
  for (const auto& d : j) inv.discounts.push_back({0, Str(d, "code"), "", Num(d.at("amount"))});
  for (size_t i = 0, k = 0; i < inv.lines.size() && k < inv.discounts.size(); ++i)
    if (inv.lines[i].kind == LineKind::kCoupon) inv.discounts[k++].description = inv.lines[i].description;
}

json CreditNotesJson(const Invoice& inv) {
  json out = json::array();
  for (const auto& n : inv.credit_notes) {
    json& note = out.emplace_back(json::value_t::object);
    note["number"] = n.number;
    note["total"] = MoneyString(n.total, inv.currency);
  }
  return out;
}

void CreditNotesFrom(const json& j, Invoice& inv) {
  for (const auto& n : j) inv.credit_notes.push_back({Str(n, "number"), Num(n.at("total"))});
}

const Attribute<InvoiceLine> kLineAttributes[] = {
    // Usage and adjustment lines: the terms they were priced under (read
    // first: the fields below depend on them) and how.
    {"pricing", [](const InvoiceLine& l, const std::string&) { return Priced(l) ? PricingJson(l.charge, l.overage) : kOmit; },
     [](const json& j, InvoiceLine& l) { PricingFrom(j, l); }},
    {"model", [](const InvoiceLine& l, const std::string&) { return Priced(l) ? json(catalog::ChargeModelName(l.charge.model)) : kOmit; },
     nullptr},
    {"included", [](const InvoiceLine& l, const std::string&) { return Priced(l) ? JsonNumber(l.charge.included) : kOmit; },
     nullptr},
    {"billable", [](const InvoiceLine& l, const std::string&) { return Priced(l) ? JsonNumber(l.priced.billable) : kOmit; },
     [](const json& j, InvoiceLine& l) { l.priced.billable = Num(j); }},
    {"exact_amount", [](const InvoiceLine& l, const std::string&) { return Priced(l) ? json(l.priced.exact_amount.ToString()) : kOmit; },
     [](const json& j, InvoiceLine& l) { l.priced.exact_amount = Num(j); }},
    {"packages",
     [](const InvoiceLine& l, const std::string&) {
       return Priced(l) && l.charge.model == catalog::ChargeModel::kPackage ? JsonNumber(l.priced.packages) : kOmit;
     },
     [](const json& j, InvoiceLine& l) { l.priced.packages = Num(j); }},
    {"source", [](const InvoiceLine& l, const std::string&) { return Priced(l) ? json(l.source) : kOmit; },
     [](const json& j, InvoiceLine& l) { l.source = j.get<std::string>(); }},
    {"adjusts", [](const InvoiceLine& l, const std::string& cur) { return l.adjusts ? AdjustsJson(*l.adjusts, cur) : kOmit; },
     [](const json& j, InvoiceLine& l) { l.adjusts = AdjustsFrom(j); }},
    // Every line: the tiers a usage line was priced through (none on others).
    {"tiers", [](const InvoiceLine& l, const std::string&) { return l.kind == LineKind::kUsage ? TiersJson(l.priced.tiers) : json::array(); },
     [](const json& j, InvoiceLine& l) { l.priced.tiers = TiersFrom(j); }},
    // Base lines, annual credits and the commitment true-up: the days the
    // amount was prorated over.
    {"days", [](const InvoiceLine& l, const std::string&) { return !Priced(l) ? json(l.days) : kOmit; },
     [](const json& j, InvoiceLine& l) { l.days = j.get<int>(); }},
    {"days_in_period", [](const InvoiceLine& l, const std::string&) { return !Priced(l) ? json(l.days_in_period) : kOmit; },
     [](const json& j, InvoiceLine& l) { l.days_in_period = j.get<int>(); }},
    // The commitment true-up: the commitment in force, exact.
    {"commitment",
     [](const InvoiceLine& l, const std::string&) { return l.kind == LineKind::kCommitment ? json(l.base_price.ToString()) : kOmit; },
     [](const json& j, InvoiceLine& l) { l.base_price = Num(j); }},
    // Sliced lines (SPEC section 10): the filter that priced it and the group
    // value.
    // The meter's unit, for what people read (stored only when there is one).
    {"unit", [](const InvoiceLine& l, const std::string&) { return l.unit.empty() ? kOmit : json(l.unit); },
     [](const json& j, InvoiceLine& l) { l.unit = j.get<std::string>(); }},
    {"filter", [](const InvoiceLine& l, const std::string&) { return OptionalString(l.filter); },
     [](const json& j, InvoiceLine& l) { l.filter = j.get<std::string>(); }},
    {"group", [](const InvoiceLine& l, const std::string&) { return OptionalString(l.group); },
     [](const json& j, InvoiceLine& l) { l.group = j.get<std::string>(); }},
    // Sliced usage lines, for --explain: the filter's where condition (or
    // that none matched) and group, and how many events the line took.
    {"condition", [](const InvoiceLine& l, const std::string&) { return l.condition.empty() ? kOmit : json(l.condition); },
     [](const json& j, InvoiceLine& l) { l.condition = j.get<std::string>(); }},
    {"events", [](const InvoiceLine& l, const std::string&) { return l.events < 0 ? kOmit : json(l.events); },
     [](const json& j, InvoiceLine& l) { l.events = j.get<int64_t>(); }},
    // Coupon lines (SPEC 11): the coupon's code.
    {"coupon", [](const InvoiceLine& l, const std::string&) { return l.kind == LineKind::kCoupon ? json(l.coupon) : kOmit; },
     [](const json& j, InvoiceLine& l) { l.coupon = j.get<std::string>(); }},
};

const Attribute<Invoice> kInvoiceAttributes[] = {
    {"seller",
     [](const Invoice& inv, const std::string&) {
       json seller(json::value_t::object);
       seller["name"] = inv.seller_name;
       seller["address"] = inv.seller_address;
       return seller;
     },
     [](const json& j, Invoice& inv) {
       inv.seller_name = Str(j, "name");
       inv.seller_address = Str(j, "address");
     }},
    // SPEC 11. Invoices stored before these fields read as no discount, no
    // credits, no credit notes and the total due (0 once paid): see
    // InvoiceFrom.
    {"discounts", [](const Invoice& inv, const std::string&) { return DiscountsJson(inv); }, DiscountsFrom,
     [](const Invoice& inv) { return inv.discounts.empty(); }},
    {"discounted_subtotal",
     [](const Invoice& inv, const std::string& cur) { return json(MoneyString(inv.discounted_subtotal, cur)); },
     [](const json& j, Invoice& inv) { inv.discounted_subtotal = Num(j); },
     [](const Invoice& inv) { return inv.discounted_subtotal == inv.subtotal; }},
    {"credits_applied",
     [](const Invoice& inv, const std::string& cur) { return json(MoneyString(inv.credits_applied, cur)); },
     [](const json& j, Invoice& inv) { inv.credits_applied = Num(j); },
     [](const Invoice& inv) { return inv.credits_applied.IsZero(); }},
    {"credit_notes", [](const Invoice& inv, const std::string&) { return CreditNotesJson(inv); }, CreditNotesFrom,
     [](const Invoice& inv) { return inv.credit_notes.empty(); }},
    {"amount_due", [](const Invoice& inv, const std::string& cur) { return json(MoneyString(inv.amount_due, cur)); },
     [](const json& j, Invoice& inv) { inv.amount_due = Num(j); },
     [](const Invoice& inv) { return inv.amount_due == DefaultAmountDue(inv); }},
    // Written only when they say something, so invoices that use neither
    // read and render as before.
    {"billing_day",
     [](const Invoice& inv, const std::string&) { return inv.period.billing_day != 1 ? json(inv.period.billing_day) : kOmit; },
     [](const json& j, Invoice& inv) { inv.period.billing_day = j.get<int>(); }},
    {"carried_credit",
     [](const Invoice& inv, const std::string& cur) {
       return inv.carried_credit.IsZero() ? kOmit : json(MoneyString(inv.carried_credit, cur));
     },
     [](const json& j, Invoice& inv) { inv.carried_credit = Num(j); }},
    {"held_credit",
     [](const Invoice& inv, const std::string&) {
       if (!inv.held_credit) return kOmit;
       const Invoice::HeldCredit& h = *inv.held_credit;
       return json{{"amount", MoneyString(h.amount, h.currency)}, {"currency", h.currency},
                   {"description", h.description}};
     },
     [](const json& j, Invoice& inv) {
       inv.held_credit = Invoice::HeldCredit{Num(j.at("amount")), j.at("currency").get<std::string>(),
                                             j.at("description").get<std::string>()};
     }},
};

// `stored`: for the row (values at their default left out), else for output.
template <typename T, size_t N>
void AddAttributes(const Attribute<T> (&table)[N], const T& v, const std::string& currency, json& out,
                   bool stored = false) {
  for (const auto& a : table) {
    if (stored && a.is_default && a.is_default(v)) continue;
    json value = a.to_json(v, currency);
    if (!value.is_discarded()) out[a.key] = std::move(value);
  }
}

template <typename T, size_t N>
void ReadAttributes(const Attribute<T> (&table)[N], const std::string& text, T& v) {
  auto j = ParseJsonExact(text);
  if (!j.ok() || !j->is_object()) throw Unreadable("attributes are not a JSON object");
  for (const auto& a : table)
    if (a.from_json && j->contains(a.key)) a.from_json(j->at(a.key), v);
}

LineKind KindFrom(const std::string& name) {
  for (auto k : {LineKind::kBase, LineKind::kUsage, LineKind::kAdjustment, LineKind::kAnnualCredit,
                 LineKind::kCommitment, LineKind::kCoupon})
    if (LineKindName(k) == name) return k;
  throw Unreadable("unknown line kind '" + name + "'");
}

Timestamp DateMillis(const std::string& date) {
  auto t = ParseTimeArg(date);
  return t.ok() ? *t : 0;
}

store::InvoiceLineRecord LineToRecord(const InvoiceLine& l, const std::string& currency) {
  store::InvoiceLineRecord r;
  r.kind = std::string(LineKindName(l.kind));
  r.description = l.description;
  r.meter = l.meter;
  r.plan = l.plan;
  r.period = l.period;
  r.quantity = l.quantity.ToString();
  if (l.unit_price) r.unit_price = l.unit_price->ToString();
  r.amount = l.amount.ToString();
  json attributes = json::object();
  AddLineAttributes(l, currency, attributes);
  r.attributes = DumpJson(attributes);
  return r;
}

InvoiceLine LineFromRecord(const store::InvoiceLineRecord& r) {
  InvoiceLine l;
  l.kind = KindFrom(r.kind);
  l.description = r.description;
  l.meter = r.meter;
  l.plan = r.plan;
  l.period = r.period;
  l.quantity = Num(r.quantity);
  if (r.unit_price) l.unit_price = Num(*r.unit_price);
  l.amount = Num(r.amount);
  l.priced.exact_amount = l.amount;
  ReadAttributes(kLineAttributes, r.attributes, l);
  if (l.kind == LineKind::kBase || l.kind == LineKind::kAnnualCredit) {
    l.base_price = l.unit_price.value_or(Decimal());
  } else if (Priced(l)) {
    l.priced.quantity = l.quantity;
    l.priced.included = l.charge.included;
    l.priced.amount = l.amount;
  }
  return l;
}

Invoice InvoiceFrom(const store::InvoiceRecord& r) {
  Invoice inv;
  inv.id = r.id;
  inv.number = r.number;
  inv.tenant = r.tenant;
  inv.tenant_name = r.tenant_name;
  inv.tenant_email = r.tenant_email;
  inv.currency = r.currency;
  inv.status = r.status;
  inv.issue_date = FormatDate(r.issue_date);
  inv.due_date = FormatDate(r.due_date);
  for (const auto& l : r.lines) inv.lines.push_back(LineFromRecord(l));
  inv.subtotal = Num(r.subtotal);
  inv.tax_name = r.tax_name;
  inv.tax_rate = Num(r.tax_rate);
  inv.tax = Num(r.tax);
  inv.total = Num(r.total);
  inv.discounted_subtotal = inv.subtotal;
  inv.amount_due = DefaultAmountDue(inv);
  ReadAttributes(kInvoiceAttributes, r.attributes, inv);  // after the lines: discounts name theirs
  auto bp = MonthPeriod(r.month, r.timezone, inv.period.billing_day);
  if (!bp.ok()) throw Unreadable(bp.status().message());
  inv.period = *bp;
  inv.finalized_at = r.finalized_at;
  inv.paid_at = r.paid_at;
  inv.voided_at = r.voided_at;
  inv.void_reason = r.void_reason;
  return inv;
}

}  // namespace

void AddInvoiceAttributes(const Invoice& inv, json& out) { AddAttributes(kInvoiceAttributes, inv, inv.currency, out); }

void AddLineAttributes(const InvoiceLine& l, const std::string& currency, json& out) {
  AddAttributes(kLineAttributes, l, currency, out);
}

std::string InvoiceAttributesText(const Invoice& inv) {
  json attributes = json::object();
  AddAttributes(kInvoiceAttributes, inv, inv.currency, attributes, /*stored=*/true);
  return DumpJson(attributes);
}

store::InvoiceRecord InvoiceToRecord(const Invoice& inv, Timestamp created_at, Timestamp now) {
  const std::string& cur = inv.currency;
  store::InvoiceRecord r;
  r.id = inv.id;
  r.number = inv.number;
  r.tenant = inv.tenant;
  r.month = inv.period.month;
  r.timezone = inv.period.timezone;
  r.period = inv.period.period;
  r.status = inv.status;
  r.currency = cur;
  r.issue_date = DateMillis(inv.issue_date);
  r.due_date = DateMillis(inv.due_date);
  r.tenant_name = inv.tenant_name;
  r.tenant_email = inv.tenant_email;
  r.subtotal = MoneyString(inv.subtotal, cur);
  r.tax_name = inv.tax_name;
  r.tax_rate = inv.tax_rate.ToString();
  r.tax = MoneyString(inv.tax, cur);
  r.total = MoneyString(inv.total, cur);
  r.attributes = InvoiceAttributesText(inv);
  r.created_at = created_at;
  r.updated_at = now;
  r.finalized_at = inv.finalized_at;
  r.paid_at = inv.paid_at;
  r.voided_at = inv.voided_at;
  r.void_reason = inv.void_reason;
  for (const auto& l : inv.lines) r.lines.push_back(LineToRecord(l, cur));
  return r;
}

Result<Invoice> InvoiceFromRecord(const store::InvoiceRecord& r) {
  try {
    return InvoiceFrom(r);
  } catch (const std::exception& e) {
    return Status::DataError(fmt::format("invoice {}: stored invoice is unreadable: {}", r.id, e.what()));
  }
}

}  // namespace meter::billing
