// webhooks add / list / remove / disable / enable / rotate-secret / send-test /
// replay / deliveries / retry / resend (SPEC section 8).
#include <fmt/format.h>

#include <charconv>

#include "context.h"
#include "output.h"
#include "store/catalog_store.h"
#include "store/webhook_store.h"
#include "webhooks/endpoints.h"
#include "webhooks/http_client.h"
#include "webhooks/queue.h"
#include "webhooks/replay.h"
#include "webhooks/signer.h"

namespace meter::cli {
namespace {

using nlohmann::json;
using store::WebhookStore;

struct WebhookArgs {
  std::string url, tenant, secret, reason, status, event, since, format = "text";
  std::vector<std::string> events;
  int64_t id = 0, endpoint = 0, count = 1;
  bool show_secrets = false, failed = false;
};

// Replay flags as typed; durations are parsed once the command runs.
struct ReplayArgs {
  int64_t limit = 0, concurrency = 8, max_attempts = 5;
  std::string timeout = "10", max_wait, backoff_base = "1", backoff_max = "3600", lease;
  bool drain = false, dry_run = false;
};

json TimeOrNull(std::optional<Timestamp> t) { return t ? json(FormatRfc3339(*t)) : json(nullptr); }

// A number of seconds ("10", "0.25") or a duration ("500ms", "2m") in ms.
Result<int64_t> ParseSeconds(const std::string& flag, const std::string& text) {
  const size_t dot = text.find('.');
  const std::string whole = text.substr(0, dot), frac = dot == std::string::npos ? "" : text.substr(dot + 1);
  auto digits = [](const std::string& s) { return s.find_first_not_of("0123456789") == std::string::npos; };
  if (!whole.empty() && whole.size() <= 9 && digits(whole) && digits(frac) && frac.size() <= 3) {
    int64_t ms = std::stoll(whole) * kMillisPerSecond;
    if (!frac.empty()) ms += std::stoll(frac) * (frac.size() == 1 ? 100 : frac.size() == 2 ? 10 : 1);
    return ms;
  }
  auto d = ParseDuration(text);
  if (!d.ok()) return Status::InvalidArgument(fmt::format("{}: '{}' is not a number of seconds or a duration like 500ms, 2m", flag, text));
  return *d;
}

// ---- endpoints ----

json EndpointJson(const store::WebhookEndpointRecord& e, const store::EndpointDeliveryCounts& c, bool secrets) {
  json j = {{"id", e.id}, {"url", e.url}, {"tenant", e.tenant ? json(*e.tenant) : json(nullptr)},
            {"events", e.events}, {"enabled", e.enabled}, {"status", e.enabled ? "enabled" : "disabled"},
            {"disabled_reason", e.enabled ? json(nullptr) : json(e.disabled_reason)},
            {"created_at", FormatRfc3339(e.created_at)},
            {"previous_secret_until", e.previous_secret ? TimeOrNull(e.previous_secret_until) : json(nullptr)},
            {"pending", c.pending}, {"delivered", c.delivered}, {"failed", c.failed}};
  if (secrets) {
    j["secret"] = e.secret;
    j["previous_secret"] = e.previous_secret ? json(*e.previous_secret) : json(nullptr);
  }
  return j;
}

std::string JoinOr(const std::vector<std::string>& items, const std::string& none) {
  if (items.empty()) return none;
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ",") + s;
  return out;
}

// Checks everything `add` is given before anything is written.
Status ValidateAdd(store::Database& db, const WebhookArgs& a) {
  METER_RETURN_IF_ERROR(webhooks::ValidateWebhookUrl(a.url));
  METER_RETURN_IF_ERROR(webhooks::ValidateEventFilters(a.events));
  if (!a.secret.empty()) METER_RETURN_IF_ERROR(webhooks::ValidateSecret(a.secret));
  if (a.tenant.empty()) return Status::OK();
  auto t = store::CatalogStore(db).GetTenant(a.tenant, Clock::Now());
  if (t.status().IsNotFound()) return Status::InvalidArgument(t.status().message());
  return t.status();
}

int RunAdd(const Context& ctx, const WebhookArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  if (Status st = ValidateAdd(**db, a); !st.ok()) return ctx.Fail(st);
  std::string secret = a.secret;
  if (secret.empty()) {
    auto generated = webhooks::GenerateSecret();
    if (!generated.ok()) return ctx.Fail(generated.status());
    secret = *generated;
  }
  std::optional<std::string> tenant;
  if (!a.tenant.empty()) tenant = a.tenant;
  WebhookStore ws(**db);
  auto existing = ws.ListEndpoints();
  if (!existing.ok()) return ctx.Fail(existing.status());
  for (const auto& e : *existing)
    if (e.url == a.url && e.tenant == tenant)
      ctx.Warn(fmt::format("endpoint {} already sends to this URL; messages both select go there twice", e.id));
  auto id = ws.AddEndpoint(a.url, tenant, a.events, secret, Clock::Now());
  if (!id.ok()) return ctx.Fail(id.status());
  if (ctx.json()) {
    PrintJson({{"id", *id}, {"url", a.url}, {"tenant", tenant ? json(*tenant) : json(nullptr)},
               {"events", a.events}, {"enabled", true}, {"secret", secret}});
    return kExitOk;
  }
  fmt::print("endpoint {} added: {}\nsecret: {}\n", *id, a.url, secret);
  ctx.Info("keep the secret: it is shown again only by 'meter webhooks list --show-secrets'");
  return kExitOk;
}

int RunList(const Context& ctx, const WebhookArgs& a) {
  auto db = ctx.OpenDbReadOnly();
  if (!db.ok()) return ctx.Fail(db.status());
  WebhookStore ws(**db);
  auto endpoints = ws.ListEndpoints();
  if (!endpoints.ok()) return ctx.Fail(endpoints.status());
  auto counts = ws.CountDeliveriesByEndpoint();
  if (!counts.ok()) return ctx.Fail(counts.status());
  if (ctx.json()) {
    json rows = json::array();
    for (const auto& e : *endpoints) rows.push_back(EndpointJson(e, (*counts)[e.id], a.show_secrets));
    PrintJson({{"endpoints", rows}});
    return kExitOk;
  }
  std::vector<std::string> cols{"id", "url", "tenant", "events", "status", "pending", "delivered", "failed"};
  if (a.show_secrets) cols.push_back("secret");
  Table t(cols, {true, false, false, false, false, true, true, true, false});
  for (const auto& e : *endpoints) {
    const auto& c = (*counts)[e.id];
    std::vector<std::string> row{std::to_string(e.id), e.url, e.tenant.value_or("*"), JoinOr(e.events, "*"),
                                 e.enabled ? "enabled" : "disabled: " + e.disabled_reason,
                                 Thousands(c.pending), Thousands(c.delivered), Thousands(c.failed)};
    if (a.show_secrets) {
      const bool rotating = e.previous_secret && Clock::Now() < e.previous_secret_until;
      row.push_back(rotating ? e.secret + " (and previous " + *e.previous_secret + ")" : e.secret);
    }
    t.Add(std::move(row));
  }
  PrintTable(t, a.format);
  return kExitOk;
}

int RunSetEnabled(const Context& ctx, const WebhookArgs& a, bool enabled) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  const std::string reason = a.reason.empty() ? "disabled by 'meter webhooks disable'" : a.reason;
  if (Status st = WebhookStore(**db).SetEndpointEnabled(a.id, enabled, reason); !st.ok()) return ctx.Fail(st);
  ctx.Info(fmt::format("endpoint {} {}", a.id, enabled ? "enabled" : "disabled"));
  return kExitOk;
}

