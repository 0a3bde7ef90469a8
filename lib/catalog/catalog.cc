#include "catalog/catalog.h"

#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/currency.h"
#include "core/json_util.h"
#include "core/time.h"

namespace meter::catalog {

using nlohmann::json;

std::string_view AggregationName(Aggregation a) {
  switch (a) {
    case Aggregation::kSum: return "sum";
    case Aggregation::kCount: return "count";
    case Aggregation::kMax: return "max";
    case Aggregation::kUniqueCount: return "unique_count";
    case Aggregation::kLatest: return "latest";
  }
  return "sum";
}

std::string_view ChargeModelName(ChargeModel m) {
  switch (m) {
    case ChargeModel::kPerUnit: return "per_unit";
    case ChargeModel::kGraduated: return "graduated";
    case ChargeModel::kVolume: return "volume";
    case ChargeModel::kPackage: return "package";
  }
  return "per_unit";
}

std::string_view LimitPeriodName(LimitPeriod p) { return p == LimitPeriod::kDay ? "day" : "month"; }
std::string_view EnforcementName(Enforcement e) { return e == Enforcement::kHard ? "hard" : "soft"; }

const Limit* Plan::FindLimit(std::string_view meter) const {
  for (const auto& l : limits)
    if (l.meter == meter) return &l;
  return nullptr;
}

const Charge* Plan::FindCharge(std::string_view meter) const {
  for (const auto& c : charges)
    if (c.meter == meter) return &c;
  return nullptr;
}

const Meter* Catalog::FindMeter(std::string_view key) const {
  for (const auto& m : meters)
    if (m.key == key) return &m;
  return nullptr;
}

const Plan* Catalog::FindPlan(std::string_view key) const {
  int i = PlanIndex(key);
  return i < 0 ? nullptr : &plans[i];
}

int Catalog::PlanIndex(std::string_view key) const {
  for (size_t i = 0; i < plans.size(); ++i)
    if (plans[i].key == key) return static_cast<int>(i);
  return -1;
}

bool Catalog::KnowsMetric(std::string_view metric) const {
  for (const auto& m : meters)
    if (m.event == metric) return true;
  return false;
}

std::vector<const Meter*> Catalog::MetersForMetric(std::string_view metric) const {
  std::vector<const Meter*> out;
  for (const auto& m : meters)
    if (m.event == metric) out.push_back(&m);
  return out;
}

namespace {

// Walks a JSON document keeping the path for messages ("plans[1].charges[0]").
class Reader {
 public:
  Reader(const json& node, std::string path) : node_(node), path_(std::move(path)) {}

  const json& node() const { return node_; }
  const std::string& path() const { return path_; }
  bool Has(const char* key) const { return node_.is_object() && node_.contains(key); }
  bool IsNull(const char* key) const { return !Has(key) || node_.at(key).is_null(); }
  Reader Child(const char* key) const { return Reader(node_.at(key), Join(key)); }
  Reader Item(size_t i) const { return Reader(node_.at(i), fmt::format("{}[{}]", path_, i)); }
  std::string Join(std::string_view key) const {
    return path_.empty() ? std::string(key) : fmt::format("{}.{}", path_, key);
  }
  Status Error(std::string_view message) const {
    return Status::DataError(path_.empty() ? std::string(message) : fmt::format("{}: {}", path_, message));
  }
  Status FieldError(const char* key, std::string_view message) const {
    return Status::DataError(fmt::format("{}: {}", Join(key), message));
  }

  Status ExpectObject() const { return node_.is_object() ? Status::OK() : Error("expected an object"); }
  Status ExpectArray() const { return node_.is_array() ? Status::OK() : Error("expected an array"); }

  Result<std::string> String(const char* key, std::string fallback, bool required = false) const {
    if (IsNull(key)) {
      if (required) return FieldError(key, "is required");
      return fallback;
    }
    const json& v = node_.at(key);
    if (!v.is_string()) return FieldError(key, fmt::format("expected a string, got {}", JsonTypeName(v)));
    return v.get<std::string>();
  }

  Result<bool> Bool(const char* key, bool fallback) const {
    if (IsNull(key)) return fallback;
    const json& v = node_.at(key);
    if (!v.is_boolean()) return FieldError(key, fmt::format("expected true or false, got {}", JsonTypeName(v)));
    return v.get<bool>();
  }

  Result<Decimal> Number(const char* key, Decimal fallback, bool required = false) const {
    if (IsNull(key)) {
      if (required) return FieldError(key, "is required");
      return fallback;
    }
    auto d = DecimalFromJson(node_.at(key));
    if (!d.ok()) return FieldError(key, d.status().message());
    return d;
  }

  Result<Decimal> NonNegative(const char* key, Decimal fallback, bool required = false) const {
    METER_ASSIGN_OR_RETURN(Decimal d, Number(key, fallback, required));
    if (d.IsNegative()) return FieldError(key, fmt::format("must not be negative, got {}", d.ToString()));
    return d;
  }

