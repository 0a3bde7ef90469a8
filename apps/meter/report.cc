// report usage / analytics / trends / dashboard, forecast, recommend,
// simulate: the insight commands (SPEC section 3). Each parses its flags,
// calls lib/report and prints a table, CSV or the JSON shape of SPEC 3.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <optional>

#include "billing/generate.h"
#include "billing/invoice.h"
#include "catalog/catalog.h"
#include "context.h"
#include "core/json_util.h"
#include "core/money.h"
#include "output.h"
#include "report/analytics.h"
#include "report/common.h"
#include "report/dashboard.h"
#include "report/forecast.h"
#include "report/recommend.h"
#include "report/simulate.h"
#include "report/trends.h"
#include "report/usage_report.h"
#include "store/catalog_store.h"

namespace meter::cli {
namespace {

using nlohmann::json;

struct ReportArgs {
  std::string tenant, period, by, from, to, format = "text", out, catalog_file;
  int months = 6;
};

template <typename T>
json OptionalJson(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

// Opens the database and loads the catalog in force with its tenants.
struct Loaded {
  std::unique_ptr<store::Database> db;
  catalog::Catalog catalog;
};
Status LoadAll(const Context& ctx, Loaded* out) {
  auto db = ctx.OpenDbReadOnly();
  if (!db.ok()) return db.status();
  out->db = std::move(*db);
  auto c = store::CatalogStore(*out->db).Load(Clock::Now());
  if (!c.ok()) return c.status();
  out->catalog = std::move(*c);
  return Status::OK();
}

// Runs `build` in one read transaction, so a report sees one snapshot of the
// database even while an ingest or invoice run writes.
template <typename F>
auto Snapshot(store::Database& db, F&& build) -> decltype(build()) {
  std::optional<decltype(build())> out;
  Status st = db.Read([&]() -> Status {
    out.emplace(build());
    return Status::OK();
  });
  if (!st.ok()) return st;
  return std::move(*out);
}

// ---- report usage ----

int RunUsage(const Context& ctx, const ReportArgs& a) {
  auto by = report::ParseUsageBy(a.by.empty() ? "meter" : a.by);
  if (!by.ok()) return ctx.Fail(by.status());
  Loaded l;
  if (Status st = LoadAll(ctx, &l); !st.ok()) return ctx.Fail(st);
  report::UsageQuery q{a.tenant, a.period, *by, Clock::Now()};
  auto rows = Snapshot(*l.db, [&] { return report::BuildUsageReport(*l.db, l.catalog, q); });
  if (!rows.ok()) return ctx.Fail(rows.status());
  if (ctx.json()) {
    json out = json::array();
    for (const auto& r : *rows)
      out.push_back({{"tenant", r.tenant}, {"meter", r.meter}, {"bucket", r.bucket}, {"quantity", JsonNumber(r.quantity)}});
    PrintJson({{"rows", out}});
    return kExitOk;
  }
  bool csv = a.format == "csv";
  // --by meter: the bucket is the meter itself, so it gets no column.
  bool bucket_column = *by != report::UsageBy::kMeter;
  Table t = bucket_column ? Table({"tenant", "meter", a.by, "quantity", "unit"}, {false, false, false, true, false})
                          : Table({"tenant", "meter", "quantity", "unit"}, {false, false, true, false});
  for (const auto& r : *rows) {
    std::string q = csv ? r.quantity.ToString() : Thousands(r.quantity);
    std::string meter = csv ? r.meter : LabelOf(l.catalog, r.meter).name;  // CSV keeps the key
    if (bucket_column) t.Add({r.tenant, meter, r.bucket, q, r.unit});
    else t.Add({r.tenant, meter, q, r.unit});
  }
  PrintTable(t, a.format);
  if (rows->empty()) ctx.Info("no usage in the period");
  return kExitOk;
}

// ---- report analytics ----

Result<Period> FromTo(const ReportArgs& a) {
  Period p{0, std::numeric_limits<Timestamp>::max()};
  if (!a.from.empty()) {
    auto t = ParseTimeArg(a.from);
    if (!t.ok()) return Status::InvalidArgument("--from: " + t.status().message());
    p.start = *t;
  }
  if (!a.to.empty()) {
    auto t = ParseTimeArg(a.to);
    if (!t.ok()) return Status::InvalidArgument("--to: " + t.status().message());
    p.end = *t;
  }
  if (p.end < p.start) return Status::InvalidArgument("--to is before --from");
  return p;
}

// Events' costs are summed as given, in the catalog's currency: at least its
// minor unit's places, all of their own ("10.00", "0.015").
json AnalyticsJson(const std::vector<report::AnalyticsRow>& rows, const std::string& currency) {
  json out = json::array();
  for (const auto& r : rows)
    out.push_back({{"bucket", r.bucket}, {"total", r.total}, {"succeeded", r.succeeded}, {"failed", r.failed},
                   {"success_rate", r.success_rate}, {"latency_avg_ms", OptionalJson(r.latency_avg_ms)},
                   {"latency_p50_ms", OptionalJson(r.latency_p50_ms)},
                   {"latency_p95_ms", OptionalJson(r.latency_p95_ms)}, {"cost", PriceString(r.cost, currency)}});
  return {{"rows", out}};
}

int RunAnalytics(const Context& ctx, const ReportArgs& a) {
  auto by = report::ParseAnalyticsBy(a.by.empty() ? "hour" : a.by);
  if (!by.ok()) return ctx.Fail(by.status());
  auto period = FromTo(a);
  if (!period.ok()) return ctx.Fail(period.status());
  Loaded l;
  if (Status st = LoadAll(ctx, &l); !st.ok()) return ctx.Fail(st);
  if (auto t = report::SelectTenants(l.catalog, a.tenant); !t.ok()) return ctx.Fail(t.status());
  auto rows = Snapshot(*l.db, [&] { return report::BuildAnalyticsReport(*l.db, {a.tenant, *period, *by}); });
  if (!rows.ok()) return ctx.Fail(rows.status());
  if (ctx.json()) {
    PrintJson(AnalyticsJson(*rows, l.catalog.currency));
    return kExitOk;
  }
  bool csv = a.format == "csv";
  Table t({a.by.empty() ? "hour" : a.by, "total", "succeeded", "failed", "success", "avg ms", "p50 ms", "p95 ms", "cost"},
          {false, true, true, true, true, true, true, true, true});
  auto opt = [](const auto& v, auto fmt) { return v ? fmt(*v) : std::string("-"); };
  for (const auto& r : *rows)
    t.Add({r.bucket, csv ? std::to_string(r.total) : Thousands(r.total),
           csv ? std::to_string(r.succeeded) : Thousands(r.succeeded), csv ? std::to_string(r.failed) : Thousands(r.failed),
           csv ? fmt::format("{:.4f}", r.success_rate) : fmt::format("{:.1f}%", r.success_rate * 100),
           opt(r.latency_avg_ms, [](double v) { return fmt::format("{:.1f}", v); }),
           opt(r.latency_p50_ms, [](int64_t v) { return std::to_string(v); }),
           opt(r.latency_p95_ms, [](int64_t v) { return std::to_string(v); }), PriceString(r.cost, l.catalog.currency)});
  PrintTable(t, a.format);
  if (rows->empty()) ctx.Info("no operations in the period");
  return kExitOk;
}

// ---- report trends ----

json TrendsJson(const std::vector<report::TrendRow>& rows) {
  json out = json::array();
  for (const auto& r : rows) {
    json q = json::object();
    for (const auto& [meter, v] : r.quantity_by_meter) q[meter] = JsonNumber(v);
    out.push_back({{"tenant", r.tenant}, {"month", r.month}, {"quantity_by_meter", q}, {"currency", r.currency},
                   {"billed", MoneyString(r.billed, r.currency)},
                   {"change", r.change ? json(MoneyString(*r.change, r.currency)) : json(nullptr)}});
  }
  return {{"rows", out}};
}

// "API calls 1,200 calls, Storage 12.5 GB": the meters used in the month
// (CSV: "api_calls 1200; storage_gb 12.5", by key).
std::string UsedMeters(const catalog::Catalog& c, const report::TrendRow& r, bool csv) {
  std::string out;
  for (const auto& [meter, v] : r.quantity_by_meter) {
    if (v.IsZero()) continue;
    MeterLabel label = LabelOf(c, meter);
    out += (out.empty() ? "" : csv ? "; " : ", ") +
           (csv ? meter + " " + v.ToString() : label.name + " " + WithUnit(Thousands(v), label.unit));
  }
  return out.empty() ? "-" : out;
}

// A bar of up to 24 cells for `v` against the tenant's largest month.
std::string Bar(const Decimal& v, const Decimal& max) {
  if (max.IsZero() || v.IsNegative()) return "";
  auto cells = v.MulDiv(Decimal::FromInt(24), max, 0, Rounding::kHalfAwayFromZero);
  int n = cells.ok() && cells->ToInt64().ok() ? static_cast<int>(*cells->ToInt64()) : 0;
  std::string out;
  for (int i = 0; i < n; ++i) out += "\u2588";
  return out;
}

int RunTrends(const Context& ctx, const ReportArgs& a) {
  Loaded l;
  if (Status st = LoadAll(ctx, &l); !st.ok()) return ctx.Fail(st);
  auto rows = Snapshot(*l.db, [&] { return report::BuildTrends(*l.db, l.catalog, {a.tenant, a.months, Clock::Now()}); });
  if (!rows.ok()) return ctx.Fail(rows.status());
  if (ctx.json()) {
    PrintJson(TrendsJson(*rows));
    return kExitOk;
  }
  bool csv = a.format == "csv", chart = !csv && ctx.stdout_is_tty();
  std::map<std::string, Decimal> max;
  for (const auto& r : *rows) max[r.tenant] = std::max(max[r.tenant], r.billed);
  std::vector<std::string> cols = {"tenant", "month", "currency", "billed", "change", "usage"};
  if (chart) cols.push_back("");
  Table t(cols, {false, false, false, true, true, false, false});
  for (const auto& r : *rows) {
    std::string change = r.change ? MoneyString(*r.change, r.currency) : (csv ? "" : "-");
    if (!csv && r.change && !r.change->IsNegative() && !r.change->IsZero()) change = "+" + change;
    std::vector<std::string> row = {r.tenant, r.month, r.currency, MoneyString(r.billed, r.currency), change,
                                    UsedMeters(l.catalog, r, csv)};
    if (chart) row.push_back(Colored(ctx, "green", Bar(r.billed, max[r.tenant])));
    t.Add(row);
  }
  PrintTable(t, a.format);
  return kExitOk;
}

// ---- report dashboard ----

int RunDashboard(const Context& ctx, const ReportArgs& a) {
  Loaded l;
  if (Status st = LoadAll(ctx, &l); !st.ok()) return ctx.Fail(st);
  store::Database& db = *l.db;
  const catalog::Catalog& c = l.catalog;
  report::BilledFn billed_fn = [&](const catalog::Tenant& t, const std::string& month) -> Result<report::Billed> {
    METER_ASSIGN_OR_RETURN(billing::Invoice inv, billing::PreviewInvoice(db, c, t.id, month));
    return report::Billed{inv.total, inv.currency};
  };
  auto data = Snapshot(db, [&] { return report::CollectDashboard(db, c, Clock::Now(), a.period, billed_fn); });
  if (!data.ok()) return ctx.Fail(data.status());
  std::ofstream f(a.out, std::ios::binary | std::ios::trunc);
  if (f) f << report::RenderDashboardHtml(*data);
  if (f) f.close();
  if (!f) return ctx.Fail(Status::IOError(fmt::format("cannot write '{}': {}", a.out, std::strerror(errno))));
  if (ctx.json()) PrintJson({{"out", a.out}, {"month", data->month}});
  else ctx.Info(fmt::format("dashboard for {} written to {}", data->month, a.out));
  return kExitOk;
}

// ---- forecast ----

json ForecastJson(const report::Forecast& f) {
  json rows = json::array();
  for (const auto& r : f.rows)
    rows.push_back({{"tenant", r.tenant}, {"meter", r.meter}, {"used", JsonNumber(r.used)},
                    {"daily_average", JsonNumber(r.daily_average)}, {"days_elapsed", JsonNumber(r.days_elapsed)},
                    {"days_left", JsonNumber(r.days_left)}, {"projected", JsonNumber(r.projected)},
                    {"limit", r.limit ? JsonNumber(*r.limit) : json(nullptr)},
                    {"projected_cross_at", r.projected_cross_at ? json(FormatRfc3339(*r.projected_cross_at)) : json(nullptr)},
                    {"currency", r.currency}, {"projected_cost", MoneyString(r.projected_cost, r.currency)}});
  return {{"as_of", FormatRfc3339(f.as_of)}, {"period_start", FormatRfc3339(f.period.start)},
          {"period_end", FormatRfc3339(f.period.end)}, {"rows", rows}};
}

int RunForecast(const Context& ctx, const ReportArgs& a) {
  Loaded l;
  if (Status st = LoadAll(ctx, &l); !st.ok()) return ctx.Fail(st);
  auto f = Snapshot(*l.db, [&] { return report::BuildForecast(*l.db, l.catalog, a.tenant, Clock::Now()); });
  if (!f.ok()) return ctx.Fail(f.status());
  if (ctx.json()) {
    PrintJson(ForecastJson(*f));
    return kExitOk;
  }
  bool csv = a.format == "csv";
  // Projections are estimates (two places); what was used and the limit are
  // quantities ingest accepted or the catalog set, printed exactly (SPEC 1).
  auto q = [&](const Decimal& d) { return csv ? d.ToString() : Thousands(*d.Round(2)); };
  auto exact = [&](const Decimal& d) { return csv ? d.ToString() : Thousands(d); };
  Table t({"tenant", "meter", "used", "per day", "days", "left", "projected", "limit", "unit", "crosses at",
           "projected cost", "currency"},
          {false, false, true, true, true, true, true, true, false, false, true, false});
  for (const auto& r : f->rows) {
    MeterLabel label = LabelOf(l.catalog, r.meter);
    std::string limit = r.limit ? exact(*r.limit) + (csv ? "" : "/" + r.limit_period) : (csv ? "" : "-");
    std::string cross = r.projected_cross_at ? FormatRfc3339(*r.projected_cross_at) : (csv ? "" : "-");
    if (r.projected_cross_at && !csv) cross = Colored(ctx, "red", cross);
    t.Add({r.tenant, csv ? r.meter : label.name, exact(r.used), q(r.daily_average), q(r.days_elapsed), q(r.days_left),
           q(r.projected), limit, label.unit, cross, MoneyString(r.projected_cost, r.currency), r.currency});
  }
  if (!csv)
    ctx.Info(fmt::format("as of {}: linear projection, used / days elapsed x days in the period (the tenant's month)",
                         FormatRfc3339(f->as_of)));
  PrintTable(t, a.format);
  return kExitOk;
}

// ---- recommend ----

int RunRecommend(const Context& ctx, const ReportArgs& a) {
  Loaded l;
  if (Status st = LoadAll(ctx, &l); !st.ok()) return ctx.Fail(st);
  auto recs = Snapshot(*l.db, [&] { return report::BuildRecommendations(*l.db, l.catalog, a.tenant, Clock::Now()); });
  if (!recs.ok()) return ctx.Fail(recs.status());
  if (ctx.json()) {
    json rows = json::array();
    for (const auto& r : *recs) {
      const std::string& cur = r.currency;
      rows.push_back({{"tenant", r.tenant}, {"current_plan", r.current_plan}, {"recommended_plan", r.recommended_plan},
                      {"kind", r.kind}, {"currency", cur}, {"current_cost", MoneyString(r.current_cost, cur)},
                      {"recommended_cost", MoneyString(r.recommended_cost, cur)}, {"saving", MoneyString(r.saving, cur)},
                      {"reason", r.reason}});
    }
    PrintJson({{"rows", rows}});
    return kExitOk;
  }
  Table t({"tenant", "current", "recommended", "kind", "currency", "3-month cost now", "recommended cost", "saving",
           "reason"},
          {false, false, false, false, false, true, true, true, false});
  for (const auto& r : *recs)
    t.Add({r.tenant, r.current_plan, r.recommended_plan, r.kind, r.currency, MoneyString(r.current_cost, r.currency),
           MoneyString(r.recommended_cost, r.currency), MoneyString(r.saving, r.currency), r.reason});
  PrintTable(t, a.format);
  if (recs->empty()) ctx.Info("no advice: every tenant is on the cheapest plan that holds its usage");
  return kExitOk;
}

// ---- simulate ----

json SimulationJson(const report::Simulation& s) {
  json rows = json::array();
  for (const auto& r : s.rows)
    rows.push_back({{"tenant", r.tenant}, {"currency", r.currency},
                    {"current_total", MoneyString(r.current_total, r.currency)},
                    {"simulated_total", MoneyString(r.simulated_total, r.currency)},
                    {"difference", MoneyString(r.difference, r.currency)},
                    {"percent", r.percent ? JsonNumber(*r.percent) : json(nullptr)}});
  // SPEC section 10: the scalar totals only when every row has one currency.
  json by = json::array();
  for (const auto& c : s.totals)
    by.push_back({{"currency", c.currency}, {"current_total", MoneyString(c.current_total, c.currency)},
                  {"simulated_total", MoneyString(c.simulated_total, c.currency)},
                  {"difference", MoneyString(c.difference, c.currency)}});
  json j = {{"period", s.period}, {"rows", rows}, {"current_total", nullptr}, {"simulated_total", nullptr},
            {"difference", nullptr}, {"totals_by_currency", by}};
  if (s.totals.size() == 1) {
    j["current_total"] = by[0]["current_total"];
    j["simulated_total"] = by[0]["simulated_total"];
    j["difference"] = by[0]["difference"];
  } else if (s.totals.empty()) {
    j["current_total"] = j["simulated_total"] = j["difference"] = "0.00";
  }
  return j;
}

std::string PercentText(const std::optional<Decimal>& p) {
  if (!p) return "-";
  return (p->IsNegative() || p->IsZero() ? "" : "+") + p->ToString(2) + "%";
}

int RunSimulate(const Context& ctx, const ReportArgs& a) {
  auto candidate = catalog::LoadCatalogFile(a.catalog_file);
  if (!candidate.ok()) return ctx.Fail(candidate.status());
  Loaded l;
  if (Status st = LoadAll(ctx, &l); !st.ok()) return ctx.Fail(st);
  std::string period = a.period;
  if (period.empty()) {
    auto month = MonthOf(Clock::Now());
    if (!month.ok()) return ctx.Fail(month.status());
    period = FormatMonth(month->start - 1);  // the last full month
  }
  auto s = Snapshot(*l.db, [&] { return report::Simulate(*l.db, l.catalog, *candidate, period); });
  if (!s.ok()) return ctx.Fail(s.status());
  if (!s->raw_meters.empty())
    ctx.Info(fmt::format("meters evaluated from raw events (defined differently from the stored catalog): {}",
                         fmt::join(s->raw_meters, ", ")));
  if (s->events_skipped) ctx.Warn(fmt::format("{} events could not be read by the candidate's meters", s->events_skipped));
  if (ctx.json()) {
    PrintJson(SimulationJson(*s));
    return kExitOk;
  }
  Table t({"tenant", "currency", "current", "simulated", "difference", "percent"}, {false, false, true, true, true, true});
  for (const auto& r : s->rows)
    t.Add({r.tenant, r.currency, MoneyString(r.current_total, r.currency), MoneyString(r.simulated_total, r.currency),
           MoneyString(r.difference, r.currency), PercentText(r.percent)});
  for (const auto& c : s->totals)
    t.Add({"total", c.currency, MoneyString(c.current_total, c.currency), MoneyString(c.simulated_total, c.currency),
           MoneyString(c.difference, c.currency), ""});
  PrintTable(t, a.format);
  return kExitOk;
}

void AddFormat(CLI::App* cmd, ReportArgs& a) {
  cmd->add_option("--format", a.format, "text or csv")->check(CLI::IsMember({"text", "csv"}));
}

}  // namespace

void RegisterReportCommands(CLI::App& app, Context& ctx) {
  static ReportArgs a;
  auto* report = app.add_subcommand("report", "Usage tables, analytics, trends and the HTML dashboard");
  report->require_subcommand(1);

  auto* usage = AddCommand(*report, ctx, "usage", "Usage per tenant and meter", [&ctx] { return RunUsage(ctx, a); });
  usage->add_option("--tenant", a.tenant, "Only this tenant");
  usage->add_option("--period", a.period, "YYYY-MM (default: the current month) or YYYY-MM-DD");
  usage->add_option("--by", a.by, "hour, day, month, meter (default), operation or user")
      ->check(CLI::IsMember({"hour", "day", "month", "meter", "operation", "user"}));
  AddFormat(usage, a);

  auto* an = AddCommand(*report, ctx, "analytics", "Operations: success rate, latency, cost",
                        [&ctx] { return RunAnalytics(ctx, a); });
  an->add_option("--tenant", a.tenant, "Only this tenant");
  an->add_option("--from", a.from, "Start (inclusive; default: the first event)");
  an->add_option("--to", a.to, "End (exclusive; default: no end)");
  an->add_option("--by", a.by, "hour (default), operation or user")
      ->check(CLI::IsMember({"hour", "operation", "user"}));
  AddFormat(an, a);

  auto* tr = AddCommand(*report, ctx, "trends", "Month-by-month usage and billed amounts",
                        [&ctx] { return RunTrends(ctx, a); });
  tr->add_option("--tenant", a.tenant, "Only this tenant");
  tr->add_option("--months", a.months, "How many months, ending with the current one (default 6)");
  AddFormat(tr, a);

  auto* db = AddCommand(*report, ctx, "dashboard", "Write one self-contained HTML page with charts",
                        [&ctx] { return RunDashboard(ctx, a); });
  db->add_option("--out", a.out, "The HTML file to write")->required();
  db->add_option("--period", a.period, "The month shown, YYYY-MM (default: the current month)");

  auto* fc = AddCommand(app, ctx, "forecast", "Projected end-of-period usage and cost",
                        [&ctx] { return RunForecast(ctx, a); });
  fc->add_option("--tenant", a.tenant, "Only this tenant");
  AddFormat(fc, a);

  auto* rc = AddCommand(app, ctx, "recommend", "Plan upgrade / downgrade advice with the saving",
                        [&ctx] { return RunRecommend(ctx, a); });
  rc->add_option("--tenant", a.tenant, "Only this tenant");
  AddFormat(rc, a);

  auto* sim = AddCommand(app, ctx, "simulate", "Re-price a past month under another catalog (writes nothing)",
                         [&ctx] { return RunSimulate(ctx, a); });
  sim->add_option("--catalog", a.catalog_file, "The candidate catalog file")->required();
  sim->add_option("--period", a.period, "The month, YYYY-MM (default: the last full month)");
  AddFormat(sim, a);
}

}  // namespace meter::cli
