// meter: usage logs, quotas, rate limits, invoices and webhooks from one
// SQLite file. main() is the list of command groups and the one place where
// parse errors and unexpected exceptions become an exit code.
#include <cstdlib>
#include <exception>
#include <initializer_list>
#include <string_view>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "command_tree.h"
#include "context.h"
#include "core/time.h"

namespace {

constexpr const char* kVersion = "0.1.0";

void AddGlobalOptions(CLI::App& app, meter::cli::Context& ctx) {
  auto& o = ctx.options;
  app.add_option("--db", o.db, "SQLite database file or postgresql:// URL (else $METER_DB, else ./meter.db)");
  app.add_flag("--json", o.json, "Print one JSON document (NDJSON for streams) on stdout");
  app.add_flag("-q,--quiet", o.quiet, "No progress bars or summaries on stderr");
  app.add_flag("--no-color", o.no_color, "No ANSI colours (NO_COLOR is honoured too)");
  app.add_option("--now", o.now, "Start the clock at this RFC 3339 time (else $METER_NOW)");
  app.set_version_flag("--version", kVersion);
}

// Starts the clock at --now / $METER_NOW when given.
meter::Status SetUpClock(const meter::cli::GlobalOptions& o) {
  std::string now = o.now;
  if (now.empty())
    if (const char* env = std::getenv("METER_NOW"); env && *env) now = env;
  if (now.empty()) return meter::Status::OK();
  auto t = meter::ParseTimeArg(now);
  if (!t.ok()) return meter::Status::InvalidArgument(fmt::format("--now: {}", t.status().message()));
  meter::Clock::StartAt(*t);
  return meter::Status::OK();
}

using RegisterFn = void (*)(CLI::App&, meter::cli::Context&);

// Every command group with the top-level words it defines. A group that reads
// the whole command table when it runs (completion) says kWholeTable.
enum Needs { kOwnGroup, kWholeTable };
struct CommandGroup {
  std::initializer_list<std::string_view> words;
  RegisterFn add;
  Needs needs = kOwnGroup;
};

const CommandGroup kGroups[] = {
    {{"init"}, meter::cli::RegisterInitCommands},
    {{"catalog"}, meter::cli::RegisterCatalogCommands},
    {{"tenants"}, meter::cli::RegisterTenantCommands},
    {{"ingest"}, meter::cli::RegisterIngestCommands},
    {{"aggregate"}, meter::cli::RegisterAggregateCommands},
    {{"quota", "entitlement"}, meter::cli::RegisterQuotaCommands},
    {{"limit"}, meter::cli::RegisterLimitCommands},
    {{"alerts"}, meter::cli::RegisterAlertCommands},
    {{"invoice"}, meter::cli::RegisterInvoiceCommands},
    {{"webhooks"}, meter::cli::RegisterWebhookCommands},
    {{"report", "forecast", "recommend", "simulate"}, meter::cli::RegisterReportCommands},
    {{"completion", "__complete"}, meter::cli::RegisterCompletionCommands, kWholeTable},
    {{"credits"}, meter::cli::RegisterCreditCommands},
    {{"credit-notes"}, meter::cli::RegisterCreditNoteCommands},
    {{"db"}, meter::cli::RegisterDbCommands},
    {{"events"}, meter::cli::RegisterEventCommands},
};

// The command word of the command line: its first argument that is neither
// a global option nor the value of one ("" when there is none).
std::string_view CommandWord(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--db" || arg == "--now") {
      ++i;  // its value follows
    } else if (!arg.starts_with("-")) {
      return arg;
    }
  }
  return {};
}

// Registers the group that defines `word`, or every group when none does (no
// command, `meter --help`, a misspelt command: the "did you mean" then knows
// every word) or when that group reads the whole table. Building CLI11's tree
// for every command costs about a millisecond, a third of a whole `meter quota
// check`, so a command line that names its command builds only that group.
void RegisterCommands(CLI::App& app, meter::cli::Context& ctx, std::string_view word) {
  for (const CommandGroup& g : kGroups) {
    for (std::string_view w : g.words) {
      if (w == word && g.needs == kOwnGroup) return g.add(app, ctx);
    }
  }
  for (const CommandGroup& g : kGroups) g.add(app, ctx);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace meter::cli;
  CLI::App app{"meter: usage logs, quotas, rate limits, invoices and webhooks from one SQLite file"};
  app.name("meter");
  app.fallthrough();  // global flags may come after the subcommand too
  app.require_subcommand(1);
  Context ctx;
  AddGlobalOptions(app, ctx);

  RegisterCommands(app, ctx, CommandWord(argc, argv));

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return ReportUsageError(app, e);
  }
  if (meter::Status st = SetUpClock(ctx.options); !st.ok()) return ctx.Fail(st);
  if (!ctx.action) {
    fmt::print(stderr, "meter: missing command (see 'meter --help')\n");
    return meter::kExitUsage;
  }
  try {
    return ctx.action();
  } catch (const std::bad_alloc&) {
    fmt::print(stderr, "meter: out of memory\n");
    return meter::kExitIoErr;
  } catch (const std::exception& e) {
    fmt::print(stderr, "meter: internal error: {}\n", e.what());
    return meter::kExitIoErr;
  }
}