int RunRemove(const Context& ctx, const WebhookArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  if (Status st = WebhookStore(**db).RemoveEndpoint(a.id); !st.ok()) return ctx.Fail(st);
  ctx.Info(fmt::format("endpoint {} removed with its deliveries", a.id));
  return kExitOk;
}

int RunRotate(const Context& ctx, const WebhookArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  std::string secret = a.secret;
  if (!secret.empty()) {
    if (Status st = webhooks::ValidateSecret(secret); !st.ok()) return ctx.Fail(st);
  } else {
    auto generated = webhooks::GenerateSecret();
    if (!generated.ok()) return ctx.Fail(generated.status());
    secret = *generated;
  }
  const Timestamp until = Clock::Now() + webhooks::kSecretRotationOverlapMs;
  if (Status st = WebhookStore(**db).RotateSecret(a.id, secret, until); !st.ok()) return ctx.Fail(st);
  // SPEC section 8: secrets are printed only by `add` and `list --show-secrets`.
  if (ctx.json()) {
    PrintJson({{"id", a.id}, {"rotated", true}, {"previous_secret_until", FormatRfc3339(until)}});
    return kExitOk;
  }
  fmt::print("endpoint {} signs with a new secret ('meter webhooks list --show-secrets' shows it); "
             "the previous one keeps signing too until {}\n", a.id, FormatRfc3339(until));
  return kExitOk;
}

