// ingest: load usage logs (SPEC section 4).
#include <unistd.h>

#include <cmath>

#include <fmt/format.h>

#include "context.h"
#include "ingest/ingest.h"
#include "output.h"
#include "store/catalog_store.h"

namespace meter::cli {
namespace {

struct IngestArgs {
  std::vector<std::string> files;
  std::string format = "auto";
  std::string rejects;
  bool strict = false;
  size_t batch_size = 250000;
};

nlohmann::json CountsJson(const ingest::IngestCounts& c) {
  return {{"read", c.read}, {"accepted", c.accepted}, {"duplicates", c.duplicates},
          {"rejected", c.rejected}, {"late", c.late}};
}

// Records read per second of the run.
int64_t EventsPerSecond(const ingest::IngestSummary& s) {
  return s.seconds > 0 ? std::llround(static_cast<double>(s.totals.read) / s.seconds) : 0;
}

nlohmann::json SummaryJson(const ingest::IngestSummary& s) {
  nlohmann::json j = CountsJson(s.totals);
  j["seconds"] = std::round(s.seconds * 1000) / 1000;
  j["events_per_second"] = EventsPerSecond(s);
  j["rejects_file"] = s.rejects_files.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.rejects_files.front());
  j["rejects_files"] = s.rejects_files;
  j["committed"] = s.committed;
  j["files"] = nlohmann::json::array();
  for (const auto& in : s.inputs) {
    nlohmann::json f = CountsJson(in.counts);
    f["path"] = in.path;
    f["format"] = in.format;
    f["rejects_file"] = in.rejects_file.empty() ? nlohmann::json(nullptr) : nlohmann::json(in.rejects_file);
    j["files"].push_back(f);
  }
  return j;
}

std::string CountsText(const ingest::IngestCounts& c) {
  return fmt::format("read {}, accepted {}, duplicates {}, rejected {}, late {}", Thousands(int64_t(c.read)),
                     Thousands(int64_t(c.accepted)), Thousands(int64_t(c.duplicates)),
                     Thousands(int64_t(c.rejected)), Thousands(int64_t(c.late)));
}

void PrintSummary(const Context& ctx, const ingest::IngestSummary& s) {
  if (s.inputs.size() > 1)
    for (const auto& in : s.inputs)
      ctx.Info(fmt::format("  {}: {}", in.path == "-" ? "stdin" : in.path, CountsText(in.counts)));
  for (const std::string& sample : s.samples) ctx.Info(fmt::format("  rejected: {}", sample));
  if (s.totals.rejected > s.samples.size())
    ctx.Info(fmt::format("  ... and {} more rejected", Thousands(int64_t(s.totals.rejected - s.samples.size()))));
  ctx.Info(fmt::format("ingest: {} in {:.2f} s ({} events/s){}", CountsText(s.totals), s.seconds,
                       Thousands(EventsPerSecond(s)),
                       s.committed ? "" : "; nothing committed (--strict)"));
  if (ctx.json()) PrintJson(SummaryJson(s));
}

// 65 with one line saying where the rejects are, or 0.
int Outcome(const Context& ctx, const ingest::IngestSummary& s) {
  if (s.totals.rejected == 0) return kExitOk;
  std::string where = s.rejects_files.empty() ? "" : fmt::format("; see {}", fmt::join(s.rejects_files, ", "));
  if (!s.committed)
    return ctx.Fail(Status::DataError(fmt::format(
        "--strict: {} record(s) rejected, nothing was committed{}; fix them and ingest again",
        s.totals.rejected, where)));
  return ctx.Fail(Status::DataError(fmt::format(
      "{} record(s) rejected{}; fix them there and ingest that file (the other records were taken)",
      s.totals.rejected, where)));
}

// An ingest stopped by `st` (I/O, a locked database) fails with one line:
// `st`, saying first how many events earlier batches committed, if any.
Status StoppedStatus(const Status& st, const ingest::IngestSummary& s) {
  if (s.totals.accepted == 0) return st;
  return st.WithContext(fmt::format("ingest stopped after committing {} new event(s) (re-running the same input is safe)",
                                    Thousands(int64_t(s.totals.accepted))));
}

int RunIngest(const Context& ctx, IngestArgs a) {
  auto format = ingest::ParseFormat(a.format);
  if (!format.ok()) return ctx.Fail(format.status());
  ingest::IngestOptions options{*format, a.rejects, a.strict, a.batch_size};
  if (a.files.empty()) a.files.push_back("-");
  if (Status st = ingest::CheckInputs(a.files, options); !st.ok()) return ctx.Fail(st);
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  auto catalog = store::CatalogStore(**db).Load(Clock::Now());
  if (!catalog.ok()) return ctx.Fail(catalog.status());
  bool reads_stdin = std::find(a.files.begin(), a.files.end(), "-") != a.files.end();
  if (reads_stdin && ::isatty(STDIN_FILENO)) ctx.Info("reading usage records from stdin (end with Ctrl-D)");

  TerminalProgress progress(ctx);
  progress.Begin("ingest", ingest::InputBytes(a.files), "bytes");
  ingest::IngestSummary summary;
  Status st = ingest::Ingest(**db, *catalog, a.files, options, [&](uint64_t done) { progress.Update(done); },
                             &summary);
  progress.End();
  if (!st.ok()) return ctx.Fail(StoppedStatus(st, summary));
  PrintSummary(ctx, summary);
  return Outcome(ctx, summary);
}

}  // namespace

void RegisterIngestCommands(CLI::App& app, Context& ctx) {
  auto args = std::make_shared<IngestArgs>();
  CLI::App* cmd = AddCommand(app, ctx, "ingest",
                             "Load usage logs (NDJSON, CSV, CloudEvents, Lago); idempotent by event id",
                             [&ctx, args] { return RunIngest(ctx, *args); });
  cmd->add_option("files", args->files, "Input files; '-' or none reads stdin");
  cmd->add_option("--format", args->format, "auto (default, per file and per record), ndjson, csv, cloudevents, lago")
      ->check(CLI::IsMember({"auto", "ndjson", "json", "csv", "cloudevents", "lago"}));
  cmd->add_option("--rejects", args->rejects,
                  "Write every rejected record here (default: <input>.rejects; stdin.rejects for stdin)");
  cmd->add_flag("--strict", args->strict, "Commit nothing if any record is rejected");
  cmd->add_option("--batch-size", args->batch_size, "Records per transaction (default 250000)")
      ->check(CLI::Range(size_t{1}, size_t{100000000}));
}

}  // namespace meter::cli
