// events list / show / void (SPEC section 11): the stored raw events, as
// ingested, and taking them out of every count. Flags in, library calls,
// printing out.
#include <fmt/format.h>

#include "context.h"
#include "core/json_util.h"
#include "output.h"
#include "store/catalog_store.h"
#include "usage/events.h"

namespace meter::cli {
namespace {

struct EventArgs {
  std::string tenant, metric, from, to, id, format = "text", file, reason;
  std::vector<std::string> ids;
  int64_t limit = 100;
  bool voided = false;
};

// A text cell for a JSON value: strings bare, null as "-".
std::string Cell(const nlohmann::json& v) {
  if (v.is_null()) return "-";
  if (v.is_string()) return v.get<std::string>();
  return DumpJson(v);
}

void PrintEvents(const std::vector<store::StoredEvent>& events, const std::string& format) {
  const std::vector<std::string> cols = {"id",     "source",    "tenant",      "metric",    "timestamp",  "quantity",
                                         "user",   "operation", "status",      "ingested_at", "voided_at", "void_reason"};
  std::vector<bool> right(cols.size(), false);
  right[5] = true;
  Table t(cols, right);
  for (const auto& e : events) {
    nlohmann::json j = usage::EventToJson(e);
    std::vector<std::string> row;
    for (const auto& c : cols)
      row.push_back(c == "quantity" && format != "csv" ? Thousands(Decimal::FromScaled(e.event.quantity_micros, 6))
                                                       : Cell(j[c]));
    t.Add(std::move(row));
  }
  PrintTable(t, format);
}

int RunList(const Context& ctx, const EventArgs& a) {
  if (a.limit <= 0) return ctx.Fail(Status::InvalidArgument("--limit must be at least 1"));
  store::EventFilter f{a.tenant, a.metric, std::nullopt, std::nullopt, a.limit, a.voided};
  for (auto [flag, text, to] : {std::tuple{"--from", &a.from, &f.from}, std::tuple{"--to", &a.to, &f.to}}) {
    if (text->empty()) continue;
    auto t = ParseTimeArg(*text);
    if (!t.ok()) return ctx.Fail(Status::InvalidArgument(fmt::format("{}: {}", flag, t.status().message())));
    *to = *t;
  }
  auto db = ctx.OpenDbReadOnly();
  if (!db.ok()) return ctx.Fail(db.status());
  auto events = store::EventStore(**db).List(f);
  if (!events.ok()) return ctx.Fail(events.status());
  if (ctx.json()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& e : *events) rows.push_back(usage::EventToJson(e));
    PrintJson({{"events", rows}});
  } else {
    PrintEvents(*events, a.format);
  }
  return kExitOk;
}

int RunShow(const Context& ctx, const EventArgs& a) {
  auto db = ctx.OpenDbReadOnly();
  if (!db.ok()) return ctx.Fail(db.status());
  auto found = usage::FindEvents(**db, a.id);
  if (!found.ok()) return ctx.Fail(found.status());
  if (found->empty()) return ctx.Fail(Status::NotFound(fmt::format("no event with id '{}'", a.id)));
  if (ctx.json()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& e : *found) rows.push_back(usage::EventToJson(e));
    PrintJson(found->size() == 1 ? rows[0] : nlohmann::json{{"events", rows}});
    return kExitOk;
  }
  for (size_t i = 0; i < found->size(); ++i) {
    if (i) fmt::print("\n");
    nlohmann::json e = usage::EventToJson((*found)[i]);
    for (const char* key : {"id", "source", "tenant", "metric", "timestamp", "quantity", "user", "operation", "status",
                            "latency_ms", "cost", "properties", "seq", "ingested_at", "voided_at", "void_reason"})
      if (!e[key].is_null()) fmt::print("{:<12} {}\n", key, Cell(e[key]));
  }
  return kExitOk;
}

int RunVoid(const Context& ctx, const EventArgs& a) {
  std::vector<std::string> names = a.ids;
  if (!a.file.empty()) {
    auto more = usage::ReadEventNames(a.file);
    if (!more.ok()) return ctx.Fail(more.status());
    names.insert(names.end(), more->begin(), more->end());
  }
  if (names.empty())
    return ctx.Fail(Status::InvalidArgument("name the events to void: ID... or --file F (see 'meter events void --help')"));
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  Timestamp now = Clock::Now();
  auto c = store::CatalogStore(**db).Load(now);
  if (!c.ok()) return ctx.Fail(c.status());
  auto out = usage::VoidEvents(**db, *c, names, a.reason, Clock::Now);
  if (!out.ok()) return ctx.Fail(out.status());
  if (ctx.json())
    PrintJson({{"voided", out->voided}, {"already_void", out->already_void}, {"unknown", out->unknown}});
  std::string done = fmt::format("voided {} event{}{}", out->voided.size(), out->voided.size() == 1 ? "" : "s",
                                 out->already_void.empty() ? "" : fmt::format(", {} already void", out->already_void.size()));
  if (out->unknown.empty()) {
    ctx.Info(done);
    return kExitOk;
  }
  std::string listed;
  for (const std::string& n : out->unknown) {
    std::string shown = n;
    if (size_t tab = shown.find('\t'); tab != std::string::npos) shown.replace(tab, 1, "\\t");
    listed += (listed.empty() ? "" : ", ") + shown;
  }
  return ctx.Fail(Status::DataError(fmt::format(
      "no stored event has the id{} {} ({}; a CloudEvent is named SOURCE<TAB>ID)",
      out->unknown.size() == 1 ? "" : "s", listed, done)));
}

}  // namespace

void RegisterEventCommands(CLI::App& app, Context& ctx) {
  static EventArgs a;
  auto* ev = app.add_subcommand("events", "The stored raw events, as ingested; voiding them");
  ev->require_subcommand(1);
  auto* list = AddCommand(*ev, ctx, "list", "List stored events, newest first", [&ctx] { return RunList(ctx, a); });
  list->add_option("--tenant", a.tenant, "Only this tenant");
  list->add_option("--metric", a.metric, "Only this metric");
  list->add_option("--from", a.from, "Events at or after this time (RFC 3339, or YYYY-MM-DD: UTC midnight)");
  list->add_option("--to", a.to, "Events before this time");
  list->add_flag("--voided", a.voided, "Only voided events (with when and why)");
  list->add_option("--limit", a.limit, "At most this many (default 100)");
  list->add_option("--format", a.format, "text or csv")->check(CLI::IsMember({"text", "csv"}));
  auto* show = AddCommand(*ev, ctx, "show", "One stored event with every field", [&ctx] { return RunShow(ctx, a); });
  show->add_option("id", a.id, "Event id (a CloudEvent: source, a tab, id)")->required();
  auto* vd = AddCommand(*ev, ctx, "void", "Take events out of every count, keeping them and the reason",
                        [&ctx] { return RunVoid(ctx, a); });
  vd->add_option("ids", a.ids, "Event ids (a CloudEvent: source, a tab, id)");
  vd->add_option("--file", a.file, "A file of event ids, one per line ('-': stdin)");
  vd->add_option("--reason", a.reason, "Why (kept with each event)")->required();
}

}  // namespace meter::cli
