// quota check / reserve / status, and entitlement check.
#include <fmt/format.h>

#include "context.h"
#include "core/json_util.h"
#include "output.h"
#include "store/catalog_store.h"
#include "usage/entitlement.h"
#include "usage/quota.h"
#include "usage/units.h"

namespace meter::cli {
namespace {

struct QuotaArgs {
  std::string tenant, metric, amount = "1", id, format = "text", feature;
};

Result<Decimal> ParseAmount(const std::string& text) {
  auto d = Decimal::Parse(text);
  if (!d.ok()) return Status::InvalidArgument("--amount: " + d.status().message());
  if (d->IsNegative()) return Status::InvalidArgument("--amount must not be negative");
  return *d;
}

std::string PeriodWord(const usage::EffectiveLimit& l) { return std::string(catalog::LimitPeriodName(l.period)); }

// One line for a person: the decision with its numbers.
std::string DecisionLine(const usage::QuotaDecision& d) {
  std::string head = fmt::format("{}: tenant {}, {}: {} used + {} requested", d.allowed ? "allowed" : "denied",
                                 d.tenant, d.meter, Thousands(d.used), Thousands(d.requested));
  if (!d.limit.limit) return head + ", unlimited";
  return head + fmt::format(" of {} ({} {}, resets at {})", Thousands(*d.limit.limit),
                            catalog::EnforcementName(d.limit.enforcement), PeriodWord(d.limit),
                            FormatRfc3339(d.period.end));
}

// Prints a decision (JSON or a line) and the denial or warning on stderr.
int Report(const Context& ctx, const usage::QuotaDecision& d, nlohmann::json json) {
  if (ctx.json()) PrintJson(json);
  else fmt::print("{}\n", DecisionLine(d));
  if (!d.allowed) {
    fmt::print(stderr, "{}\n", usage::DenialMessage(d));
    return kExitDenied;
  }
  if (std::string w = usage::WarningMessage(d); !w.empty()) ctx.Warn(w);
  return kExitOk;
}

int RunCheck(const Context& ctx, const QuotaArgs& a, bool reserve) {
  auto amount = ParseAmount(a.amount);
  if (!amount.ok()) return ctx.Fail(amount.status());
  auto db = reserve ? ctx.OpenDb() : ctx.OpenDbReadOnly();
  if (!db.ok()) return ctx.Fail(db.status());
  Timestamp now = Clock::Now();
  auto c = store::CatalogStore(**db).LoadForTenant(a.tenant, now);
  if (!c.ok()) return ctx.Fail(c.status());
  auto d = reserve ? usage::ReserveQuota(**db, *c, a.tenant, a.metric, *amount, a.id, now)
                   : usage::CheckQuota(**db, *c, a.tenant, a.metric, *amount, now);
  if (!d.ok()) return ctx.Fail(d.status());
  nlohmann::json json = usage::DecisionJson(*d);
  if (reserve) {
    json["id"] = d->reservation_id;
    json["replayed"] = d->replayed;
    if (d->replayed) ctx.Info(fmt::format("reservation {} was made before; returning its decision", d->reservation_id));
  }
  return Report(ctx, *d, std::move(json));
}

nlohmann::json RowJson(const usage::QuotaRow& r) {
  const auto& l = r.limit;
  return {{"tenant", r.tenant},
          {"meter", r.meter},
          {"used", JsonNumber(r.used)},
          {"limit", l.limit ? JsonNumber(*l.limit) : nlohmann::json(nullptr)},
          {"percent", r.percent ? JsonNumber(*r.percent) : nlohmann::json(nullptr)},
          {"period", catalog::LimitPeriodName(l.period)},
          {"period_start", FormatRfc3339(r.period.start)},
          {"period_end", FormatRfc3339(r.period.end)},
          {"resets_at", FormatRfc3339(r.period.end)},
          {"enforcement", catalog::EnforcementName(l.enforcement)}};
}

int RunStatus(const Context& ctx, const QuotaArgs& a) {
  auto db = ctx.OpenDbReadOnly();
  if (!db.ok()) return ctx.Fail(db.status());
  Timestamp now = Clock::Now();
  store::CatalogStore cs(**db);
  auto c = a.tenant.empty() ? cs.Load(now) : cs.LoadForTenant(a.tenant, now);
  if (!c.ok()) return ctx.Fail(c.status());
  std::vector<usage::QuotaRow> rows;
  for (const auto& t : c->tenants) {
    if (!a.tenant.empty() && t.id != a.tenant) continue;
    auto r = usage::QuotaStatusFor(**db, *c, t.id, now);
    if (!r.ok()) return ctx.Fail(r.status());
    rows.insert(rows.end(), r->begin(), r->end());
  }
  if (!a.tenant.empty() && rows.empty()) {
    auto r = usage::QuotaStatusFor(**db, *c, a.tenant, now);  // names an unknown tenant
    if (!r.ok()) return ctx.Fail(r.status());
  }
  if (ctx.json()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : rows) out.push_back(RowJson(r));
    PrintJson({{"rows", out}});
    return kExitOk;
  }
  // CSV is for programs: plain numbers, the meter key, and no bar column.
  bool csv = a.format == "csv";
  auto number = [&](const Decimal& d) { return csv ? d.ToString() : Thousands(d); };
  Table t = csv ? Table({"tenant", "meter", "used", "limit", "unit", "percent", "period", "enforcement", "resets_at"})
                : Table({"tenant", "meter", "used", "limit", "unit", "%", "", "period", "enforcement", "resets at"},
                        {false, false, true, true, false, true, false, false, false, false});
  for (const auto& r : rows) {
    const auto& l = r.limit;
    MeterLabel label = LabelOf(*c, r.meter);
    // An unlimited limit enforces nothing: "-" in the enforcement column.
    std::string enforcement = l.limit ? std::string(catalog::EnforcementName(l.enforcement)) : "-";
    std::vector<std::string> row = {r.tenant, csv ? r.meter : label.name, number(r.used),
                                    l.limit ? number(*l.limit) : "unlimited", label.unit,
                                    r.percent ? r.percent->ToString() + (csv ? "" : "%") : "-"};
    if (!csv) row.push_back(l.limit ? UsageBar(r.used, *l.limit, 10) : "");
    row.insert(row.end(), {PeriodWord(l), enforcement, FormatRfc3339(r.period.end)});
    t.Add(std::move(row));
  }
  PrintTable(t, a.format);
  return kExitOk;
}

int RunEntitlement(const Context& ctx, const QuotaArgs& a) {
  auto db = ctx.OpenDbReadOnly();
  if (!db.ok()) return ctx.Fail(db.status());
  Timestamp now = Clock::Now();
  store::CatalogStore cs(**db);
  auto c = cs.LoadForTenant(a.tenant, now);
  if (!c.ok()) return ctx.Fail(c.status());
  auto tenant = cs.GetTenant(a.tenant, now);
  if (!tenant.ok()) return ctx.Fail(tenant.status());
  auto e = usage::CheckEntitlement(*c, *tenant, a.feature);
  if (!e.ok()) return ctx.Fail(e.status());
  if (ctx.json())
    PrintJson({{"tenant", e->tenant}, {"feature", e->feature}, {"entitled", e->entitled}, {"plan", e->plan},
               {"reason", e->reason}});
  else if (e->entitled)
    fmt::print("entitled: {}\n", e->reason);
  else
    fmt::print("not entitled: {}\n", e->reason);
  if (e->entitled) return kExitOk;
  fmt::print(stderr, "meter: tenant '{}' is not entitled to '{}': {}\n", e->tenant, e->feature, e->reason);
  return kExitDenied;
}

void AddCheckFlags(CLI::App* cmd, QuotaArgs& a) {
  cmd->add_option("--tenant", a.tenant, "Tenant id")->required();
  cmd->add_option("--metric", a.metric, "Meter key (or a metric read by exactly one meter)")->required();
  cmd->add_option("--amount", a.amount, "Units requested (default 1)");
}

}  // namespace