  // A whole number in [min, max].
  Result<int> WholeNumber(const char* key, int fallback, int min, int max) const {
    if (IsNull(key)) return fallback;
    METER_ASSIGN_OR_RETURN(Decimal d, Number(key, Decimal()));
    if (!d.IsInteger() || d < Decimal::FromInt(min) || d > Decimal::FromInt(max))
      return FieldError(key, fmt::format("must be a whole number from {} to {}, got {}", min, max, d.ToString()));
    return static_cast<int>(*d.ToInt64());
  }

  // A limit value: null or -1 mean unlimited.
  Result<std::optional<Decimal>> OptionalLimit(const char* key) const {
    if (IsNull(key)) return std::optional<Decimal>();
    METER_ASSIGN_OR_RETURN(Decimal d, Number(key, Decimal()));
    if (d == Decimal::FromInt(-1)) return std::optional<Decimal>();
    if (d.IsNegative()) return FieldError(key, "must be a non-negative number, null or -1 (unlimited)");
    return std::optional<Decimal>(d);
  }

 private:
  const json& node_;
  std::string path_;
};

// Longest trial: ten years.
constexpr int kMaxTrialDays = 3650;

Status CheckCurrency(const Reader& r, const char* key, const std::string& code) {
  if (!IsoMinorUnit(code))
    return r.FieldError(key, fmt::format("'{}' is not an ISO 4217 code (a currency such as USD, EUR, JPY)", code));
  return Status::OK();
}

bool IsIdentifier(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.' || c == ':'))
      return false;
  return true;
}

Status ParseWhere(const Reader& r, Meter* m) {
  if (r.IsNull("where")) return Status::OK();
  Reader w = r.Child("where");
  METER_RETURN_IF_ERROR(w.ExpectObject());
  for (const auto& [field, value] : w.node().items()) {
    std::string text;
    if (value.is_string()) text = value.get<std::string>();
    else if (value.is_number() || value.is_boolean() || IsRawNumber(value)) text = DumpJson(value);
    else return w.FieldError(field.c_str(), "expected a string, number or boolean to compare with");
    m->where.push_back({field, text});
  }
  return Status::OK();
}

Result<Meter> ParseMeter(const Reader& r) {
  METER_RETURN_IF_ERROR(r.ExpectObject());
  Meter m;
  METER_ASSIGN_OR_RETURN(m.key, r.String("key", "", true));
  if (!IsIdentifier(m.key)) return r.FieldError("key", fmt::format("'{}' is not a valid key (letters, digits, _ - . :)", m.key));
  METER_ASSIGN_OR_RETURN(m.name, r.String("name", m.key));
  METER_ASSIGN_OR_RETURN(m.unit, r.String("unit", ""));
  METER_ASSIGN_OR_RETURN(m.event, r.String("event", m.key));
  METER_ASSIGN_OR_RETURN(std::string agg, r.String("aggregation", "sum"));
  if (agg == "sum") m.aggregation = Aggregation::kSum;
  else if (agg == "count") m.aggregation = Aggregation::kCount;
  else if (agg == "max") m.aggregation = Aggregation::kMax;
  else if (agg == "unique_count") m.aggregation = Aggregation::kUniqueCount;
  else if (agg == "latest") m.aggregation = Aggregation::kLatest;
  else return r.FieldError("aggregation", fmt::format("unknown aggregation '{}' (sum, count, max, unique_count, latest)", agg));
  std::string default_value = m.aggregation == Aggregation::kUniqueCount ? "user" : "quantity";
  METER_ASSIGN_OR_RETURN(m.value, r.String("value", default_value));
  if (m.value.empty()) return r.FieldError("value", "must name a field");
  METER_RETURN_IF_ERROR(ParseWhere(r, &m));
  return m;
}

Result<std::vector<Tier>> ParseTiers(const Reader& r) {
  if (r.IsNull("tiers")) return r.FieldError("tiers", "is required for this model");
  Reader tr = r.Child("tiers");
  METER_RETURN_IF_ERROR(tr.ExpectArray());
  if (tr.node().empty()) return tr.Error("needs at least one tier");
  std::vector<Tier> tiers;
  for (size_t i = 0; i < tr.node().size(); ++i) {
    Reader t = tr.Item(i);
    METER_RETURN_IF_ERROR(t.ExpectObject());
    Tier tier;
    METER_ASSIGN_OR_RETURN(tier.up_to, t.OptionalLimit("up_to"));
    METER_ASSIGN_OR_RETURN(tier.unit_price, t.NonNegative("unit_price", Decimal()));
    METER_ASSIGN_OR_RETURN(tier.flat_price, t.NonNegative("flat_price", Decimal()));
    bool last = i + 1 == tr.node().size();
    if (!tier.up_to && !last) return t.FieldError("up_to", "only the last tier may be unbounded (null)");
    if (tier.up_to && last) return t.FieldError("up_to", "the last tier must be unbounded (up_to null)");
    if (tier.up_to && !tiers.empty() && *tier.up_to <= *tiers.back().up_to)
      return t.FieldError("up_to", fmt::format("must be greater than the previous tier's {}", tiers.back().up_to->ToString()));
    tiers.push_back(tier);
  }
  return tiers;
}

// The pricing fields of a charge, which a filter may override.
constexpr const char* kPricingFields[] = {"model", "unit_price", "included", "tiers",
                                          "package_size", "package_price", "group_by"};

// The model and its prices, read from `r` (a charge, or a filter merged over
// its charge).
Status ParsePricing(const Reader& r, Charge* ch) {
  METER_ASSIGN_OR_RETURN(std::string model, r.String("model", "per_unit"));
  METER_ASSIGN_OR_RETURN(ch->included, r.NonNegative("included", Decimal()));
  if (model == "per_unit") {
    ch->model = ChargeModel::kPerUnit;
    METER_ASSIGN_OR_RETURN(ch->unit_price, r.NonNegative("unit_price", Decimal(), true));
  } else if (model == "package") {
    ch->model = ChargeModel::kPackage;
    METER_ASSIGN_OR_RETURN(ch->package_size, r.NonNegative("package_size", Decimal(), true));
    if (ch->package_size.IsZero()) return r.FieldError("package_size", "must be greater than 0");
    METER_ASSIGN_OR_RETURN(ch->package_price, r.NonNegative("package_price", Decimal(), true));
  } else if (model == "graduated" || model == "volume") {
    ch->model = model == "graduated" ? ChargeModel::kGraduated : ChargeModel::kVolume;
    METER_ASSIGN_OR_RETURN(ch->tiers, ParseTiers(r));
  } else {
    return r.FieldError("model", fmt::format("unknown model '{}' (per_unit, graduated, volume, package)", model));
  }
  METER_ASSIGN_OR_RETURN(ch->group_by, r.String("group_by", ""));
  if (!r.IsNull("group_by") && !IsFilterField(ch->group_by))
    return r.FieldError("group_by", fmt::format("'{}' is not an event field (operation, user, status or "
                                                "properties.<name>)", ch->group_by));
  return Status::OK();
}

// A filter's field as people read it: without "properties.".
std::string_view DisplayField(std::string_view field) {
  return field.starts_with("properties.") ? field.substr(11) : field;
}

Result<std::vector<FilterCondition>> ParseFilterWhere(const Reader& r) {
  if (r.IsNull("where")) return r.FieldError("where", "is required (the event fields the filter prices)");
  Reader w = r.Child("where");
  METER_RETURN_IF_ERROR(w.ExpectObject());
  if (w.node().empty()) return w.Error("needs at least one condition");
  std::vector<FilterCondition> out;
  for (const auto& [field, value] : w.node().items()) {
    if (!IsFilterField(field))
      return w.FieldError(field.c_str(), "is not an event field a filter can test (operation, user, status or "
                                         "properties.<name>)");
    FilterCondition cond{field, {}};
    if (value.is_string()) cond.values.push_back(value.get<std::string>());
    else if (value.is_array() && !value.empty() && std::all_of(value.begin(), value.end(), [](const json& v) { return v.is_string(); }))
      for (const auto& v : value) cond.values.push_back(v.get<std::string>());
    else return w.FieldError(field.c_str(), "expected a string or a non-empty list of strings");
    out.push_back(std::move(cond));
  }
  std::sort(out.begin(), out.end(), [](const FilterCondition& a, const FilterCondition& b) {
    return std::pair(DisplayField(a.field), a.field) < std::pair(DisplayField(b.field), b.field);
  });
  return out;
}

// "model=claude-sonnet|claude-opus, tier=batch": SPEC section 10's default name.
std::string DefaultFilterName(const std::vector<FilterCondition>& where) {
  std::string name;
  for (const auto& c : where) {
    if (!name.empty()) name += ", ";
    name += fmt::format("{}={}", DisplayField(c.field), fmt::join(c.values, "|"));
  }
  return name;
}

// One filter of `charge` (whose document is `charge_node`): its where, its
// name and its effective pricing, the charge's fields with the filter's
// overrides applied (null un-sets) and validated as a charge of its own.
Result<ChargeFilter> ParseFilter(const Reader& r, const json& charge_node, const Charge& charge) {
  METER_RETURN_IF_ERROR(r.ExpectObject());
  ChargeFilter f;
  for (const auto& [key, value] : r.node().items()) {
    // A structured binding is not captured by the lambda: clang 14 (the fuzz
    // build's compiler, scripts/fuzz.sh) refuses that C++20 feature.
    const std::string& field = key;
    bool known = key == "name" || key == "where" ||
                 std::any_of(std::begin(kPricingFields), std::end(kPricingFields),
                             [&](const char* k) { return field == k; });
    if (!known)
      return r.FieldError(key.c_str(), "unknown filter field (name, where, model, unit_price, included, tiers, "
                                       "package_size, package_price, group_by)");
    if (key != "name" && key != "where") f.overrides[key] = value;
  }
  METER_ASSIGN_OR_RETURN(f.where, ParseFilterWhere(r));
  f.name_given = !r.IsNull("name");
  METER_ASSIGN_OR_RETURN(f.name, r.String("name", DefaultFilterName(f.where)));
  if (f.name.empty()) return r.FieldError("name", "must not be empty");
  json merged = json::object();
  for (const char* k : kPricingFields)
    if (charge_node.contains(k)) merged[k] = charge_node.at(k);
  for (const auto& [k, v] : f.overrides.items()) {
    if (v.is_null()) merged.erase(k);
    else merged[k] = v;
  }
  f.charge.meter = charge.meter;
  f.charge.description = charge.description;
  METER_RETURN_IF_ERROR(ParsePricing(Reader(merged, r.path()), &f.charge));
  return f;
}

Result<Charge> ParseCharge(const Reader& r, const Catalog& c) {
  METER_RETURN_IF_ERROR(r.ExpectObject());
  Charge ch;
  METER_ASSIGN_OR_RETURN(ch.meter, r.String("meter", "", true));
  if (!c.FindMeter(ch.meter)) return r.Error(fmt::format("unknown meter '{}'", ch.meter));
  METER_ASSIGN_OR_RETURN(ch.description, r.String("description", ""));
  METER_RETURN_IF_ERROR(ParsePricing(r, &ch));
  if (r.IsNull("filters")) return ch;
  Reader fr = r.Child("filters");
  METER_RETURN_IF_ERROR(fr.ExpectArray());
  std::vector<ChargeFilter> filters;
  for (size_t i = 0; i < fr.node().size(); ++i) {
    METER_ASSIGN_OR_RETURN(ChargeFilter f, ParseFilter(fr.Item(i), r.node(), ch));
    for (size_t j = 0; j < filters.size(); ++j)
      if (filters[j].name == f.name)
        return fr.Item(i).FieldError("name", fmt::format("'{}' is also the name of filters[{}]; each filter's "
                                                         "invoice line needs its own name", f.name, j));
    filters.push_back(std::move(f));
  }
  ch.filters = std::move(filters);
  return ch;
}

Result<Limit> ParseLimit(const Reader& r, const Catalog& c) {
  METER_RETURN_IF_ERROR(r.ExpectObject());
  Limit l;
  METER_ASSIGN_OR_RETURN(l.meter, r.String("meter", "", true));
  if (!c.FindMeter(l.meter)) return r.Error(fmt::format("unknown meter '{}'", l.meter));
  METER_ASSIGN_OR_RETURN(l.limit, r.OptionalLimit("limit"));
  METER_ASSIGN_OR_RETURN(std::string period, r.String("period", "month"));
  if (period == "day") l.period = LimitPeriod::kDay;
  else if (period == "month") l.period = LimitPeriod::kMonth;
  else return r.FieldError("period", fmt::format("unknown period '{}' (day, month)", period));
  METER_ASSIGN_OR_RETURN(std::string enforcement, r.String("enforcement", "hard"));
  if (enforcement == "hard") l.enforcement = Enforcement::kHard;
  else if (enforcement == "soft") l.enforcement = Enforcement::kSoft;
  else return r.FieldError("enforcement", fmt::format("unknown enforcement '{}' (hard, soft)", enforcement));
  return l;
}

Result<RateLimit> ParseRateLimit(const Reader& r) {
  METER_RETURN_IF_ERROR(r.ExpectObject());
  RateLimit rl;
  METER_ASSIGN_OR_RETURN(rl.capacity, r.NonNegative("capacity", Decimal(), true));
  METER_ASSIGN_OR_RETURN(rl.refill, r.NonNegative("refill", rl.capacity));
  METER_ASSIGN_OR_RETURN(std::string per, r.String("per", "1s"));
  auto ms = ParseDuration(per);
  if (!ms.ok()) return r.FieldError("per", ms.status().message());
  rl.per_ms = *ms;
  if (rl.capacity.IsZero()) return r.FieldError("capacity", "must be greater than 0");
  return rl;
}

Status ParsePlanLists(const Reader& r, const Catalog& c, Plan* p) {
  if (!r.IsNull("charges")) {
    Reader cr = r.Child("charges");
    METER_RETURN_IF_ERROR(cr.ExpectArray());
    for (size_t i = 0; i < cr.node().size(); ++i) {
      METER_ASSIGN_OR_RETURN(Charge ch, ParseCharge(cr.Item(i), c));
      if (p->FindCharge(ch.meter)) return cr.Item(i).Error(fmt::format("meter '{}' is charged twice", ch.meter));
      p->charges.push_back(std::move(ch));
    }
  }
  if (!r.IsNull("limits")) {
    Reader lr = r.Child("limits");
    METER_RETURN_IF_ERROR(lr.ExpectArray());
    for (size_t i = 0; i < lr.node().size(); ++i) {
      METER_ASSIGN_OR_RETURN(Limit l, ParseLimit(lr.Item(i), c));
      if (p->FindLimit(l.meter)) return lr.Item(i).Error(fmt::format("meter '{}' has two limits", l.meter));
      p->limits.push_back(std::move(l));
    }
  }
  return Status::OK();
}

Status ParsePlanExtras(const Reader& r, Plan* p) {
  if (!r.IsNull("features")) {
    Reader fr = r.Child("features");
    METER_RETURN_IF_ERROR(fr.ExpectObject());
    for (const auto& [name, v] : fr.node().items()) {
      if (!v.is_boolean()) return fr.FieldError(name.c_str(), "expected true or false");
      p->features[name] = v.get<bool>();
    }
  }
  if (!r.IsNull("alert_thresholds")) {
    Reader ar = r.Child("alert_thresholds");
    METER_RETURN_IF_ERROR(ar.ExpectArray());
    p->alert_thresholds.clear();
    for (size_t i = 0; i < ar.node().size(); ++i) {
      const json& v = ar.node().at(i);
      if (!v.is_number_integer() || v.get<int64_t>() <= 0 || v.get<int64_t>() > 100000)
        return ar.Item(i).Error("expected a positive whole percentage");
      p->alert_thresholds.push_back(v.get<int>());
    }
  }
  if (!r.IsNull("rate_limit")) {
    METER_ASSIGN_OR_RETURN(RateLimit rl, ParseRateLimit(r.Child("rate_limit")));
    p->rate_limit = rl;
  }
  return Status::OK();
}

Result<Plan> ParsePlan(const Reader& r, const Catalog& c) {
  METER_RETURN_IF_ERROR(r.ExpectObject());
  Plan p;
  METER_ASSIGN_OR_RETURN(p.key, r.String("key", "", true));
  if (!IsIdentifier(p.key)) return r.FieldError("key", fmt::format("'{}' is not a valid key", p.key));
  METER_ASSIGN_OR_RETURN(p.name, r.String("name", p.key));
  METER_ASSIGN_OR_RETURN(p.base_price, r.NonNegative("base_price", Decimal()));
  METER_ASSIGN_OR_RETURN(p.interval, r.String("interval", "month"));
  if (p.interval != "month" && p.interval != "year")
    return r.FieldError("interval", fmt::format("unsupported interval '{}' (month, year)", p.interval));
  METER_ASSIGN_OR_RETURN(p.overage, r.Bool("overage", true));
  if (!r.IsNull("currency")) {
    METER_ASSIGN_OR_RETURN(p.currency, r.String("currency", ""));
    METER_RETURN_IF_ERROR(CheckCurrency(r, "currency", p.currency));
  }
  METER_ASSIGN_OR_RETURN(p.minimum_commitment, r.NonNegative("minimum_commitment", Decimal()));
  METER_ASSIGN_OR_RETURN(p.trial_days, r.WholeNumber("trial_days", 0, 0, kMaxTrialDays));
  METER_RETURN_IF_ERROR(ParsePlanLists(r, c, &p));
  METER_RETURN_IF_ERROR(ParsePlanExtras(r, &p));
  return p;
}

Result<TenantOverrides> ParseOverrides(const Reader& r) {
  TenantOverrides o;
  if (r.IsNull("overrides")) return o;
  Reader orr = r.Child("overrides");
  METER_RETURN_IF_ERROR(orr.ExpectObject());
  if (!orr.IsNull("limits")) {
    Reader lr = orr.Child("limits");
    METER_RETURN_IF_ERROR(lr.ExpectObject());
    for (const auto& [meter, v] : lr.node().items()) {
      METER_ASSIGN_OR_RETURN(o.limits[meter], lr.OptionalLimit(meter.c_str()));
    }
  }
  if (!orr.IsNull("tax_rate")) {
    METER_ASSIGN_OR_RETURN(Decimal rate, orr.NonNegative("tax_rate", Decimal()));
    o.tax_rate = rate;
  }
  return o;
}

Result<Tenant> ParseTenant(const Reader& r) {
  METER_RETURN_IF_ERROR(r.ExpectObject());
  Tenant t;
  METER_ASSIGN_OR_RETURN(t.id, r.String("id", "", true));
  METER_ASSIGN_OR_RETURN(t.name, r.String("name", t.id));
  METER_ASSIGN_OR_RETURN(t.plan, r.String("plan", "", true));
  METER_ASSIGN_OR_RETURN(t.email, r.String("email", ""));
  METER_ASSIGN_OR_RETURN(t.timezone, r.String("timezone", ""));
  METER_ASSIGN_OR_RETURN(t.overrides, ParseOverrides(r));
  METER_ASSIGN_OR_RETURN(t.billing_day, r.WholeNumber("billing_day", 1, 1, 31));
  METER_ASSIGN_OR_RETURN(t.started_at, r.String("started_at", ""));
  return t;
}

Result<WebhookEndpoint> ParseWebhook(const Reader& r) {
  METER_RETURN_IF_ERROR(r.ExpectObject());
  WebhookEndpoint w;
  METER_ASSIGN_OR_RETURN(w.url, r.String("url", "", true));
  if (w.url.rfind("http://", 0) != 0 && w.url.rfind("https://", 0) != 0)
    return r.FieldError("url", fmt::format("'{}' is not an http:// or https:// URL", w.url));
  if (!r.IsNull("events")) {
    Reader er = r.Child("events");
    METER_RETURN_IF_ERROR(er.ExpectArray());
    for (size_t i = 0; i < er.node().size(); ++i) {
      if (!er.node().at(i).is_string()) return er.Item(i).Error("expected an event name");
      w.events.push_back(er.node().at(i).get<std::string>());
    }
  }
  if (!r.IsNull("tenant")) { METER_ASSIGN_OR_RETURN(w.tenant, r.String("tenant", "")); }
  if (!r.IsNull("secret")) { METER_ASSIGN_OR_RETURN(w.secret, r.String("secret", "")); }
  return w;
}

Status ParseSettings(const Reader& r, Catalog* c) {
  METER_ASSIGN_OR_RETURN(c->currency, r.String("currency", "USD"));
  METER_RETURN_IF_ERROR(CheckCurrency(r, "currency", c->currency));
  if (!r.IsNull("tax")) {
    Reader tr = r.Child("tax");
    METER_RETURN_IF_ERROR(tr.ExpectObject());
    METER_ASSIGN_OR_RETURN(c->tax.name, tr.String("name", "Tax"));
    METER_ASSIGN_OR_RETURN(c->tax.rate, tr.NonNegative("rate", Decimal()));
  }
  if (!r.IsNull("invoice")) {
    Reader ir = r.Child("invoice");
    METER_RETURN_IF_ERROR(ir.ExpectObject());
    METER_ASSIGN_OR_RETURN(c->invoice.number_prefix, ir.String("number_prefix", "INV-"));
    METER_ASSIGN_OR_RETURN(Decimal net, ir.NonNegative("net_days", Decimal::FromInt(30)));
    if (!net.IsInteger() || net > Decimal::FromInt(3650)) return ir.FieldError("net_days", "expected a whole number of days");
    c->invoice.net_days = static_cast<int>(*net.ToInt64());
    METER_ASSIGN_OR_RETURN(c->invoice.seller_name, ir.String("seller_name", ""));
    METER_ASSIGN_OR_RETURN(c->invoice.seller_address, ir.String("seller_address", ""));
  }
  return Status::OK();
}

template <typename T, typename F>
Status ParseList(const Reader& root, const char* key, std::vector<T>* out, F&& parse) {
  if (root.IsNull(key)) return Status::OK();
  Reader lr = root.Child(key);
  METER_RETURN_IF_ERROR(lr.ExpectArray());
  for (size_t i = 0; i < lr.node().size(); ++i) {
    auto item = parse(lr.Item(i));
    if (!item.ok()) return item.status();
    out->push_back(std::move(item).value());
  }
  return Status::OK();
}

Status CheckUnique(const Catalog& c) {
  std::set<std::string> seen;
  for (size_t i = 0; i < c.meters.size(); ++i)
    if (!seen.insert(c.meters[i].key).second)
      return Status::DataError(fmt::format("meters[{}].key: duplicate meter '{}'", i, c.meters[i].key));
  seen.clear();
  for (size_t i = 0; i < c.plans.size(); ++i)
    if (!seen.insert(c.plans[i].key).second)
      return Status::DataError(fmt::format("plans[{}].key: duplicate plan '{}'", i, c.plans[i].key));
  seen.clear();
  for (size_t i = 0; i < c.tenants.size(); ++i)
    if (!seen.insert(c.tenants[i].id).second)
      return Status::DataError(fmt::format("tenants[{}].id: duplicate tenant '{}'", i, c.tenants[i].id));
  return Status::OK();
}

}  // namespace

bool IsFilterField(std::string_view field) {
  if (field == "operation" || field == "user" || field == "status") return true;
  if (!field.starts_with("properties.")) return false;
  std::string_view name = field.substr(11);
  return !name.empty() && name.front() != '.' && name.back() != '.' && name.find("..") == std::string_view::npos;
}

bool IsStartTime(std::string_view text) {
  if (text.size() == 10) return ParseTimeArg(text).ok();  // a date: YYYY-MM-DD
  return ParseRfc3339(text).ok();
}

Status ValidateTenant(const Catalog& c, const Tenant& t, const std::string& path) {
  auto err = [&](std::string_view m) { return Status::DataError(path.empty() ? std::string(m) : fmt::format("{}: {}", path, m)); };
  if (!IsIdentifier(t.id)) return err(fmt::format("'{}' is not a valid tenant id (letters, digits, _ - . :)", t.id));
  if (!c.FindPlan(t.plan)) return err(fmt::format("unknown plan '{}'", t.plan));
  if (!t.timezone.empty()) {
    Status tz = ValidateTimeZone(t.timezone);
    if (!tz.ok()) return err(tz.message());
  }
  for (const auto& [meter, limit] : t.overrides.limits)
    if (!c.FindMeter(meter)) return err(fmt::format("overrides.limits: unknown meter '{}'", meter));
  if (t.billing_day < 1 || t.billing_day > 31)
    return err(fmt::format("billing_day: must be a whole number from 1 to 31, got {}", t.billing_day));
  if (!t.started_at.empty() && !IsStartTime(t.started_at))
    return err(fmt::format("started_at: '{}' is not a date (YYYY-MM-DD) or an RFC 3339 time", t.started_at));
  return Status::OK();
}

Result<Catalog> ParseCatalog(std::string_view text) {
  // Numbers are read from their text, exactly (a price of 0.2018234 is not
  // what a double makes of it).
  auto parsed = ParseJsonExact(text, /*comments=*/true);
  if (!parsed.ok()) return Status::DataError(fmt::format("catalog is not valid JSON: {}", parsed.status().message()));
  const json& doc = *parsed;
  Reader root(doc, "");
  if (!doc.is_object()) return Status::DataError("catalog: expected a JSON object at the top level");
  Catalog c;
  METER_RETURN_IF_ERROR(ParseSettings(root, &c));
  METER_RETURN_IF_ERROR(ParseList(root, "meters", &c.meters, ParseMeter));
  METER_RETURN_IF_ERROR(ParseList(root, "plans", &c.plans, [&](const Reader& r) { return ParsePlan(r, c); }));
  METER_RETURN_IF_ERROR(ParseList(root, "tenants", &c.tenants, ParseTenant));
  METER_RETURN_IF_ERROR(ParseList(root, "webhooks", &c.webhooks, ParseWebhook));
  METER_RETURN_IF_ERROR(ParseBalances(doc, &c));
  METER_RETURN_IF_ERROR(CheckUnique(c));
  for (size_t i = 0; i < c.tenants.size(); ++i)
    METER_RETURN_IF_ERROR(ValidateTenant(c, c.tenants[i], fmt::format("tenants[{}]", i)));
  return c;
}

namespace {

// True when some event could match both filters: every field both test
// accepts a value both accept (a field only one tests constrains nothing).
bool Overlap(const ChargeFilter& a, const ChargeFilter& b) {
  for (const auto& ca : a.where)
    for (const auto& cb : b.where) {
      if (ca.field != cb.field) continue;
      bool shared = std::any_of(ca.values.begin(), ca.values.end(), [&](const std::string& v) {
        return std::find(cb.values.begin(), cb.values.end(), v) != cb.values.end();
      });
      if (!shared) return false;
    }
  return true;
}

}  // namespace

std::vector<std::string> CatalogWarnings(const Catalog& c) {
  std::vector<std::string> out;
  for (size_t p = 0; p < c.plans.size(); ++p)
    for (size_t ch = 0; ch < c.plans[p].charges.size(); ++ch) {
      const auto& filters = c.plans[p].charges[ch].filters;
      for (size_t i = 0; i < filters.size(); ++i)
        for (size_t j = i + 1; j < filters.size(); ++j)
          if (Overlap(filters[i], filters[j]))
            out.push_back(fmt::format("plans[{}].charges[{}].filters[{}] and filters[{}]: filters '{}' and '{}' "
                                      "overlap; an event matching both is priced by '{}' (the first match wins)",
                                      p, ch, i, j, filters[i].name, filters[j].name, filters[i].name));
    }
  return out;
}

Result<Catalog> LoadCatalogFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NoInput(fmt::format("catalog file '{}' does not exist or cannot be read", path));
  std::stringstream ss;
  ss << in.rdbuf();
  auto c = ParseCatalog(ss.str());
  if (!c.ok()) return c.status().WithContext(path);
  return c;
}

