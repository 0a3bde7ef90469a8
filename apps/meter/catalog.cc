// init, catalog apply, catalog show.
#include <optional>

#include <fmt/format.h>

#include "billing/coupons.h"
#include "catalog/catalog.h"
#include "context.h"
#include "core/json_util.h"
#include "core/money.h"
#include "output.h"
#include "store/catalog_store.h"
#include "store/webhook_store.h"
#include "usage/recount.h"
#include "webhooks/signer.h"

namespace meter::cli {
namespace {

nlohmann::json SummaryJson(const store::ApplySummary& s) {
  return {{"catalog_changed", s.catalog_changed}, {"tenants_added", s.tenants_added},
          {"tenants_updated", s.tenants_updated}, {"plan_changes", s.plan_changes},
          {"webhooks_added", s.webhooks_added}};
}

// Applies the loaded catalog `c`; prints what changed.
int ApplyCatalog(const Context& ctx, store::Database& db, const catalog::Catalog& c, nlohmann::json* out) {
  for (const auto& w : catalog::CatalogWarnings(c)) ctx.Warn(w);
  store::CatalogStore cs(db);
  auto s = cs.Apply(c, Clock::Now(), [] { return webhooks::GenerateSecret(); });
  if (!s.ok()) return ctx.Fail(s.status());
  // Counters of meters whose definition changed are recounted from the raw events.
  if (auto synced = usage::SyncCounters(db, c); !synced.ok()) return ctx.Fail(synced.status());
  *out = SummaryJson(*s);
  ctx.Info(fmt::format("catalog {}: {} meters, {} plans; tenants {} added, {} updated, {} plan changes; {} webhook endpoints added",
                       s->catalog_changed ? "applied" : "unchanged", c.meters.size(), c.plans.size(),
                       s->tenants_added, s->tenants_updated, s->plan_changes, s->webhooks_added));
  return kExitOk;
}

int RunInit(const Context& ctx, const std::string& catalog_file) {
  // The catalog is read and validated before the database is created, so a
  // missing or bad catalog file leaves no new database behind.
  std::optional<catalog::Catalog> c;
  if (!catalog_file.empty()) {
    auto loaded = catalog::LoadCatalogFile(catalog_file);
    if (!loaded.ok()) return ctx.Fail(loaded.status());
    c = std::move(*loaded);
  }
  auto db = ctx.OpenDb(/*create=*/true);
  if (!db.ok()) return ctx.Fail(db.status());
  nlohmann::json out = {{"db", (*db)->path()}, {"schema_version", (*db)->SchemaVersion()}};
  if (c) {
    nlohmann::json summary;
    if (int rc = ApplyCatalog(ctx, **db, *c, &summary); rc != kExitOk) return rc;
    out["catalog"] = summary;
  }
  if (ctx.json()) PrintJson(out);
  else ctx.Info(fmt::format("database {} ready (schema version {})", (*db)->path(), (*db)->SchemaVersion()));
  return kExitOk;
}

int RunApply(const Context& ctx, const std::string& file) {
  auto c = catalog::LoadCatalogFile(file);  // before the database may be created
  if (!c.ok()) return ctx.Fail(c.status());
  auto db = ctx.OpenDb(/*create=*/true);
  if (!db.ok()) return ctx.Fail(db.status());
  nlohmann::json summary;
  if (int rc = ApplyCatalog(ctx, **db, *c, &summary); rc != kExitOk) return rc;
  if (ctx.json()) PrintJson(summary);
  return kExitOk;
}

std::string LimitText(const std::optional<Decimal>& l) { return l ? Thousands(*l) : "unlimited"; }

void PrintPlans(const catalog::Catalog& c) {
  Table t({"plan", "name", "base", "terms", "charges", "limits"}, {false, false, true, false, false, false});
  for (const auto& p : c.plans) {
    std::string charges, limits, terms;
    for (const auto& ch : p.charges) {
      std::string extra;
      if (!ch.filters.empty()) extra += fmt::format(", {} filters", ch.filters.size());
      if (!ch.group_by.empty()) extra += fmt::format(", by {}", ch.group_by);
      charges += fmt::format("{}{} ({}{})", charges.empty() ? "" : ", ", ch.meter, catalog::ChargeModelName(ch.model), extra);
    }
    for (const auto& l : p.limits)
      limits += fmt::format("{}{} {}/{} {}", limits.empty() ? "" : ", ", l.meter, LimitText(l.limit),
                            catalog::LimitPeriodName(l.period), catalog::EnforcementName(l.enforcement));
    const std::string& currency = c.CurrencyOf(p);
    if (!p.minimum_commitment.IsZero())
      terms = fmt::format("commitment {} {}", p.minimum_commitment.ToString(MinorUnitDigits(currency)), currency);
    if (p.trial_days > 0) terms += fmt::format("{}trial {} days", terms.empty() ? "" : ", ", p.trial_days);
    t.Add({p.key, p.name, fmt::format("{} {}/{}", p.base_price.ToString(MinorUnitDigits(currency)), currency, p.interval),
           terms.empty() ? "-" : terms, charges.empty() ? "-" : charges, limits.empty() ? "-" : limits});
  }
  PrintTable(t);
}

// Tenants, coupons and webhook endpoints: a table each, when there are any.
void PrintRest(const catalog::Catalog& c) {
  if (!c.tenants.empty()) {
    Table t({"tenant", "name", "plan", "timezone", "billing day", "started"});
    for (const auto& x : c.tenants)
      t.Add({x.id, x.name.empty() ? "-" : x.name, x.plan, x.timezone.empty() ? "UTC" : x.timezone,
             std::to_string(x.billing_day), x.started_at.empty() ? "-" : x.started_at});
    fmt::print("\n");
    PrintTable(t);
  }
  if (!c.coupons.empty()) {
    Table t({"coupon", "terms", "duration", "max redemptions", "redeem by"});
    for (const auto& x : c.coupons) {
      std::string duration(catalog::CouponDurationName(x.duration));
      if (x.duration == catalog::CouponDuration::kRepeating) duration += fmt::format(" {} months", x.months);
      t.Add({x.code, billing::CouponLabel(x), duration,
             x.max_redemptions ? std::to_string(*x.max_redemptions) : "-", x.redeem_by.empty() ? "-" : x.redeem_by});
    }
    fmt::print("\n");
    PrintTable(t);
  }
  if (!c.webhooks.empty()) {
    Table t({"webhook", "tenant", "events"});
    for (const auto& w : c.webhooks) {
      std::string events;
      for (const auto& e : w.events) events += (events.empty() ? "" : ",") + e;
      t.Add({w.url, w.tenant ? *w.tenant : "*", events.empty() ? "*" : events});
    }
    fmt::print("\n");
    PrintTable(t);
  }
}

int RunShow(const Context& ctx) {
  auto db = ctx.OpenDbReadOnly();
  if (!db.ok()) return ctx.Fail(db.status());
  auto c = store::CatalogStore(**db).Load(Clock::Now());
  if (!c.ok()) return ctx.Fail(c.status());
  // The endpoints in force live in the webhooks table (a catalog's and those of
  // `webhooks add`); the catalog shows them as a catalog lists them, without secrets.
  auto endpoints = store::WebhookStore(**db).ListEndpoints();
  if (!endpoints.ok()) return ctx.Fail(endpoints.status());
  c->webhooks.clear();
  for (const auto& e : *endpoints) {
    catalog::WebhookEndpoint w;
    w.url = e.url;
    w.events = e.events;
    w.tenant = e.tenant;
    c->webhooks.push_back(std::move(w));
  }
  if (ctx.json()) {
    auto j = catalog::ToJson(*c);
    for (auto& w : j["webhooks"]) w.erase("secret");
    PrintJson(j);
    return kExitOk;
  }
  fmt::print("currency {}; tax {} {}; invoices {}YYYY-NNNNNN, net {} days\n\n", c->currency, c->tax.name,
             c->tax.rate.ToString(), c->invoice.number_prefix, c->invoice.net_days);
  Table m({"meter", "name", "unit", "event", "aggregation", "value", "where"});
  for (const auto& mt : c->meters) {
    std::string where;
    for (const auto& w : mt.where) where += fmt::format("{}{}={}", where.empty() ? "" : " ", w.field, w.equals);
    bool uses_value = mt.aggregation != catalog::Aggregation::kCount;
    m.Add({mt.key, mt.name.empty() ? mt.key : mt.name, mt.unit.empty() ? "-" : mt.unit, mt.event,
           std::string(catalog::AggregationName(mt.aggregation)), uses_value ? mt.value : "-",
           where.empty() ? "-" : where});
  }
  PrintTable(m);
  fmt::print("\n");
  PrintPlans(*c);
  PrintRest(*c);
  return kExitOk;
}

}  // namespace

void RegisterInitCommands(CLI::App& app, Context& ctx) {
  static std::string catalog_file;
  auto* init = AddCommand(app, ctx, "init", "Create or migrate the database, optionally applying a catalog",
                          [&ctx] { return RunInit(ctx, catalog_file); });
  init->add_option("--catalog", catalog_file, "Catalog file to apply");
}

void RegisterCatalogCommands(CLI::App& app, Context& ctx) {
  auto* cat = app.add_subcommand("catalog", "Load or print meters, plans, tenants and webhooks");
  cat->require_subcommand(1);
  static std::string file;
  auto* apply = AddCommand(*cat, ctx, "apply", "Apply a catalog file (idempotent)", [&ctx] { return RunApply(ctx, file); });
  apply->add_option("file", file, "Catalog JSON file (comments allowed)")->required();
  AddCommand(*cat, ctx, "show", "Print the catalog in force", [&ctx] { return RunShow(ctx); });
}

}  // namespace meter::cli
