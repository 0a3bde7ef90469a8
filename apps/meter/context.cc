#include "context.h"

#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>

namespace meter::cli {

std::string Context::DbPath() const {
  if (!options.db.empty()) return options.db;
  if (const char* env = std::getenv("METER_DB"); env && *env) return env;
  return "meter.db";
}

namespace {

store::OpenOptions BaseOptions() {
  store::OpenOptions o;
  if (const char* env = std::getenv("METER_BUSY_TIMEOUT_MS"); env && *env) o.busy_timeout_ms = std::atoi(env);
  return o;
}

}  // namespace

Result<std::unique_ptr<store::Database>> Context::OpenDb(bool create) const { return OpenDbAt(DbPath(), create); }

Result<std::unique_ptr<store::Database>> Context::OpenDbAt(const std::string& path, bool create) const {
  store::OpenOptions o = BaseOptions();
  o.create = create;
  return store::Database::Open(path, o);
}

Result<std::unique_ptr<store::Database>> Context::OpenDbReadOnly(bool migrate) const {
  store::OpenOptions o = BaseOptions();
  o.read_only = true;
  auto db = store::Database::Open(DbPath(), o);
  if (db.ok() || !migrate) return db;
  // Perhaps an older schema: a writable open migrates it (and reports a
  // missing or unreadable file just as well); then read as asked.
  auto writable = OpenDb();
  if (!writable.ok()) return writable.status();
  writable->reset();
  return store::Database::Open(DbPath(), o);
}

int Context::Fail(const Status& s) const {
  fmt::print(stderr, "meter: {}\n", s.message());
  return ExitCodeFor(s);
}

void Context::Warn(const std::string& message) const {
  if (!options.quiet) fmt::print(stderr, "meter: warning: {}\n", message);
}

void Context::Info(const std::string& message) const {
  if (!options.quiet) fmt::print(stderr, "{}\n", message);
}

bool Context::stdout_is_tty() const { return ::isatty(STDOUT_FILENO) == 1; }
bool Context::stderr_is_tty() const { return ::isatty(STDERR_FILENO) == 1; }

bool Context::color() const {
  const char* no_color = std::getenv("NO_COLOR");
  return !options.no_color && !(no_color && *no_color) && stdout_is_tty();
}

CLI::App* AddCommand(CLI::App& parent, Context& ctx, const std::string& name,
                     const std::string& description, std::function<int()> run) {
  CLI::App* cmd = parent.add_subcommand(name, description);
  cmd->callback([&ctx, run = std::move(run)] { ctx.action = run; });
  return cmd;
}

}  // namespace meter::cli
