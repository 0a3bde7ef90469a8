// credits grant / list / balance / ledger / void / expire (SPEC section 11).
// Flags in, library calls, printing out.

#include <fmt/format.h>

#include "billing/credits.h"
#include "context.h"
#include "core/format.h"
#include "core/json_util.h"
#include "core/money.h"
#include "output.h"
#include "store/catalog_store.h"

namespace meter::cli {
namespace {

struct CreditArgs {
  std::string tenant, amount, expires, reason, id, grant, format = "text";
  int64_t priority = 0;
};

std::string OptionalTime(const std::optional<Timestamp>& t) { return t ? FormatRfc3339(*t) : "-"; }

void PrintGrants(const std::vector<store::CreditGrantRecord>& grants, Timestamp now, const std::string& format) {
  Table t({"id", "tenant", "amount", "remaining", "currency", "priority", "expires_at", "status", "reason"},
          {false, false, true, true, false, true, false, false, false});
  for (const auto& g : grants)
    t.Add({g.id, g.tenant, MoneyText(g.amount, g.currency), MoneyText(g.remaining, g.currency), g.currency,
           std::to_string(g.priority), OptionalTime(g.expires_at), billing::GrantStatus(g, now), g.reason});
  PrintTable(t, format);
}

// Loads the catalog with only `tenant` (NotFound when unknown).
Result<catalog::Catalog> TenantCatalog(store::Database& db, const std::string& tenant) {
  return store::CatalogStore(db).LoadForTenant(tenant, Clock::Now());
}

int RunGrant(const Context& ctx, const CreditArgs& a) {
  auto amount = Decimal::Parse(a.amount);
  if (!amount.ok()) return ctx.Fail(Status::InvalidArgument("--amount: " + amount.status().message()));
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  auto c = TenantCatalog(**db, a.tenant);
  if (!c.ok()) return ctx.Fail(c.status());
  billing::GrantRequest r;
  r.tenant = a.tenant;
  r.amount = *amount;
  r.expires = a.expires;
  r.priority = a.priority;
  r.reason = a.reason;
  r.id = a.id;
  Timestamp now = Clock::Now();
  auto g = billing::GrantCredit(**db, *c, r, now);
  if (!g.ok()) return ctx.Fail(g.status());
  if (ctx.json()) PrintJson(billing::GrantToJson(*g, now));
  else fmt::print("{}: {} {} granted to {}{}\n", g->id, g->currency, MoneyText(g->amount, g->currency), g->tenant,
                  g->expires_at ? ", usable until " + FormatRfc3339(*g->expires_at) : "");
  return kExitOk;
}

int RunList(const Context& ctx, const CreditArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  auto grants = store::CreditStore(**db).Grants(a.tenant);
  if (!grants.ok()) return ctx.Fail(grants.status());
  Timestamp now = Clock::Now();
  if (ctx.json()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& g : *grants) rows.push_back(billing::GrantToJson(g, now));
    PrintJson({{"grants", rows}});
  } else {
    PrintGrants(*grants, now, a.format);
  }
  return kExitOk;
}

int RunBalance(const Context& ctx, const CreditArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  auto c = TenantCatalog(**db, a.tenant);
  if (!c.ok()) return ctx.Fail(c.status());
  std::string currency = billing::TenantCurrency(*c, c->tenants.front());
  auto balance = billing::CreditBalance(**db, a.tenant, currency, Clock::Now());
  if (!balance.ok()) return ctx.Fail(balance.status());
  if (ctx.json()) PrintJson({{"tenant", a.tenant}, {"balance", MoneyString(*balance, currency)},
                             {"currency", currency}});
  else fmt::print("{}: {} {}\n", a.tenant, currency, MoneyText(*balance, currency));
  return kExitOk;
}

int RunLedger(const Context& ctx, const CreditArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  auto c = TenantCatalog(**db, a.tenant);
  if (!c.ok()) return ctx.Fail(c.status());
  std::string currency = billing::TenantCurrency(*c, c->tenants.front());
  auto ledger = billing::TenantLedger(**db, a.tenant, currency);
  if (!ledger.ok()) return ctx.Fail(ledger.status());
  if (ctx.json()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& line : *ledger) rows.push_back(billing::LedgerLineToJson(line));
    PrintJson({{"tenant", a.tenant}, {"currency", currency}, {"entries", rows}});
    return kExitOk;
  }
  Table t({"seq", "at", "kind", "grant", "currency", "amount", "balance", "invoice", "note"},
          {true, false, false, false, false, true, true, false, false});
  for (const auto& [e, cur, balance] : *ledger)
    t.Add({std::to_string(e.seq), FormatRfc3339(e.created_at), e.kind, e.grant_id, cur, MoneyText(e.amount, cur),
           MoneyText(balance, cur), e.invoice_id.empty() ? "-" : e.invoice_id, e.note});
  PrintTable(t, a.format);
  return kExitOk;
}

