#include <doctest/doctest.h>

#include <string>

#include "catalog/catalog.h"
#include "core/json_util.h"

using namespace meter;
using namespace meter::catalog;

namespace {

const char* kGood = R"({
  // comments are allowed
  "currency": "USD",
  "tax": {"name": "VAT", "rate": "0.10"},
  "invoice": {"number_prefix": "INV-", "net_days": 14},
  "meters": [
    {"key": "api_calls"},
    {"key": "llm_tokens", "aggregation": "sum", "value": "properties.tokens"},
    {"key": "email_analysis", "event": "operation", "where": {"operation": "email_analysis"}, "aggregation": "count"},
    {"key": "active_users", "event": "api_calls", "aggregation": "unique_count", "value": "user"},
    {"key": "storage_gb", "aggregation": "max"}
  ],
  "plans": [
    {"key": "pro", "name": "Pro", "base_price": "99.00", "interval": "month",
     "charges": [
       {"meter": "api_calls", "model": "per_unit", "included": 100000, "unit_price": "0.001"},
       {"meter": "llm_tokens", "model": "package", "included": 1000000, "package_size": 1000, "package_price": "0.01"},
       {"meter": "storage_gb", "model": "graduated", "tiers": [
          {"up_to": 100, "unit_price": "0"}, {"up_to": null, "unit_price": "0.50"}]},
       {"meter": "active_users", "model": "volume", "tiers": [
          {"up_to": 25, "unit_price": "0", "flat_price": "0"}, {"up_to": null, "unit_price": "5.00"}]}
     ],
     "limits": [
       {"meter": "api_calls", "limit": 10000, "period": "day", "enforcement": "hard"},
       {"meter": "llm_tokens", "limit": 1000000, "period": "month", "enforcement": "soft"},
       {"meter": "active_users", "limit": null}
     ],
     "features": {"api_access": true, "advanced_analytics": false},
     "alert_thresholds": [80, 100, 120],
     "rate_limit": {"capacity": 100, "refill": 100, "per": "1m"}},
    {"key": "enterprise", "base_price": 299, "charges": [{"meter": "api_calls", "unit_price": 0.00001}],
     "limits": [{"meter": "api_calls", "limit": -1}]}
  ],
  "tenants": [{"id": "acme", "name": "Acme Inc", "plan": "pro", "email": "billing@acme.test",
               "overrides": {"limits": {"api_calls": 20000}, "tax_rate": "0.00"}}],
  "webhooks": [{"url": "http://127.0.0.1:8787/hooks", "events": ["invoice.*", "usage.threshold_reached"],
                "tenant": null, "secret": "whsec_abc"}]
})";

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  auto pos = s.find(from);
  REQUIRE_MESSAGE(pos != std::string::npos, from);
  return s.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("catalog.parses_the_spec_example") {
  auto c = ParseCatalog(kGood);
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  CHECK(c->currency == "USD");
  CHECK(c->tax.rate == Dec("0.10"));
  CHECK(c->invoice.net_days == 14);
  REQUIRE(c->meters.size() == 5);
  CHECK(c->meters[0].event == "api_calls");
  CHECK(c->meters[0].aggregation == Aggregation::kSum);
  CHECK(c->meters[0].value == "quantity");
  CHECK(c->meters[2].where.size() == 1);
  CHECK(c->meters[2].where[0].equals == "email_analysis");
  CHECK(c->meters[3].value == "user");
  const Plan* pro = c->FindPlan("pro");
  REQUIRE(pro);
  CHECK(pro->base_price == Dec("99"));
  CHECK(pro->charges[1].model == ChargeModel::kPackage);
  CHECK(pro->charges[1].package_size == Dec("1000"));
  CHECK(!pro->charges[2].tiers[1].up_to.has_value());
  CHECK(pro->FindLimit("api_calls")->period == LimitPeriod::kDay);
  CHECK(pro->FindLimit("llm_tokens")->enforcement == Enforcement::kSoft);
  CHECK(!pro->FindLimit("active_users")->limit.has_value());
  CHECK(pro->rate_limit->per_ms == 60000);
  CHECK(pro->features.at("api_access"));
  const Plan* ent = c->FindPlan("enterprise");
  CHECK(ent->charges[0].unit_price == Dec("0.00001"));  // a JSON number, exact
  CHECK(!ent->FindLimit("api_calls")->limit.has_value());  // -1 is unlimited
  CHECK(c->tenants[0].overrides.limits.at("api_calls") == Dec("20000"));
  CHECK(*c->tenants[0].overrides.tax_rate == Dec("0"));
  CHECK(c->KnowsMetric("operation"));
  CHECK(!c->KnowsMetric("email_analysis"));
  CHECK(c->MetersForMetric("api_calls").size() == 2);
}