int RunSendTest(const Context& ctx, const WebhookArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  WebhookStore ws(**db);
  auto endpoint = ws.GetEndpoint(a.endpoint);
  if (!endpoint.ok()) return ctx.Fail(endpoint.status());
  auto queued = webhooks::QueueTestMessages(**db, a.endpoint, a.count, Clock::Now());
  if (!queued.ok()) return ctx.Fail(queued.status());
  const std::vector<std::string>& ids = *queued;
  if (!endpoint->enabled) ctx.Warn(fmt::format("endpoint {} is disabled; its deliveries wait until it is enabled", a.endpoint));
  if (ctx.json()) {
    PrintJson({{"endpoint", a.endpoint}, {"messages", ids}});
    return kExitOk;
  }
  for (const auto& id : ids) fmt::print("{}\n", id);
  ctx.Info(fmt::format("{} webhook.test message(s) queued for endpoint {}; deliver with 'meter webhooks replay'",
                       ids.size(), a.endpoint));
  return kExitOk;
}

// ---- the queue ----

Result<webhooks::ReplayOptions> ReplayOptionsFrom(const ReplayArgs& r) {
  webhooks::ReplayOptions o;
  o.limit = r.limit;
  o.concurrency = static_cast<int>(std::clamp<int64_t>(r.concurrency, 0, 10000));
  o.drain = r.drain;
  o.retry.max_attempts = static_cast<int>(std::clamp<int64_t>(r.max_attempts, 0, 1000));
  METER_ASSIGN_OR_RETURN(o.timeout_ms, ParseSeconds("--timeout", r.timeout));
  METER_ASSIGN_OR_RETURN(o.retry.backoff_base_ms, ParseSeconds("--backoff-base", r.backoff_base));
  METER_ASSIGN_OR_RETURN(o.retry.backoff_max_ms, ParseSeconds("--backoff-max", r.backoff_max));
  if (!r.max_wait.empty()) {
    METER_ASSIGN_OR_RETURN(o.max_wait_ms, ParseSeconds("--max-wait", r.max_wait));
    o.max_wait_ms = std::max<int64_t>(o.max_wait_ms, 1);  // 0 would mean "no limit"
  }
  if (!r.lease.empty()) {
    METER_ASSIGN_OR_RETURN(o.lease_ms, ParseSeconds("--lease", r.lease));
  }
  METER_RETURN_IF_ERROR(webhooks::ValidateReplayOptions(o));
  return o;
}

int RunDryRun(const Context& ctx, store::Database& db, const webhooks::ReplayOptions& o) {
  const int max = o.limit > 0 ? static_cast<int>(std::min<int64_t>(o.limit, 1'000'000)) : 1'000'000;
  auto due = WebhookStore(db).PeekDue(Clock::Now(), max);
  if (!due.ok()) return ctx.Fail(due.status());
  if (ctx.json()) {
    json rows = json::array();
    for (const auto& d : *due)
      rows.push_back({{"id", d.id}, {"message_id", d.message_id}, {"type", d.type}, {"endpoint", d.endpoint.id},
                      {"url", d.endpoint.url}, {"attempts", d.attempts}});
    PrintJson({{"dry_run", true}, {"due", due->size()}, {"deliveries", rows}});
    return kExitOk;
  }
  Table t({"delivery", "message", "type", "endpoint", "url", "attempts"}, {true, false, false, true, false, true});
  for (const auto& d : *due)
    t.Add({std::to_string(d.id), d.message_id, d.type, std::to_string(d.endpoint.id), d.endpoint.url,
           std::to_string(d.attempts)});
  PrintTable(t);
  ctx.Info(fmt::format("dry run: {} deliveries due; nothing sent", due->size()));
  return kExitOk;
}

