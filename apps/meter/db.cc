// db copy and db check (SPEC sections 11 and 12): moving every table between
// a SQLite file and a PostgreSQL schema; the backend's integrity checks, then
// the billing ones (invoice totals against their lines, every credit ledger).
// Flags in, library calls, printing out.
#include <fmt/format.h>

#include "billing/check.h"
#include "context.h"
#include "core/decimal.h"
#include "core/money.h"
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
    // The sums as money: to each currency's minor unit ("16.50", not "16.5").
    nlohmann::json totals = nlohmann::json::object();
    for (const auto& [currency, sum] : report->invoice_totals) totals[currency] = MoneyString(sum, currency);
    nlohmann::json tables = nlohmann::json::array();
    for (const auto& t : report->tables) tables.push_back({{"table", t.table}, {"rows", t.rows}});
    PrintJson({{"from", (*from)->path()},
               {"to", (*to)->path()},
               {"tables", tables},
               {"rows", report->rows},
               {"invoice_totals", totals}});
  } else {
    for (const auto& t : report->tables) fmt::print("{:<28} {:>12}\n", t.table, t.rows);
  }
  std::string totals = report->invoice_totals.empty() ? "no invoices" : store::InvoiceTotalsText(report->invoice_totals);
  ctx.Info(fmt::format("copied {} row(s) in {} table(s) from {} to {}; row counts and invoice totals ({}) match",
                       report->rows, report->tables.size(), (*from)->path(), (*to)->path(), totals));
  return kExitOk;
}

int RunCheck(const Context& ctx) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  auto report = store::CheckIntegrity(**db);
  if (!report.ok()) return ctx.Fail(report.status());
  std::vector<billing::CheckProblem> problems;
  for (const auto& p : report->problems) problems.push_back({"backend", p.subject, p.message});
  // A database the billing checks cannot read (a table missing, say) is one
  // more problem, not a failure of the command.
  auto billing = billing::CheckBilling(**db);
  if (!billing.ok()) problems.push_back({"billing", "database", std::string(billing.status().message())});
  else problems.insert(problems.end(), billing->problems.begin(), billing->problems.end());
  int64_t invoices = billing.ok() ? billing->invoices : 0, grants = billing.ok() ? billing->grants : 0;
  if (ctx.json()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& p : problems) rows.push_back({{"area", p.area}, {"subject", p.subject}, {"message", p.message}});
    PrintJson({{"ok", problems.empty()},
               {"backend", report->backend},
               {"tables_checked", report->tables},
               {"invoices_checked", invoices},
               {"grants_checked", grants},
               {"skipped", report->skipped},
               {"problems", rows}});
  } else {
    for (const auto& p : problems) fmt::print("{} {}: {}\n", p.area, p.subject, p.message);
  }
  if (!problems.empty())
    return ctx.Fail(Status::Denied(fmt::format("db check found {} problem(s) in {} ({} backend)", problems.size(),
                                               (*db)->path(), report->backend)));
  for (const auto& s : report->skipped) ctx.Info("db check skipped " + s);
  ctx.Info(fmt::format("ok: {} table(s) pass the {} integrity checks; {} invoice(s) match their lines; {} credit "
                       "grant(s) balance their ledgers",
                       report->tables, report->backend, invoices, grants));
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
             "sequences, amcheck), then check invoice totals against their lines and every credit ledger",
             [&ctx] { return RunCheck(ctx); });
}

}  // namespace meter::cli