TEST_CASE("catalog.round_trips_through_json") {
  auto c = ParseCatalog(kGood);
  REQUIRE(c.ok());
  auto again = ParseCatalog(DumpJson(ToJson(*c)));
  REQUIRE_MESSAGE(again.ok(), again.status().message());
  CHECK(ToJson(*again) == ToJson(*c));
}

TEST_CASE("catalog.refuses_with_json_path") {
  struct { const char* from; const char* to; const char* message; } cases[] = {
      {R"({"meter": "api_calls", "model": "per_unit")", R"({"meter": "api_call", "model": "per_unit")",
       "plans[0].charges[0]: unknown meter 'api_call'"},
      {R"("model": "package")", R"("model": "bulk")", "plans[0].charges[1].model: unknown model 'bulk'"},
      {R"("aggregation": "max")", R"("aggregation": "avg")", "meters[4].aggregation: unknown aggregation 'avg'"},
      {R"("period": "day")", R"("period": "week")", "plans[0].limits[0].period: unknown period 'week'"},
      {R"("enforcement": "hard")", R"("enforcement": "strict")", "plans[0].limits[0].enforcement: unknown enforcement"},
      {R"("plan": "pro")", R"("plan": "gold")", "tenants[0]: unknown plan 'gold'"},
      {R"("base_price": "99.00")", R"("base_price": "-1")", "plans[0].base_price: must not be negative"},
      {R"("base_price": "99.00")", R"("base_price": "ninety")", "plans[0].base_price: 'ninety' is not a decimal number"},
      {R"("currency": "USD")", R"("currency": "dollars")", "currency: 'dollars' is not an ISO 4217 code"},
      {R"({"up_to": 100, "unit_price": "0"}, {"up_to": null, "unit_price": "0.50"})",
       R"({"up_to": null, "unit_price": "0"}, {"up_to": null, "unit_price": "0.50"})",
       "plans[0].charges[2].tiers[0].up_to: only the last tier may be unbounded"},
      {R"("package_size": 1000)", R"("package_size": 0)", "plans[0].charges[1].package_size: must be greater than 0"},
      {R"("webhooks": [{"url": "http://127.0.0.1:8787/hooks")", R"("webhooks": [{"url": "ftp://x/hooks")",
       "webhooks[0].url: 'ftp://x/hooks' is not an http:// or https:// URL"},
      {R"("tenants": [{"id": "acme")", R"("tenants": [{"id": "ac me")", "tenants[0]: 'ac me' is not a valid tenant id"},
      {R"("api_calls": 20000})", R"("nope": 20000})", "tenants[0]: overrides.limits: unknown meter 'nope'"},
      {R"({"key": "enterprise")", R"({"key": "pro")", "plans[1].key: duplicate plan 'pro'"},
      {R"("rate_limit": {"capacity": 100)", R"("rate_limit": {"capacity": 0)", "plans[0].rate_limit.capacity: must be greater than 0"},
      {R"("per": "1m")", R"("per": "1y")", "plans[0].rate_limit.per: duration '1y'"},
      {R"("alert_thresholds": [80, 100, 120])", R"("alert_thresholds": [80, "x"])", "plans[0].alert_thresholds[1]: expected a positive whole percentage"},
  };
  for (const auto& c : cases) {
    auto r = ParseCatalog(Replace(kGood, c.from, c.to));
    REQUIRE_MESSAGE(!r.ok(), c.to);
    CHECK(r.status().IsDataError());
    CHECK_MESSAGE(r.status().message().find(c.message) == 0, r.status().message());
  }
}

TEST_CASE("catalog.refuses_malformed_json") {
  auto r = ParseCatalog("{\"meters\": [");
  REQUIRE(!r.ok());
  CHECK(r.status().message().find("catalog is not valid JSON") == 0);
  CHECK(!ParseCatalog("[]").ok());
}

