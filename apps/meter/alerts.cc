// alerts scan / list: usage threshold alerts (SPEC section 5).
#include <fmt/format.h>

#include "context.h"
#include "output.h"
#include "store/catalog_store.h"
#include "usage/alerts.h"
#include "usage/units.h"

namespace meter::cli {
namespace {

struct AlertArgs {
  std::string tenant, format = "text";
};

void PrintAlerts(const catalog::Catalog& c, const std::vector<store::AlertRecord>& alerts, const std::string& format) {
  bool csv = format == "csv";
  Table t({"id", "tenant", "meter", "threshold", "used", "limit", "unit", "period start", "period end", "created"},
          {true, false, false, true, true, true, false, false, false, false});
  for (const auto& a : alerts) {
    MeterLabel label = LabelOf(c, a.meter);
    // CSV is for programs: plain numbers and the meter key.
    auto number = [&](const Decimal& d) { return csv ? d.ToString() : Thousands(d); };
    t.Add({std::to_string(a.id), a.tenant, csv ? a.meter : label.name, std::to_string(a.threshold) + "%",
           number(usage::FromMicros(a.used_micros)), number(usage::FromMicros(a.limit_micros)), label.unit,
           FormatRfc3339(a.period_start), FormatRfc3339(a.period_end), FormatRfc3339(a.created_at)});
  }
  PrintTable(t, format);
}

nlohmann::json AlertsJson(const std::vector<store::AlertRecord>& alerts) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& a : alerts) out.push_back(usage::AlertJson(a));
  return out;
}

int RunScan(const Context& ctx, const AlertArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  Timestamp now = Clock::Now();
  auto c = store::CatalogStore(**db).Load(now);
  if (!c.ok()) return ctx.Fail(c.status());
  auto created = usage::ScanAlerts(**db, *c, now);
  if (!created.ok()) return ctx.Fail(created.status());
  if (ctx.json()) PrintJson({{"created", AlertsJson(*created)}});
  else if (!created->empty()) PrintAlerts(*c, *created, a.format);
  ctx.Info(fmt::format("{} new alert{} recorded and queued as usage.threshold_reached", created->size(),
                       created->size() == 1 ? "" : "s"));
  return kExitOk;
}

int RunList(const Context& ctx, const AlertArgs& a) {
  auto db = ctx.OpenDbReadOnly();
  if (!db.ok()) return ctx.Fail(db.status());
  if (!a.tenant.empty()) {
    if (auto t = store::CatalogStore(**db).GetTenant(a.tenant, Clock::Now()); !t.ok()) return ctx.Fail(t.status());
  }
  auto alerts = usage::ListAlerts(**db, a.tenant);
  if (!alerts.ok()) return ctx.Fail(alerts.status());
  if (ctx.json()) {
    PrintJson({{"alerts", AlertsJson(*alerts)}});
    return kExitOk;
  }
  auto c = store::CatalogStore(**db).Load(Clock::Now());
  if (!c.ok()) return ctx.Fail(c.status());
  PrintAlerts(*c, *alerts, a.format);
  return kExitOk;
}

}  // namespace

void RegisterAlertCommands(CLI::App& app, Context& ctx) {
  static AlertArgs a;
  auto* al = app.add_subcommand("alerts", "Usage threshold alerts (80/100/120 % of limits)");
  al->require_subcommand(1);
  auto* scan = AddCommand(*al, ctx, "scan", "Record thresholds newly reached and queue their webhooks (for cron)",
                          [&ctx] { return RunScan(ctx, a); });
  scan->add_option("--format", a.format, "text or csv")->check(CLI::IsMember({"text", "csv"}));
  auto* list = AddCommand(*al, ctx, "list", "Recorded alerts, newest first", [&ctx] { return RunList(ctx, a); });
  list->add_option("--tenant", a.tenant, "Only this tenant");
  list->add_option("--format", a.format, "text or csv")->check(CLI::IsMember({"text", "csv"}));
}

}  // namespace meter::cli