void RegisterQuotaCommands(CLI::App& app, Context& ctx) {
  static QuotaArgs a;
  auto* q = app.add_subcommand("quota", "Quota checks, reservations and status (SPEC section 5)");
  q->require_subcommand(1);
  auto* check = AddCommand(*q, ctx, "check", "May the tenant use N more of a meter now? Exit 0 allowed, 1 denied",
                           [&ctx] { return RunCheck(ctx, a, false); });
  AddCheckFlags(check, a);
  auto* reserve = AddCommand(*q, ctx, "reserve", "Check and record the usage atomically (idempotent by --id)",
                             [&ctx] { return RunCheck(ctx, a, true); });
  AddCheckFlags(reserve, a);
  reserve->add_option("--id", a.id, "Reservation id: a repeated id returns the first decision, recording nothing");
  auto* status = AddCommand(*q, ctx, "status", "Used / limit / % / period / resets-at per tenant and meter",
                            [&ctx] { return RunStatus(ctx, a); });
  status->add_option("--tenant", a.tenant, "Only this tenant");
  status->add_option("--format", a.format, "text or csv")->check(CLI::IsMember({"text", "csv"}));

  auto* ent = app.add_subcommand("entitlement", "Boolean plan features");
  ent->require_subcommand(1);
  auto* ec = AddCommand(*ent, ctx, "check", "Exit 0 when the tenant's plan has the feature, 1 otherwise",
                        [&ctx] { return RunEntitlement(ctx, a); });
  ec->add_option("--tenant", a.tenant, "Tenant id")->required();
  ec->add_option("--feature", a.feature, "Feature name")->required();
}

}  // namespace meter::cli