json SummaryJson(const webhooks::ReplaySummary& s) {
  return {{"attempted", s.attempted}, {"attempts", s.attempts}, {"delivered", s.delivered},
          {"failed", s.failed}, {"retrying", s.retrying}, {"endpoints_disabled", s.endpoints_disabled},
          {"seconds", static_cast<double>(s.elapsed_ms) / 1000.0}};
}

int RunReplay(const Context& ctx, const ReplayArgs& r) {
  auto options = ReplayOptionsFrom(r);
  if (!options.ok()) return ctx.Fail(options.status());
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  if (r.dry_run) return RunDryRun(ctx, **db, *options);
  // The bar counts deliveries that reached an end (delivered or failed) out
  // of those pending when the run started.
  TerminalProgress progress(ctx);
  int64_t pending = 0;
  if (auto counts = store::WebhookStore(**db).CountDeliveriesByEndpoint(); counts.ok())
    for (const auto& [endpoint, c] : *counts) pending += c.pending;
  progress.Begin(options->drain ? "webhooks replay --drain" : "webhooks replay", static_cast<uint64_t>(pending),
                 "deliveries");
  options->on_progress = [&progress](const webhooks::ReplaySummary& s) {
    progress.Update(static_cast<uint64_t>(s.delivered + s.failed));
  };
  auto s = webhooks::Replay(**db, *options);
  progress.End();
  if (!s.ok()) return ctx.Fail(s.status());
  if (ctx.json()) PrintJson(SummaryJson(*s));
  ctx.Info(fmt::format("webhooks replay: {} deliveries attempted ({} attempts): {} delivered, {} retrying, {} failed; "
                       "{} endpoints disabled; {:.2f} s",
                       s->attempted, s->attempts, s->delivered, s->retrying, s->failed, s->endpoints_disabled,
                       static_cast<double>(s->elapsed_ms) / 1000.0));
  if (s->attempted > 0 && s->delivered == 0) {
    fmt::print(stderr, "meter: every attempted delivery failed; see 'meter webhooks deliveries'\n");
    return kExitUnavailable;
  }
  return kExitOk;
}

json AttemptJson(const store::AttemptRecord& a) {
  return {{"attempt", a.attempt}, {"at", FormatRfc3339(a.started_at)},
          {"status_code", a.status_code > 0 ? json(a.status_code) : json(nullptr)},
          {"error", a.error.empty() ? json(nullptr) : json(a.error)}, {"duration_ms", a.duration_ms}};
}

json DeliveryJson(const store::DeliveryRecord& d) {
  json attempts = json::array();
  for (const auto& a : d.attempt_log) attempts.push_back(AttemptJson(a));
  return {{"id", d.id}, {"message_id", d.message_id}, {"type", d.type},
          {"tenant", d.tenant.empty() ? json(nullptr) : json(d.tenant)}, {"endpoint", d.endpoint_id},
          {"url", d.url}, {"status", d.status}, {"attempt_count", d.attempts},
          {"next_attempt_at", d.status == "pending" ? json(FormatRfc3339(d.next_attempt_at)) : json(nullptr)},
          {"delivered_at", TimeOrNull(d.delivered_at)}, {"leased_until", TimeOrNull(d.lease_until)},
          {"last_status_code", d.last_status > 0 ? json(d.last_status) : json(nullptr)},
          {"last_error", d.last_error.empty() ? json(nullptr) : json(d.last_error)},
          {"created_at", FormatRfc3339(d.created_at)}, {"attempts", attempts}};
}

std::string AttemptResult(const store::AttemptRecord& a) {
  if (a.status_code > 0 && !a.error.empty()) return fmt::format("{} ({})", a.status_code, a.error);
  return a.status_code > 0 ? std::to_string(a.status_code) : a.error;
}

