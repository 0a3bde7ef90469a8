// The catalog: meters, plans, tenants, tax, invoice settings and webhook
// endpoints, as loaded from one JSON file (SPEC section 2).
//
// ParseCatalog either returns a fully validated Catalog or refuses the whole
// document with one message naming the JSON path and the problem
// ("plans[1].charges[0]: unknown meter 'api_call'"). Unit quantities
// (included, limits, tier bounds, package sizes) and prices are exact
// Decimals; nothing here touches binary floating point.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/decimal.h"
#include "core/status.h"

namespace meter::catalog {

enum class Aggregation { kSum, kCount, kMax, kUniqueCount, kLatest };
std::string_view AggregationName(Aggregation a);

// A condition on an event: `field` is a native field ("operation", "user",
// "status", "metric") or "properties.<name>"; the event matches when that
// field's value, as text, equals `equals`.
struct WhereClause {
  std::string field;
  std::string equals;
};

struct Meter {
  std::string key;
  std::string name;  // display name; defaults to key
  std::string unit;  // display unit ("GB", "tokens"); optional
  std::string event;  // the metric the meter reads; defaults to key
  std::vector<WhereClause> where;
  Aggregation aggregation = Aggregation::kSum;
  // The field summed / maxed / counted uniquely: "quantity" (default for
  // sum/max/latest), "user" (default for unique_count), or "properties.x".
  std::string value = "quantity";
};

enum class ChargeModel { kPerUnit, kGraduated, kVolume, kPackage };
std::string_view ChargeModelName(ChargeModel m);

struct Tier {
  std::optional<Decimal> up_to;  // inclusive; nullopt = no upper bound
  Decimal unit_price;
  Decimal flat_price;
};

struct ChargeFilter;

struct Charge {
  std::string meter;
  ChargeModel model = ChargeModel::kPerUnit;
  std::string description;   // optional label for the invoice line
  Decimal included;          // units free before any price applies
  Decimal unit_price;        // per_unit
  Decimal package_size;      // package
  Decimal package_price;     // package
  std::vector<Tier> tiers;   // graduated, volume
  // An event field ("operation", "user", "status" or "properties.<name>")
  // whose distinct values are priced separately, one line each; "" = none.
  std::string group_by;
  // Dimensional prices (SPEC section 10): each event of the meter is priced
  // by the first filter it matches; the rest (the remainder) by this charge.
  std::vector<ChargeFilter> filters;
};

// One condition of a filter: the event's `field` equals one of `values`.
struct FilterCondition {
  std::string field;                // "operation", "user", "status" or "properties.<name>"
  std::vector<std::string> values;  // in the order written; at least one
};

struct ChargeFilter {
  // As written, or the default: the conditions written `field=value` (the
  // field without "properties.", values joined by '|'), joined by ", ".
  std::string name;
  bool name_given = false;
  std::vector<FilterCondition> where;  // sorted by field as displayed; all must hold
  // The pricing fields the filter sets, as written (a null un-sets the
  // charge's value): kept so the catalog writes back as it was read.
  nlohmann::json overrides = nlohmann::json::object();
  // The effective pricing: the charge's fields with the overrides applied
  // (its `filters` empty, its `meter` and `description` the charge's).
  Charge charge;
};

enum class LimitPeriod { kDay, kMonth };
std::string_view LimitPeriodName(LimitPeriod p);
enum class Enforcement { kHard, kSoft };
std::string_view EnforcementName(Enforcement e);

struct Limit {
  std::string meter;
  std::optional<Decimal> limit;  // nullopt = unlimited
  LimitPeriod period = LimitPeriod::kMonth;
  Enforcement enforcement = Enforcement::kHard;
};

struct RateLimit {
  Decimal capacity;
  Decimal refill;       // tokens added per `per_ms`
  int64_t per_ms = 0;
};

struct Plan {
  std::string key;
  std::string name;
  Decimal base_price;
  std::string interval = "month";  // "month" or "year" (base price charged once per plan year)
  std::string currency;            // ISO 4217; "" = the catalog's (Catalog::CurrencyOf)
  Decimal minimum_commitment;      // per billing period; 0 = none
  int trial_days = 0;              // from the tenant's first start on the plan
  bool overage = true;  // false: nothing billed beyond included; limits are hard caps
  std::vector<Charge> charges;
  std::vector<Limit> limits;
  std::map<std::string, bool> features;
  std::vector<int> alert_thresholds = {80, 100, 120};
  std::optional<RateLimit> rate_limit;