namespace {

// SPEC section 2's pricing-depth plan, with a tenant on its own billing day.
const char* kDepth = R"({
  "currency": "USD",
  "meters": [{"key": "llm_tokens", "name": "LLM tokens", "value": "properties.tokens"},
             {"key": "storage_gb", "aggregation": "max"}],
  "plans": [
    {"key": "ai", "name": "AI", "currency": "EUR", "base_price": "1200.00", "interval": "year",
     "minimum_commitment": "300.00", "trial_days": 14,
     "charges": [
       {"meter": "llm_tokens", "model": "package", "package_size": 1000, "package_price": "0.002",
        "filters": [
          {"name": "GPT-4o", "where": {"properties.model": "gpt-4o"}, "package_price": "0.01"},
          {"where": {"properties.model": ["claude-sonnet", "claude-opus"]},
           "model": "graduated", "package_size": null,
           "tiers": [{"up_to": 1000000, "unit_price": "0.000012"}, {"up_to": null, "unit_price": "0.00001"}]}]},
       {"meter": "storage_gb", "model": "per_unit", "included": 10, "unit_price": "0.20",
        "group_by": "properties.project"}]}],
  "tenants": [{"id": "acme", "plan": "ai", "billing_day": 31, "started_at": "2026-01-15",
               "timezone": "Europe/Berlin"}]
})";

}  // namespace

TEST_CASE("catalog.parses_pricing_depth") {
  auto c = ParseCatalog(kDepth);
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  const Plan& ai = c->plans[0];
  CHECK(ai.interval == "year");
  CHECK(ai.currency == "EUR");
  CHECK(c->CurrencyOf(ai) == "EUR");
  CHECK(ai.minimum_commitment == Dec("300"));
  CHECK(ai.trial_days == 14);
  const Charge& tokens = ai.charges[0];
  REQUIRE(tokens.filters.size() == 2);
  // Fields a filter does not set are inherited; null un-sets one.
  const ChargeFilter& gpt = tokens.filters[0];
  CHECK(gpt.name == "GPT-4o");
  CHECK(gpt.charge.model == ChargeModel::kPackage);
  CHECK(gpt.charge.package_size == Dec("1000"));
  CHECK(gpt.charge.package_price == Dec("0.01"));
  const ChargeFilter& claude = tokens.filters[1];
  CHECK(claude.name == "model=claude-sonnet|claude-opus");  // SPEC 10's default name
  CHECK(claude.charge.model == ChargeModel::kGraduated);
  CHECK(claude.charge.tiers.size() == 2);
  REQUIRE(claude.where.size() == 1);
  CHECK(claude.where[0].field == "properties.model");
  CHECK(claude.where[0].values == std::vector<std::string>{"claude-sonnet", "claude-opus"});
  CHECK(ai.charges[1].group_by == "properties.project");
  CHECK(c->tenants[0].billing_day == 31);
  CHECK(c->tenants[0].started_at == "2026-01-15");
  CHECK(c->plans[0].charges[0].group_by.empty());
  // A plan without a currency bills in the catalog's.
  CHECK(c->CurrencyOf(Plan{}) == "USD");
}

TEST_CASE("catalog.pricing_depth_round_trips_through_json") {
  auto c = ParseCatalog(kDepth);
  REQUIRE(c.ok());
  auto again = ParseCatalog(ToJson(*c).dump());
  REQUIRE_MESSAGE(again.ok(), again.status().message());
  CHECK(ToJson(*again) == ToJson(*c));
  CHECK(again->plans[0].charges[0].filters[1].name == "model=claude-sonnet|claude-opus");
  CHECK(again->plans[0].charges[0].filters[1].charge.model == ChargeModel::kGraduated);
}

TEST_CASE("catalog.default_filter_name_sorts_conditions_by_field") {
  std::string doc = Replace(kDepth, R"({"name": "GPT-4o", "where": {"properties.model": "gpt-4o"})",
                            R"({"where": {"properties.model": "gpt-4o", "operation": "chat", "properties.batch": ["no", "x"]})");
  auto c = ParseCatalog(doc);
  REQUIRE_MESSAGE(c.ok(), c.status().message());
  CHECK(c->plans[0].charges[0].filters[0].name == "batch=no|x, model=gpt-4o, operation=chat");
}

