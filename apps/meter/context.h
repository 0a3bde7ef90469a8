// Context: what every command of the `meter` binary shares: the global flags,
// the database it opens, and how it reports failure.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::cli {

struct GlobalOptions {
  std::string db;        // --db, else $METER_DB, else ./meter.db
  bool json = false;     // --json: one JSON document (or NDJSON) on stdout
  bool quiet = false;    // --quiet: no progress, no summaries on stderr
  bool no_color = false; // --no-color (NO_COLOR is honoured too)
  std::string now;       // --now T, else $METER_NOW
};

class Context {
 public:
  GlobalOptions options;

  // The command chosen on the command line; run by main after parsing, so
  // global flags given after the subcommand are seen too.
  std::function<int()> action;

  // Opens the database. `create`: a missing file is created (init, catalog
  // apply); otherwise it is refused with exit 66 naming `meter init`.
  Result<std::unique_ptr<store::Database>> OpenDb(bool create = false) const;
  // Opens the database at `path` (a file or a postgresql:// URL), as OpenDb
  // does: `db copy` names two.
  Result<std::unique_ptr<store::Database>> OpenDbAt(const std::string& path, bool create) const;
  // Opens the database without write access, for commands that only read
  // (reports, lists, shows, checks): they cannot change it by mistake and
  // take no write lock. A file of an older schema is first migrated forward
  // once through a writable connection, as SPEC section 1 promises, unless
  // `migrate` is false (shell completion must never write).
  Result<std::unique_ptr<store::Database>> OpenDbReadOnly(bool migrate = true) const;
  std::string DbPath() const;

  // Prints "meter: <message>" on stderr and returns the exit code for `s`.
  int Fail(const Status& s) const;
  // Prints "meter: warning: <message>" on stderr unless --quiet.
  void Warn(const std::string& message) const;
  // Prints a diagnostic line on stderr unless --quiet.
  void Info(const std::string& message) const;

  bool json() const { return options.json; }
  bool quiet() const { return options.quiet; }
  // Colour on stdout: a TTY, no --no-color, no NO_COLOR in the environment.
  bool color() const;
  bool stdout_is_tty() const;
  bool stderr_is_tty() const;
};

// Type names that tell --help and `meter completion` what a flag's or
// argument's value is, so the shell offers the ids in the database:
// `cmd->add_option("id", a.id, "Tenant id")->type_name(kTenantValue)`.
// Options named --tenant, --plan, --metric, --meter and --invoice need no
// type name; other text values complete file names.
inline constexpr const char* kTenantValue = "TENANT";
inline constexpr const char* kPlanValue = "PLAN";
inline constexpr const char* kMeterValue = "METER";
inline constexpr const char* kInvoiceValue = "INVOICE";

// Registers `name` as a subcommand whose callback sets ctx.action to `run`.
// Each command group (one file in apps/meter/) builds on this.
CLI::App* AddCommand(CLI::App& parent, Context& ctx, const std::string& name,
                     const std::string& description, std::function<int()> run);

// Each command group registers its subcommands (one file each).
void RegisterInitCommands(CLI::App& app, Context& ctx);
void RegisterCatalogCommands(CLI::App& app, Context& ctx);
void RegisterTenantCommands(CLI::App& app, Context& ctx);
void RegisterIngestCommands(CLI::App& app, Context& ctx);
void RegisterAggregateCommands(CLI::App& app, Context& ctx);
void RegisterQuotaCommands(CLI::App& app, Context& ctx);
void RegisterLimitCommands(CLI::App& app, Context& ctx);
void RegisterAlertCommands(CLI::App& app, Context& ctx);
void RegisterInvoiceCommands(CLI::App& app, Context& ctx);
void RegisterWebhookCommands(CLI::App& app, Context& ctx);
void RegisterReportCommands(CLI::App& app, Context& ctx);
void RegisterCompletionCommands(CLI::App& app, Context& ctx);
void RegisterCreditCommands(CLI::App& app, Context& ctx);
void RegisterCreditNoteCommands(CLI::App& app, Context& ctx);
void RegisterDbCommands(CLI::App& app, Context& ctx);
void RegisterEventCommands(CLI::App& app, Context& ctx);
// `invoice credit` (apps/meter/credit_notes.cc), added to the invoice group.
void AddInvoiceCreditCommand(CLI::App& invoice, Context& ctx);

}  // namespace meter::cli