  // The limit on `meter`, or nullptr when the plan sets none.
  const Limit* FindLimit(std::string_view meter) const;
  const Charge* FindCharge(std::string_view meter) const;
};

struct TenantOverrides {
  // Per-meter limit overrides; a nullopt value means unlimited.
  std::map<std::string, std::optional<Decimal>> limits;
  std::optional<Decimal> tax_rate;
};

struct Tenant {
  std::string id;
  std::string name;
  std::string plan;
  std::string email;
  std::string timezone;  // "" = UTC
  TenantOverrides overrides;
  // The day of the month its billing periods start (1-31; clamped to short
  // months' last day); 1 = calendar months.
  int billing_day = 1;
  // When the tenant started, as written: a date "YYYY-MM-DD" (local midnight
  // in `timezone`) or an RFC 3339 time; "" = billed whole periods, no trial
  // on its first plan.
  std::string started_at;
};

struct WebhookEndpoint {
  std::string url;
  std::vector<std::string> events;  // exact names or "prefix.*"; empty = all
  std::optional<std::string> tenant;
  std::optional<std::string> secret;
};

struct Tax {
  std::string name = "Tax";
  Decimal rate;  // 0.10 for 10 %
};

struct InvoiceSettings {
  std::string number_prefix = "INV-";
  int net_days = 30;
  std::string seller_name;     // optional, printed on invoices
  std::string seller_address;  // optional
  std::string credit_note_prefix = "CN-";  // SPEC 11: credit note numbers
};

// ---- Balances (SPEC section 11): coupons and prepaid-credit settings ----

enum class CouponDuration { kOnce, kRepeating, kForever };
std::string_view CouponDurationName(CouponDuration d);

// A discount a tenant may apply. Exactly one of percent_off (0 < p <= 100)
// and amount_off (> 0, with its currency) is set.
struct Coupon {
  std::string code;
  std::optional<Decimal> percent_off;
  std::optional<Decimal> amount_off;
  std::string currency;                 // amount_off only; defaults to the catalog's
  CouponDuration duration = CouponDuration::kOnce;
  int months = 0;                       // repeating only: how many consecutive periods
  std::optional<int64_t> max_redemptions;  // how many tenants may apply it
  std::string redeem_by;                // "YYYY-MM-DD", last day it may be applied; "" = no end
};

struct CreditSettings {
  // A draw leaving a tenant's balance below this queues credits.balance_low.
  std::optional<Decimal> low_balance;
};

struct Catalog {
  std::string currency = "USD";
  Tax tax;
  InvoiceSettings invoice;
  std::vector<Meter> meters;
  std::vector<Plan> plans;  // in catalog order: cheapest first
  std::vector<Tenant> tenants;
  std::vector<WebhookEndpoint> webhooks;
  std::vector<Coupon> coupons;  // SPEC 11
  CreditSettings credits;       // SPEC 11

  const Coupon* FindCoupon(std::string_view code) const;
  const Meter* FindMeter(std::string_view key) const;
  const Plan* FindPlan(std::string_view key) const;
  // Index of the plan in catalog order, or -1.
  int PlanIndex(std::string_view key) const;
  // True when some meter reads events of this metric.
  bool KnowsMetric(std::string_view metric) const;
  // The meters that read events of this metric.
  std::vector<const Meter*> MetersForMetric(std::string_view metric) const;
  // The currency plan `p` bills in: its own, else the catalog's.
  const std::string& CurrencyOf(const Plan& p) const { return p.currency.empty() ? currency : p.currency; }
};

// Parses and validates a catalog document (JSON with // and /* */ comments).
// Refuses the whole document on the first problem, with Status::DataError
// whose message starts with the JSON path.
Result<Catalog> ParseCatalog(std::string_view text);

// What a valid catalog may still hold that its author likely did not mean,
// one message each, naming the JSON path: filters of one charge that overlap
// (an event could match both; the first wins).
std::vector<std::string> CatalogWarnings(const Catalog& c);

// True for the event field forms a filter's `where` and a `group_by` may
// name: "operation", "user", "status" and "properties.<name>".
bool IsFilterField(std::string_view field);

// True for the forms a tenant's `started_at` may take: a date "YYYY-MM-DD"
// or an RFC 3339 time.
bool IsStartTime(std::string_view text);

// Reads and parses a catalog file: Status::NoInput when it does not exist.
Result<Catalog> LoadCatalogFile(const std::string& path);

// The catalog as a JSON document in the file format (what `catalog show
// --json` prints and what is stored); ParseCatalog(ToJson(c)) == c.
nlohmann::json ToJson(const Catalog& c);

// Parses the balances block of a catalog document (SPEC 11): `coupons`,
// `credits.low_balance` and `invoice.credit_note_prefix`, into `c`. Refuses
// bad entries with a DataError naming the path ("coupons[1].percent_off: ...").
Status ParseBalances(const nlohmann::json& doc, Catalog* c);
// Writes the same block into the document `j` (ToJson's output).
void BalancesToJson(const Catalog& c, nlohmann::json& j);
// One coupon from its catalog JSON (`path` names it in messages; `currency`
// is the default of an amount_off coupon), and back.
Result<Coupon> ParseCoupon(const nlohmann::json& o, const std::string& path, const std::string& currency);
nlohmann::json CouponToJson(const Coupon& k);

// Checks a tenant against the catalog (known plan, valid time zone, override
// meters exist, billing_day 1-31, started_at a date or time); used for
// tenants added from the command line too.
Status ValidateTenant(const Catalog& c, const Tenant& t, const std::string& path);

}  // namespace meter::catalog
