// The balances block of the catalog (SPEC section 11): coupons, the
// low-balance threshold of prepaid credits and the credit-note prefix.
#include <set>

#include <fmt/format.h>

#include "catalog/catalog.h"
#include "core/local_date.h"
#include "core/json_util.h"
#include "core/time.h"

namespace meter::catalog {

using nlohmann::json;

std::string_view CouponDurationName(CouponDuration d) {
  switch (d) {
    case CouponDuration::kOnce: return "once";
    case CouponDuration::kRepeating: return "repeating";
    case CouponDuration::kForever: return "forever";
  }
  return "once";
}

const Coupon* Catalog::FindCoupon(std::string_view code) const {
  for (const auto& c : coupons)
    if (c.code == code) return &c;
  return nullptr;
}

namespace {

Status Bad(const std::string& path, std::string_view message) {
  return Status::DataError(fmt::format("{}: {}", path, message));
}

Result<std::string> Text(const json& o, const char* key, const std::string& path) {
  if (!o.contains(key) || o.at(key).is_null()) return std::string();
  if (!o.at(key).is_string()) return Bad(path + "." + key, "expected a string");
  return o.at(key).get<std::string>();
}

// A positive decimal, or nullopt when absent or null.
Result<std::optional<Decimal>> Positive(const json& o, const char* key, const std::string& path) {
  if (!o.contains(key) || o.at(key).is_null()) return std::optional<Decimal>();
  auto d = DecimalFromJson(o.at(key));
  if (!d.ok()) return Bad(path + "." + key, d.status().message());
  if (d->IsNegative() || d->IsZero()) return Bad(path + "." + key, "must be greater than zero");
  return std::optional<Decimal>(*d);
}

Result<int64_t> WholeNumber(const json& o, const char* key, const std::string& path) {
  METER_ASSIGN_OR_RETURN(auto d, Positive(o, key, path));
  if (!d || !d->IsInteger() || *d > Decimal::FromInt(1000000000))
    return Bad(path + "." + key, "expected a whole number of at least 1");
  return *d->ToInt64();
}

Status ParseDuration(const json& o, const std::string& path, Coupon& c) {
  METER_ASSIGN_OR_RETURN(std::string d, Text(o, "duration", path));
  if (d == "once" || d.empty()) c.duration = CouponDuration::kOnce;
  else if (d == "repeating") c.duration = CouponDuration::kRepeating;
  else if (d == "forever") c.duration = CouponDuration::kForever;
  else return Bad(path + ".duration", fmt::format("'{}' is not once, repeating or forever", d));
  if (c.duration == CouponDuration::kRepeating) {
    METER_ASSIGN_OR_RETURN(int64_t months, WholeNumber(o, "months", path));
    if (months > 1200) return Bad(path + ".months", "at most 1200");
    c.months = static_cast<int>(months);
  } else if (o.contains("months") && !o.at("months").is_null()) {
    return Bad(path + ".months", "only a repeating coupon has months");
  }
  return Status::OK();
}

}  // namespace

Result<Coupon> ParseCoupon(const json& o, const std::string& path, const std::string& currency) {
  if (!o.is_object()) return Bad(path, "expected an object");
  Coupon c;
  METER_ASSIGN_OR_RETURN(c.code, Text(o, "code", path));
  if (c.code.empty()) return Bad(path + ".code", "is required");
  METER_ASSIGN_OR_RETURN(c.percent_off, Positive(o, "percent_off", path));
  METER_ASSIGN_OR_RETURN(c.amount_off, Positive(o, "amount_off", path));
  if (c.percent_off.has_value() == c.amount_off.has_value())
    return Bad(path, "a coupon has exactly one of percent_off and amount_off");
  if (c.percent_off && *c.percent_off > Decimal::FromInt(100)) return Bad(path + ".percent_off", "at most 100");
  METER_ASSIGN_OR_RETURN(c.currency, Text(o, "currency", path));
  if (c.percent_off && !c.currency.empty()) return Bad(path + ".currency", "only an amount_off coupon has a currency");
  if (c.amount_off && c.currency.empty()) c.currency = currency;
  METER_RETURN_IF_ERROR(ParseDuration(o, path, c));
  if (o.contains("max_redemptions") && !o.at("max_redemptions").is_null()) {
    METER_ASSIGN_OR_RETURN(c.max_redemptions, WholeNumber(o, "max_redemptions", path));
  }
  METER_ASSIGN_OR_RETURN(c.redeem_by, Text(o, "redeem_by", path));
  if (!c.redeem_by.empty() && !LocalDateStart(c.redeem_by).ok())
    return Bad(path + ".redeem_by", fmt::format("'{}' is not a date (YYYY-MM-DD)", c.redeem_by));
  return c;
}

json CouponToJson(const Coupon& k) {
  json o = {{"code", k.code}, {"duration", CouponDurationName(k.duration)}};
  if (k.percent_off) o["percent_off"] = k.percent_off->ToString();
  if (k.amount_off) {
    o["amount_off"] = k.amount_off->ToString();
    o["currency"] = k.currency;
  }
  if (k.duration == CouponDuration::kRepeating) o["months"] = k.months;
  if (k.max_redemptions) o["max_redemptions"] = *k.max_redemptions;
  if (!k.redeem_by.empty()) o["redeem_by"] = k.redeem_by;
  return o;
}

Status ParseBalances(const json& doc, Catalog* c) {
  if (doc.contains("invoice") && doc.at("invoice").is_object()) {
    METER_ASSIGN_OR_RETURN(std::string prefix, Text(doc.at("invoice"), "credit_note_prefix", "invoice"));
    if (!prefix.empty()) c->invoice.credit_note_prefix = prefix;
  }
  if (doc.contains("credits") && !doc.at("credits").is_null()) {
    const json& cr = doc.at("credits");
    if (!cr.is_object()) return Bad("credits", "expected an object");
    if (cr.contains("low_balance") && !cr.at("low_balance").is_null()) {
      auto d = DecimalFromJson(cr.at("low_balance"));
      if (!d.ok()) return Bad("credits.low_balance", d.status().message());
      if (d->IsNegative()) return Bad("credits.low_balance", "must not be negative");
      c->credits.low_balance = *d;
    }
  }
  if (!doc.contains("coupons") || doc.at("coupons").is_null()) return Status::OK();
  const json& list = doc.at("coupons");
  if (!list.is_array()) return Bad("coupons", "expected an array");
  std::set<std::string> seen;
  for (size_t i = 0; i < list.size(); ++i) {
    std::string path = fmt::format("coupons[{}]", i);
    METER_ASSIGN_OR_RETURN(Coupon coupon, ParseCoupon(list[i], path, c->currency));
    if (!seen.insert(coupon.code).second) return Bad(path + ".code", fmt::format("duplicate coupon '{}'", coupon.code));
    c->coupons.push_back(std::move(coupon));
  }
  return Status::OK();
}

void BalancesToJson(const Catalog& c, json& j) {
  j["invoice"]["credit_note_prefix"] = c.invoice.credit_note_prefix;
  if (c.credits.low_balance) j["credits"] = {{"low_balance", c.credits.low_balance->ToString()}};
  if (c.coupons.empty()) return;
  json list = json::array();
  for (const auto& k : c.coupons) list.push_back(CouponToJson(k));
  j["coupons"] = list;
}

}  // namespace meter::catalog