namespace {

json LimitToJson(const std::optional<Decimal>& l) { return l ? JsonNumber(*l) : json(nullptr); }

json ChargeToJson(const Charge& ch) {
  json j = {{"meter", ch.meter}, {"model", ChargeModelName(ch.model)}};
  if (!ch.description.empty()) j["description"] = ch.description;
  if (!ch.included.IsZero()) j["included"] = JsonNumber(ch.included);
  switch (ch.model) {
    case ChargeModel::kPerUnit: j["unit_price"] = ch.unit_price.ToString(); break;
    case ChargeModel::kPackage:
      j["package_size"] = JsonNumber(ch.package_size);
      j["package_price"] = ch.package_price.ToString();
      break;
    case ChargeModel::kGraduated:
    case ChargeModel::kVolume:
      j["tiers"] = json::array();
      for (const auto& t : ch.tiers)
        j["tiers"].push_back({{"up_to", LimitToJson(t.up_to)}, {"unit_price", t.unit_price.ToString()},
                              {"flat_price", t.flat_price.ToString()}});
      break;
  }
  if (!ch.group_by.empty()) j["group_by"] = ch.group_by;
  if (!ch.filters.empty()) {
    j["filters"] = json::array();
    for (const auto& f : ch.filters) {
      json fj = f.overrides;
      if (f.name_given) fj["name"] = f.name;
      fj["where"] = json::object();
      for (const auto& w : f.where)
        fj["where"][w.field] = w.values.size() == 1 ? json(w.values.front()) : json(w.values);
      j["filters"].push_back(std::move(fj));
    }
  }
  return j;
}

json PlanToJson(const Plan& p) {
  json j = {{"key", p.key}, {"name", p.name}, {"base_price", p.base_price.ToString()},
            {"interval", p.interval}, {"overage", p.overage}, {"charges", json::array()},
            {"limits", json::array()}, {"features", p.features}, {"alert_thresholds", p.alert_thresholds}};
  if (!p.currency.empty()) j["currency"] = p.currency;
  if (!p.minimum_commitment.IsZero()) j["minimum_commitment"] = p.minimum_commitment.ToString();
  if (p.trial_days != 0) j["trial_days"] = p.trial_days;
  for (const auto& ch : p.charges) j["charges"].push_back(ChargeToJson(ch));
  for (const auto& l : p.limits)
    j["limits"].push_back({{"meter", l.meter}, {"limit", LimitToJson(l.limit)},
                           {"period", LimitPeriodName(l.period)}, {"enforcement", EnforcementName(l.enforcement)}});
  if (p.rate_limit)
    j["rate_limit"] = {{"capacity", JsonNumber(p.rate_limit->capacity)},
                       {"refill", JsonNumber(p.rate_limit->refill)},
                       {"per", fmt::format("{}ms", p.rate_limit->per_ms)}};
  return j;
}

json TenantToJson(const Tenant& t) {
  json j = {{"id", t.id}, {"name", t.name}, {"plan", t.plan}, {"email", t.email}};
  if (!t.timezone.empty()) j["timezone"] = t.timezone;
  json o = json::object();
  if (!t.overrides.limits.empty()) {
    o["limits"] = json::object();
    for (const auto& [m, l] : t.overrides.limits) o["limits"][m] = LimitToJson(l);
  }
  if (t.overrides.tax_rate) o["tax_rate"] = t.overrides.tax_rate->ToString();
  if (!o.empty()) j["overrides"] = o;
  if (t.billing_day != 1) j["billing_day"] = t.billing_day;
  if (!t.started_at.empty()) j["started_at"] = t.started_at;
  return j;
}

}  // namespace