int RunDeliveries(const Context& ctx, const WebhookArgs& a) {
  store::DeliveryFilter filter;
  if (!a.status.empty()) filter.status = a.status;
  if (a.endpoint > 0) filter.endpoint_id = a.endpoint;
  auto db = ctx.OpenDbReadOnly();
  if (!db.ok()) return ctx.Fail(db.status());
  auto rows = WebhookStore(**db).ListDeliveries(filter);
  if (!rows.ok()) return ctx.Fail(rows.status());
  if (ctx.json()) {
    json out = json::array();
    for (const auto& d : *rows) out.push_back(DeliveryJson(d));
    PrintJson({{"deliveries", out}});
    return kExitOk;
  }
  // One row per attempt (a delivery not yet attempted gets one row), so the
  // table and its CSV carry the whole log.
  Table t({"delivery", "message", "type", "endpoint", "status", "attempt", "at", "result", "ms"},
          {true, false, false, true, false, true, false, false, true});
  for (const auto& d : *rows) {
    std::vector<std::string> head{std::to_string(d.id), d.message_id, d.type, std::to_string(d.endpoint_id), d.status};
    if (d.attempt_log.empty()) {
      auto row = head;
      row.insert(row.end(), {"-", "due " + FormatRfc3339(d.next_attempt_at), "-", "-"});
      t.Add(std::move(row));
    }
    for (const auto& at : d.attempt_log) {
      auto row = head;
      row.insert(row.end(), {std::to_string(at.attempt), FormatRfc3339(at.started_at), AttemptResult(at),
                             std::to_string(at.duration_ms)});
      t.Add(std::move(row));
    }
  }
  PrintTable(t, a.format);
  return kExitOk;
}

int RunRetry(const Context& ctx, const WebhookArgs& a) {
  if ((a.id > 0) == a.failed)
    return ctx.Fail(Status::InvalidArgument("give a delivery ID or --failed (not both); see 'meter webhooks retry --help'"));
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  WebhookStore ws(**db);
  int64_t n = 1;
  if (a.failed) {
    auto r = ws.RetryFailed(a.endpoint > 0 ? std::optional<int64_t>(a.endpoint) : std::nullopt, Clock::Now());
    if (!r.ok()) return ctx.Fail(r.status());
    n = *r;
  } else if (Status st = ws.RetryDelivery(a.id, Clock::Now()); !st.ok()) {
    return ctx.Fail(st);
  }
  if (ctx.json()) PrintJson({{"requeued", n}});
  ctx.Info(fmt::format("{} deliveries put back on the queue, due now", n));
  return kExitOk;
}

int RunResend(const Context& ctx, const WebhookArgs& a) {
  if (a.event.empty() == a.since.empty())
    return ctx.Fail(Status::InvalidArgument("give --event ID or --since T (not both); see 'meter webhooks resend --help'"));
  webhooks::ResendFilter filter;
  if (!a.event.empty()) filter.message_id = a.event;
  if (!a.since.empty()) {
    auto t = ParseTimeArg(a.since);
    if (!t.ok()) return ctx.Fail(Status::InvalidArgument("--since: " + t.status().message()));
    filter.since = *t;
  }
  if (a.endpoint > 0) filter.endpoint_id = a.endpoint;
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  auto n = webhooks::Resend(**db, filter, Clock::Now());
  if (!n.ok()) return ctx.Fail(n.status());
  if (ctx.json()) PrintJson({{"queued", *n}});
  ctx.Info(fmt::format("{} deliveries queued", *n));
  return kExitOk;
}

// ---- registration ----

void RegisterEndpointCommands(CLI::App& w, Context& ctx, WebhookArgs& a) {
  auto* add = AddCommand(w, ctx, "add", "Add an endpoint (prints its secret once)", [&ctx, &a] { return RunAdd(ctx, a); });
  add->add_option("--url", a.url, "http:// or https:// URL to POST to")->required();
  add->add_option("--tenant", a.tenant, "Only this tenant's messages (default: every tenant's)");
  add->add_option("--events", a.events, "Event types, exact or prefix.* (default: all)")->delimiter(',');
  add->add_option("--secret", a.secret, "Signing secret (default: a new whsec_ secret)");
  auto* list = AddCommand(w, ctx, "list", "List endpoints", [&ctx, &a] { return RunList(ctx, a); });
  list->add_flag("--show-secrets", a.show_secrets, "Print the signing secrets too");
  list->add_option("--format", a.format, "text or csv")->check(CLI::IsMember({"text", "csv"}));
  auto* rm = AddCommand(w, ctx, "remove", "Remove an endpoint and its deliveries", [&ctx, &a] { return RunRemove(ctx, a); });
  rm->add_option("id", a.id, "Endpoint id")->required();
  auto* dis = AddCommand(w, ctx, "disable", "Stop sending to an endpoint", [&ctx, &a] { return RunSetEnabled(ctx, a, false); });
  dis->add_option("id", a.id, "Endpoint id")->required();
  dis->add_option("--reason", a.reason, "Why (shown by list)");
  auto* en = AddCommand(w, ctx, "enable", "Send to an endpoint again", [&ctx, &a] { return RunSetEnabled(ctx, a, true); });
  en->add_option("id", a.id, "Endpoint id")->required();
  auto* rot = AddCommand(w, ctx, "rotate-secret", "New signing secret; the old one also signs for 24 h",
                         [&ctx, &a] { return RunRotate(ctx, a); });
  rot->add_option("id", a.id, "Endpoint id")->required();
  rot->add_option("--secret", a.secret, "The new secret (default: a new whsec_ secret)");
  auto* test = AddCommand(w, ctx, "send-test", "Queue a webhook.test message for one endpoint",
                          [&ctx, &a] { return RunSendTest(ctx, a); });
  test->add_option("--endpoint", a.endpoint, "Endpoint id")->required();
  test->add_option("--count", a.count, "Queue this many test messages (default 1)");
}

