// db copy and db check (SPEC section 12): moving every table between a SQLite
// file and a PostgreSQL schema, and the backend's integrity checks.
// Flags in, library calls, printing out.
#include <fmt/format.h>

#include "context.h"
#include "output.h"
#include "store/maintenance.h"

namespace meter::cli {
namespace {

struct CopyArgs {
  std::string from, to;
};

int RunCopy(const Context& ctx, const CopyArgs& a) {
  auto from = ctx.OpenDbAt(a.from, false);
  if (!from.ok()) return ctx.Fail(from.status());
  auto to = ctx.OpenDbAt(a.to, true);
  if (!to.ok()) return ctx.Fail(to.status());
  TerminalProgress progress(ctx);
  auto report = store::CopyDatabase(**from, **to, progress);
  if (!report.ok()) return ctx.Fail(report.status());
  if (ctx.json()) {
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& t : report->tables) tables.push_back({{"table", t.table}, {"rows", t.rows}});
    PrintJson({{"from", (*from)->path()},
               {"to", (*to)->path()},
               {"tables", tables},
               {"rows", report->rows},
               {"invoice_totals", report->invoice_totals}});
  } else {
    for (const auto& t : report->tables) fmt::print("{:<28} {:>12}\n", t.table, t.rows);
  }
  std::string totals;
  for (const auto& [currency, sum] : report->invoice_totals)
    totals += fmt::format("{}{} {}", totals.empty() ? "" : ", ", sum, currency);
  ctx.Info(fmt::format("copied {} row(s) in {} table(s) from {} to {}; row counts and invoice totals ({}) match",
                       report->rows, report->tables.size(), (*from)->path(), (*to)->path(),
                       totals.empty() ? "no invoices" : totals));
  return kExitOk;
}

int RunCheck(const Context& ctx) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  auto report = store::CheckIntegrity(**db);
  if (!report.ok()) return ctx.Fail(report.status());
  if (ctx.json()) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& p : report->problems)
      problems.push_back({{"area", "backend"}, {"subject", p.subject}, {"message", p.message}});
    PrintJson({{"ok", report->problems.empty()},
               {"backend", report->backend},
               {"tables_checked", report->tables},
               {"skipped", report->skipped},
               {"problems", problems}});
  } else {
    for (const auto& p : report->problems) fmt::print("backend {}: {}\n", p.subject, p.message);
  }
  if (!report->problems.empty())
    return ctx.Fail(Status::Denied(fmt::format("db check found {} problem(s) in {} ({} backend)",
                                               report->problems.size(), (*db)->path(), report->backend)));
  for (const auto& s : report->skipped) ctx.Info("db check skipped " + s);
  ctx.Info(fmt::format("ok: {} table(s) pass the {} integrity checks", report->tables, report->backend));
  return kExitOk;
}

}  // namespace

void RegisterDbCommands(CLI::App& app, Context& ctx) {
  auto* db = app.add_subcommand("db", "Database maintenance: copy between backends, integrity checks");
  db->require_subcommand(1);
  auto copy = std::make_shared<CopyArgs>();
  CLI::App* cmd = AddCommand(*db, ctx, "copy",
                             "Copy every table into a new database (SQLite file <-> PostgreSQL URL) and check it",
                             [&ctx, copy] { return RunCopy(ctx, *copy); });
  cmd->add_option("--from", copy->from, "The database to read: a SQLite file or a postgresql:// URL")->required();
  cmd->add_option("--to", copy->to, "The new database to write (refused when it holds data)")->required();
  AddCommand(*db, ctx, "check", "Run the backend's integrity checks (SQLite integrity_check; PostgreSQL indexes, "
             "sequences, amcheck)",
             [&ctx] { return RunCheck(ctx); });
}

}  // namespace meter::cli