TEST_CASE("catalog.refuses_pricing_depth_errors_with_json_path") {
  struct { const char* from; const char* to; const char* message; } cases[] = {
      {R"({"properties.model": "gpt-4o"})", R"({"model": "gpt-4o"})",
       "plans[0].charges[0].filters[0].where.model: is not an event field a filter can test"},
      {R"({"properties.model": "gpt-4o"})", R"({"properties.": "gpt-4o"})",
       "plans[0].charges[0].filters[0].where.properties.: is not an event field"},
      {R"({"properties.model": "gpt-4o"})", R"({"properties.model": 4})",
       "plans[0].charges[0].filters[0].where.properties.model: expected a string or a non-empty list of strings"},
      {R"({"properties.model": "gpt-4o"})", R"({"properties.model": []})",
       "plans[0].charges[0].filters[0].where.properties.model: expected a string or a non-empty list"},
      {R"({"properties.model": "gpt-4o"})", R"({})", "plans[0].charges[0].filters[0].where: needs at least one condition"},
      {R"("package_price": "0.01")", R"("package_prise": "0.01")",
       "plans[0].charges[0].filters[0].package_prise: unknown filter field"},
      {R"("package_price": "0.01")", R"("package_price": "-0.01")",
       "plans[0].charges[0].filters[0].package_price: must not be negative"},
      // Un-setting the tiers a graduated filter needs: named at the filter.
      {R"("tiers": [{"up_to": 1000000, "unit_price": "0.000012"}, {"up_to": null, "unit_price": "0.00001"}])",
       R"("tiers": null)",
       "plans[0].charges[0].filters[1].tiers: is required for this model"},
      {R"({"name": "GPT-4o")", R"({"name": "model=claude-sonnet|claude-opus")",
       "plans[0].charges[0].filters[1].name: 'model=claude-sonnet|claude-opus' is also the name of filters[0]"},
      {R"("group_by": "properties.project")", R"("group_by": "project")",
       "plans[0].charges[1].group_by: 'project' is not an event field"},
      {R"("billing_day": 31)", R"("billing_day": 32)", "tenants[0].billing_day: must be a whole number from 1 to 31"},
      {R"("billing_day": 31)", R"("billing_day": 0)", "tenants[0].billing_day: must be a whole number from 1 to 31"},
      {R"("billing_day": 31)", R"("billing_day": 1.5)", "tenants[0].billing_day: must be a whole number"},
      {R"("currency": "EUR")", R"("currency": "EUX")", "plans[0].currency: 'EUX' is not an ISO 4217 code"},
      {R"("currency": "EUR")", R"("currency": "eur")", "plans[0].currency: 'eur' is not an ISO 4217 code"},
      {R"("currency": "USD")", R"("currency": "ABC")", "currency: 'ABC' is not an ISO 4217 code"},
      {R"("trial_days": 14)", R"("trial_days": -1)", "plans[0].trial_days: must be a whole number from 0 to 3650"},
      {R"("minimum_commitment": "300.00")", R"("minimum_commitment": "-300.00")",
       "plans[0].minimum_commitment: must not be negative"},
      {R"("interval": "year")", R"("interval": "week")", "plans[0].interval: unsupported interval 'week' (month, year)"},
      {R"("started_at": "2026-01-15")", R"("started_at": "2026-02-30")", "tenants[0]: started_at: '2026-02-30' is not a date"},
  };
  for (const auto& c : cases) {
    auto r = ParseCatalog(Replace(kDepth, c.from, c.to));
    REQUIRE_MESSAGE(!r.ok(), c.to);
    CHECK(r.status().IsDataError());
    CHECK_MESSAGE(r.status().message().find(c.message) == 0, r.status().message());
  }
}

TEST_CASE("catalog.warns_about_overlapping_filters") {
  auto c = ParseCatalog(kDepth);
  REQUIRE(c.ok());
  CHECK(CatalogWarnings(*c).empty());
  // Same field, a shared value: overlap.
  auto overlap = ParseCatalog(Replace(kDepth, R"({"properties.model": "gpt-4o"})",
                                      R"({"properties.model": ["gpt-4o", "claude-opus"]})"));
  REQUIRE(overlap.ok());
  auto w = CatalogWarnings(*overlap);
  REQUIRE(w.size() == 1);
  CHECK(w[0].find("plans[0].charges[0].filters[0] and filters[1]: filters 'GPT-4o' and "
                  "'model=claude-sonnet|claude-opus' overlap") == 0);
  // Different fields: an event can have both.
  auto fields = ParseCatalog(Replace(kDepth, R"({"properties.model": "gpt-4o"})", R"({"operation": "chat"})"));
  REQUIRE(fields.ok());
  CHECK(CatalogWarnings(*fields).size() == 1);
  // A common field with disjoint values: never both.
  auto disjoint = ParseCatalog(Replace(kDepth, R"({"properties.model": "gpt-4o"})",
                                       R"({"operation": "chat", "properties.model": "gpt-4o"})"));
  REQUIRE(disjoint.ok());
  CHECK(CatalogWarnings(*disjoint).empty());
}