void RegisterReplayCommand(CLI::App& w, Context& ctx, ReplayArgs& r) {
  auto* rp = AddCommand(w, ctx, "replay", "Deliver due webhook deliveries", [&ctx, &r] { return RunReplay(ctx, r); });
  rp->add_option("--limit", r.limit, "At most this many delivery attempts (default: no limit)");
  rp->add_option("--concurrency", r.concurrency, "Requests in flight at once (default 8)");
  rp->add_option("--timeout", r.timeout, "Seconds per request (default 10)");
  rp->add_flag("--drain", r.drain, "Keep going, sleeping until retries are due, until nothing is pending");
  rp->add_option("--max-wait", r.max_wait, "With --drain: stop after this many seconds (default: no limit)");
  rp->add_flag("--dry-run", r.dry_run, "List the due deliveries; send nothing");
  rp->add_option("--max-attempts", r.max_attempts, "Attempts before a delivery is failed (default 5)");
  rp->add_option("--backoff-base", r.backoff_base, "Seconds before the first retry; doubles each time (default 1)");
  rp->add_option("--backoff-max", r.backoff_max, "Longest wait between retries, seconds (default 3600)");
  rp->add_option("--lease", r.lease, "Seconds a claimed delivery stays ours (default: timeout + 30)");
}

void RegisterQueueCommands(CLI::App& w, Context& ctx, WebhookArgs& a) {
  auto* dl = AddCommand(w, ctx, "deliveries", "The delivery log with every attempt", [&ctx, &a] { return RunDeliveries(ctx, a); });
  dl->add_option("--status", a.status, "pending, delivered or failed")
      ->check(CLI::IsMember({"pending", "delivered", "failed"}));
  dl->add_option("--endpoint", a.endpoint, "Only this endpoint's deliveries");
  dl->add_option("--format", a.format, "text or csv")->check(CLI::IsMember({"text", "csv"}));
  auto* rt = AddCommand(w, ctx, "retry", "Put a failed delivery (or all) back on the queue", [&ctx, &a] { return RunRetry(ctx, a); });
  rt->add_option("id", a.id, "Delivery id");
  rt->add_flag("--failed", a.failed, "Every failed delivery");
  rt->add_option("--endpoint", a.endpoint, "With --failed: only this endpoint's");
  auto* rs = AddCommand(w, ctx, "resend", "Queue past messages again", [&ctx, &a] { return RunResend(ctx, a); });
  rs->add_option("--event", a.event, "Message id (msg_...)");
  rs->add_option("--since", a.since, "Every message created at or after this time");
  rs->add_option("--endpoint", a.endpoint, "Only to this endpoint");
}

}  // namespace

void RegisterWebhookCommands(CLI::App& app, Context& ctx) {
  static WebhookArgs a;
  static ReplayArgs r;
  auto* w = app.add_subcommand("webhooks", "Webhook endpoints and the delivery queue");
  w->require_subcommand(1);
  RegisterEndpointCommands(*w, ctx, a);
  RegisterReplayCommand(*w, ctx, r);
  RegisterQueueCommands(*w, ctx, a);
}

}  // namespace meter::cli
