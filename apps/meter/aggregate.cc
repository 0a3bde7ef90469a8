// aggregate: roll events up into hour / day / month buckets; --verify.
#include <chrono>

#include <fmt/format.h>

#include "context.h"
#include "core/json_util.h"
#include "output.h"
#include "store/catalog_store.h"
#include "usage/aggregate.h"
#include "usage/units.h"

namespace meter::cli {
namespace {

struct AggregateArgs {
  std::string period, from, to;
  bool verify = false;
};

struct ParsedArgs {
  std::vector<store::RollupPeriod> periods;
  store::BucketWindow window;
};

Result<ParsedArgs> Parse(const AggregateArgs& a) {
  ParsedArgs p;
  if (!a.period.empty()) {
    METER_ASSIGN_OR_RETURN(store::RollupPeriod period, store::ParseRollupPeriod(a.period));
    p.periods.push_back(period);
  }
  for (auto [flag, text, out] : {std::tuple{"--from", &a.from, &p.window.from}, {"--to", &a.to, &p.window.to}}) {
    if (text->empty()) continue;
    auto t = ParseTimeArg(*text);
    if (!t.ok()) return Status::InvalidArgument(std::string(flag) + ": " + t.status().message());
    *out = *t;
  }
  if (p.window.from && p.window.to && *p.window.from >= *p.window.to)
    return Status::InvalidArgument("--from must be before --to");
  return p;
}

nlohmann::json PeriodNames(const std::vector<store::RollupPeriod>& periods) {
  nlohmann::json out = nlohmann::json::array();
  for (auto p : periods) out.push_back(store::RollupPeriodName(p));
  return out;
}

nlohmann::json OptionalUnits(const std::optional<Decimal>& d) {
  return d ? JsonNumber(*d) : nlohmann::json(nullptr);
}

int RunVerify(const Context& ctx, store::Database& db, const catalog::Catalog& c, const ParsedArgs& p) {
  auto report = usage::VerifyAggregates(db, c, p.periods, p.window);
  if (!report.ok()) return ctx.Fail(report.status());
  if (ctx.json()) {
    nlohmann::json drift = nlohmann::json::array();
    for (const auto& d : report->drift)
      drift.push_back({{"tenant", d.tenant}, {"meter", d.meter}, {"period", store::RollupPeriodName(d.period)},
                       {"bucket", FormatRfc3339(d.bucket)}, {"stored", OptionalUnits(d.stored)},
                       {"expected", OptionalUnits(d.expected)}, {"stored_events", d.stored_events},
                       {"expected_events", d.expected_events}});
    PrintJson({{"checked", report->checked}, {"drift", drift}});
  } else if (!report->drift.empty()) {
    Table t({"period", "tenant", "meter", "bucket", "stored", "expected"}, {false, false, false, false, true, true});
    for (const auto& d : report->drift)
      t.Add({std::string(store::RollupPeriodName(d.period)), d.tenant, d.meter, FormatRfc3339(d.bucket),
             d.stored ? Thousands(*d.stored) : "missing", d.expected ? Thousands(*d.expected) : "none"});
    PrintTable(t);
  }
  if (report->drift.empty()) {
    ctx.Info(fmt::format("verified {} buckets against the raw events: no drift", report->checked));
    return kExitOk;
  }
  fmt::print(stderr, "meter: {} of {} buckets differ from the raw events; rebuild them with 'meter aggregate --from T --to T'\n",
             report->drift.size(), report->checked);
  return kExitDenied;
}

int RunRollUp(const Context& ctx, store::Database& db, const catalog::Catalog& c, const ParsedArgs& p) {
  auto started = std::chrono::steady_clock::now();
  usage::AggregateOptions options{p.periods, p.window};
  TerminalProgress progress(ctx);
  options.progress = &progress;
  auto s = usage::RunAggregate(db, c, options, Clock::Now());
  progress.End();
  if (!s.ok()) return ctx.Fail(s.status());
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  if (ctx.json())
    PrintJson({{"events_processed", s->events_processed}, {"buckets_updated", s->buckets_updated},
               {"buckets_rebuilt", s->buckets_rebuilt}, {"meters_rebuilt", s->meters_rebuilt},
               {"period", p.periods.size() == 1 ? nlohmann::json(store::RollupPeriodName(p.periods[0])) : "all"},
               {"periods", PeriodNames(s->periods)}, {"watermark", s->watermark},
               {"transactions", s->transactions}, {"seconds", std::round(seconds * 1000) / 1000}});
  ctx.Info(fmt::format("aggregated {} events into {} bucket updates{} (up to event #{}) in {:.2f} s",
                       s->events_processed, s->buckets_updated,
                       s->buckets_rebuilt ? fmt::format(", rebuilt {} buckets", s->buckets_rebuilt) : "",
                       s->watermark, seconds));
  return kExitOk;
}

int Run(const Context& ctx, const AggregateArgs& a) {
  auto p = Parse(a);
  if (!p.ok()) return ctx.Fail(p.status());
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  auto c = store::CatalogStore(**db).Load(Clock::Now());
  if (!c.ok()) return ctx.Fail(c.status());
  return a.verify ? RunVerify(ctx, **db, *c, *p) : RunRollUp(ctx, **db, *c, *p);
}

}  // namespace

void RegisterAggregateCommands(CLI::App& app, Context& ctx) {
  static AggregateArgs a;
  auto* cmd = AddCommand(app, ctx, "aggregate",
                         "Roll events up into per-tenant, per-meter hour/day/month buckets (incremental)",
                         [&ctx] { return Run(ctx, a); });
  cmd->add_option("--period", a.period, "Only this bucket size: hour, day or month (default all three)")
      ->check(CLI::IsMember({"hour", "day", "month"}));
  cmd->add_option("--from", a.from, "Rebuild (or with --verify, check) buckets starting at or after T");
  cmd->add_option("--to", a.to, "Rebuild (or with --verify, check) buckets starting before T");
  cmd->add_flag("--verify", a.verify, "Recompute from raw events and list every bucket that differs (exit 1 if any)");
}

}  // namespace meter::cli