json ToJson(const Catalog& c) {
  json j = {{"currency", c.currency},
            {"tax", {{"name", c.tax.name}, {"rate", c.tax.rate.ToString()}}},
            {"invoice", {{"number_prefix", c.invoice.number_prefix}, {"net_days", c.invoice.net_days}}},
            {"meters", json::array()}, {"plans", json::array()}, {"tenants", json::array()},
            {"webhooks", json::array()}};
  if (!c.invoice.seller_name.empty()) j["invoice"]["seller_name"] = c.invoice.seller_name;
  if (!c.invoice.seller_address.empty()) j["invoice"]["seller_address"] = c.invoice.seller_address;
  for (const auto& m : c.meters) {
    json mj = {{"key", m.key}, {"event", m.event}, {"aggregation", AggregationName(m.aggregation)}, {"value", m.value}};
    if (m.name != m.key) mj["name"] = m.name;
    if (!m.unit.empty()) mj["unit"] = m.unit;
    if (!m.where.empty()) {
      mj["where"] = json::object();
      for (const auto& w : m.where) mj["where"][w.field] = w.equals;
    }
    j["meters"].push_back(mj);
  }
  BalancesToJson(c, j);
  for (const auto& p : c.plans) j["plans"].push_back(PlanToJson(p));
  for (const auto& t : c.tenants) j["tenants"].push_back(TenantToJson(t));
  for (const auto& w : c.webhooks) {
    json wj = {{"url", w.url}, {"events", w.events}, {"tenant", w.tenant ? json(*w.tenant) : json(nullptr)}};
    if (w.secret) wj["secret"] = *w.secret;
    j["webhooks"].push_back(wj);
  }
  return j;
}

}  // namespace meter::catalog