int RunVoid(const Context& ctx, const CreditArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  Timestamp now = Clock::Now();
  auto g = billing::VoidGrant(**db, a.grant, a.reason, now);
  if (!g.ok()) return ctx.Fail(g.status());
  if (ctx.json()) PrintJson(billing::GrantToJson(*g, now));
  else fmt::print("{}: voided, {} {} no longer usable\n", g->id, g->currency, MoneyText(g->remaining, g->currency));
  return kExitOk;
}

int RunExpire(const Context& ctx, const CreditArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  Timestamp now = Clock::Now();
  auto expired = billing::ExpireCredits(**db, now);
  if (!expired.ok()) return ctx.Fail(expired.status());
  if (ctx.json()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& g : *expired) {
      nlohmann::json j = billing::GrantToJson(g, now);
      j["expired_amount"] = j["remaining"];
      j["remaining"] = MoneyString(Decimal(), g.currency);
      rows.push_back(j);
    }
    PrintJson({{"expired", rows}});
  } else if (!expired->empty()) {
    PrintGrants(*expired, now, a.format);
  }
  ctx.Info(fmt::format("{} grant(s) expired", expired->size()));
  return kExitOk;
}

}  // namespace

void RegisterCreditCommands(CLI::App& app, Context& ctx) {
  static CreditArgs a;
  auto* cr = app.add_subcommand("credits", "Prepaid credits: grants, balance, ledger");
  cr->require_subcommand(1);
  auto* grant = AddCommand(*cr, ctx, "grant", "Grant prepaid credit to a tenant", [&ctx] { return RunGrant(ctx, a); });
  grant->add_option("--tenant", a.tenant, "Tenant id")->required();
  grant->add_option("--amount", a.amount, "Amount in the tenant's currency")->required();
  grant->add_option("--expires", a.expires, "Usable through the end of this date (YYYY-MM-DD, tenant's zone)");
  grant->add_option("--priority", a.priority, "Higher is drawn first among grants expiring together");
  grant->add_option("--reason", a.reason, "Why it is granted");
  grant->add_option("--id", a.id, "Grant id (idempotent); generated when absent");
  auto* list = AddCommand(*cr, ctx, "list", "List credit grants", [&ctx] { return RunList(ctx, a); });
  list->add_option("--tenant", a.tenant, "Only this tenant");
  list->add_option("--format", a.format, "text or csv")->check(CLI::IsMember({"text", "csv"}));
  auto* bal = AddCommand(*cr, ctx, "balance", "What a tenant can draw now", [&ctx] { return RunBalance(ctx, a); });
  bal->add_option("--tenant", a.tenant, "Tenant id")->required();
  auto* led = AddCommand(*cr, ctx, "ledger", "Every grant, draw, expiry and void", [&ctx] { return RunLedger(ctx, a); });
  led->add_option("--tenant", a.tenant, "Tenant id")->required();
  led->add_option("--format", a.format, "text or csv")->check(CLI::IsMember({"text", "csv"}));
  auto* vd = AddCommand(*cr, ctx, "void", "Void what remains of a grant", [&ctx] { return RunVoid(ctx, a); });
  vd->add_option("grant", a.grant, "Grant id")->required();
  vd->add_option("--reason", a.reason, "Why");
  auto* ex = AddCommand(*cr, ctx, "expire", "Expire grants past their date (run from cron)",
                        [&ctx] { return RunExpire(ctx, a); });
  ex->add_option("--format", a.format, "text or csv")->check(CLI::IsMember({"text", "csv"}));
}

}  // namespace meter::cli
