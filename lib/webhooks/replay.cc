#include "webhooks/replay.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>
#include <unordered_map>

#include "core/ids.h"
#include "core/json_util.h"
#include "webhooks/endpoints.h"
#include "webhooks/signer.h"

namespace meter::webhooks {

std::string MessageBody(std::string_view message_id, std::string_view type, Timestamp created_at,
                        std::string_view data_json) {
  using nlohmann::json;
  std::string body = R"({"id":)";
  body += DumpJson(json(message_id));
  body += R"(,"type":)";
  body += DumpJson(json(type));
  body += R"(,"timestamp":)";
  body += DumpJson(json(FormatRfc3339(created_at)));
  body += R"(,"data":)";
  body += data_json.empty() ? std::string_view("{}") : data_json;
  body += '}';
  return body;
}

Result<HttpRequest> BuildRequest(const store::DueDelivery& d, Timestamp now, int64_t timeout_ms) {
  HttpRequest req;
  req.url = d.endpoint.url;
  req.timeout_ms = timeout_ms;
  req.body = MessageBody(d.message_id, d.type, d.message_created_at, d.data);
  // Floor division: a clock before 1970 must not round towards zero.
  const int64_t unix_seconds = now >= 0 ? now / 1000 : (now - 999) / 1000;
  auto signature = SignatureHeader(SigningSecrets(d.endpoint, now), d.message_id, unix_seconds, req.body);
  if (!signature.ok()) return Status::InvalidArgument(signature.status().message());
  req.headers = {{"content-type", "application/json"},
                 {"webhook-id", d.message_id},
                 {"webhook-timestamp", std::to_string(unix_seconds)},
                 {"webhook-signature", *signature}};
  return req;
}

int64_t BackoffDelayMs(int failures, const RetryPolicy& policy) {
  int64_t delay = policy.backoff_base_ms;
  for (int i = 1; i < failures && delay < policy.backoff_max_ms; ++i) delay *= 2;
  return std::min(delay, policy.backoff_max_ms);
}

namespace {

// The attempt's error text: the transport's, or a note on a status that is
// easy to misread as success.
std::string AttemptError(const HttpResponse& r) {
  if (!r.error.empty()) return r.error;
  if (r.status >= 300 && r.status < 400) return fmt::format("HTTP {}: redirect not followed", r.status);
  return "";
}

}  // namespace

store::AttemptOutcome DecideOutcome(const store::DueDelivery& d, const HttpResponse& r,
                                    Timestamp started_at, Timestamp now, const RetryPolicy& policy) {
  store::AttemptOutcome o;
  o.delivery_id = d.id;
  o.endpoint_id = d.endpoint.id;
  o.started_at = started_at;
  o.duration_ms = r.duration_ms;
  o.status_code = r.status;
  o.error = AttemptError(r);
  if (r.error.empty() && r.status >= 200 && r.status < 300) {
    o.new_status = "delivered";
    return o;
  }
  if (r.status == 410) {
    o.disable_endpoint_reason = fmt::format("410 Gone from {} at {}", d.endpoint.url, FormatRfc3339(now));
  }
  const int failures = d.attempts + 1 - d.retry_base;
  if (failures >= policy.max_attempts) {
    o.new_status = "failed";
    return o;
  }
  int64_t wait = BackoffDelayMs(failures, policy);
  if ((r.status == 429 || r.status == 503) && r.retry_after_seconds) {
    wait = std::max(wait, *r.retry_after_seconds * kMillisPerSecond);
  }
  o.new_status = "pending";
  o.next_attempt_at = now + wait;
  return o;
}

Status ValidateReplayOptions(const ReplayOptions& o) {
  if (o.concurrency < 1) return Status::InvalidArgument("--concurrency must be at least 1");
  if (o.timeout_ms <= 0) return Status::InvalidArgument("--timeout must be positive");
  if (o.limit < 0) return Status::InvalidArgument("--limit must not be negative");
  if (o.max_wait_ms < 0) return Status::InvalidArgument("--max-wait must not be negative");
  if (o.retry.max_attempts < 1) return Status::InvalidArgument("--max-attempts must be at least 1");
  if (o.retry.backoff_base_ms <= 0) return Status::InvalidArgument("--backoff-base must be positive");
  if (o.retry.backoff_max_ms < o.retry.backoff_base_ms) {
    return Status::InvalidArgument("--backoff-max must not be below --backoff-base");
  }
  if (o.lease_ms != 0 && o.lease_ms <= o.timeout_ms) {
    return Status::InvalidArgument(
        "--lease must be longer than --timeout, or a slow request could be sent twice at once");
  }
  return Status::OK();
}

namespace {

using SteadyClock = std::chrono::steady_clock;

// How long Poll waits while slots are free, so deliveries falling due (or
// leases of other runs ending) are picked up promptly.
constexpr int64_t kRecheckMs = 200;
// The longest a drain sleeps between looks at the queue.
constexpr int64_t kMaxSleepMs = 1000;

// One run of the replay loop; see Replay(). Each turn records the answers
// that came in and claims deliveries for the free slots in ONE transaction
// (one commit per turn, not two: with synchronous=FULL each commit is an
// fsync), then starts the claimed requests and waits for answers.
class ReplayRun {
 public:
  ReplayRun(store::Database& db, const ReplayOptions& o, HttpClient& http)
      : db_(db), store_(db), o_(o), http_(http), owner_(RandomId("replay_")),
        lease_ms_(o.lease_ms > 0 ? o.lease_ms : o.timeout_ms + kLeaseMarginMs),
        run_start_(Clock::Now()), started_(SteadyClock::now()) {}

  Result<ReplaySummary> Run();

 private:
  Result<std::vector<store::DueDelivery>> RecordAndClaim();
  Result<std::vector<store::DueDelivery>> Claim();
  void Tally();
  void Start(const store::DueDelivery& d);
  void Collect(int64_t wait_ms);
  Result<bool> WaitForMore();
  bool Stopping() const;
  int64_t ElapsedMs() const;
  ReplaySummary Summary() const;

  struct InFlight {
    store::DueDelivery delivery;
    Timestamp started_at = 0;
  };

  store::Database& db_;
  store::WebhookStore store_;
  const ReplayOptions& o_;
  HttpClient& http_;
  const std::string owner_;
  const int64_t lease_ms_;
  const Timestamp run_start_;
  const SteadyClock::time_point started_;
  uint64_t next_tag_ = 1;
  int64_t attempts_ = 0;
  std::unordered_map<uint64_t, InFlight> in_flight_;
  std::vector<store::AttemptOutcome> unrecorded_;  // outcomes not yet in the database
  std::map<int64_t, std::string> final_status_;   // delivery id -> status after its last attempt
  std::set<int64_t> disabled_endpoints_;
};

int64_t ReplayRun::ElapsedMs() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - started_).count();
}

bool ReplayRun::Stopping() const {
  if (o_.limit > 0 && attempts_ >= o_.limit) return true;
  return o_.drain && o_.max_wait_ms > 0 && ElapsedMs() >= o_.max_wait_ms;
}

// Leases as many due deliveries as there are free slots (and limit left).
Result<std::vector<store::DueDelivery>> ReplayRun::Claim() {
  int64_t want = o_.concurrency - static_cast<int64_t>(in_flight_.size());
  if (o_.limit > 0) want = std::min(want, o_.limit - attempts_);
  if (want <= 0 || Stopping()) return std::vector<store::DueDelivery>();
  const Timestamp now = Clock::Now();
  const Timestamp due_before = o_.drain ? now : run_start_;
  return store_.ClaimDue(owner_, due_before, now, now + lease_ms_, static_cast<int>(want));
}

Result<std::vector<store::DueDelivery>> ReplayRun::RecordAndClaim() {
  std::vector<store::DueDelivery> claimed;
  METER_RETURN_IF_ERROR(db_.Transaction([&]() -> Status {
    METER_RETURN_IF_ERROR(store_.RecordOutcomes(owner_, unrecorded_, Clock::Now()));
    METER_ASSIGN_OR_RETURN(claimed, Claim());
    return Status::OK();
  }));
  Tally();
  return claimed;
}

// Counts the outcomes just committed.
void ReplayRun::Tally() {
  if (unrecorded_.empty()) return;
  for (const auto& oc : unrecorded_) {
    final_status_[oc.delivery_id] = oc.new_status;
    if (oc.disable_endpoint_reason) disabled_endpoints_.insert(oc.endpoint_id);
  }
  unrecorded_.clear();
  if (o_.on_progress) o_.on_progress(Summary());
}

// Sends one claimed delivery; one that cannot be sent (a secret that cannot
// sign) is a failed attempt like any other.
void ReplayRun::Start(const store::DueDelivery& d) {
  ++attempts_;
  const Timestamp now = Clock::Now();
  auto request = BuildRequest(d, now, o_.timeout_ms);
  Status added = request.ok() ? http_.Add(next_tag_, std::move(request).value()) : request.status();
  if (added.ok()) {
    in_flight_.emplace(next_tag_++, InFlight{d, now});
    return;
  }
  HttpResponse refused;
  refused.error = added.message();
  unrecorded_.push_back(DecideOutcome(d, refused, now, now, o_.retry));
}

// Waits up to wait_ms for answers and decides what each one means.
void ReplayRun::Collect(int64_t wait_ms) {
  for (HttpCompletion& c : http_.Poll(wait_ms)) {
    auto it = in_flight_.find(c.tag);
    if (it == in_flight_.end()) continue;  // not one of ours; cannot happen
    unrecorded_.push_back(DecideOutcome(it->second.delivery, c.response, it->second.started_at,
                                        Clock::Now(), o_.retry));
    in_flight_.erase(it);
  }
}

// Drain only: sleeps until the next delivery can be claimed (at most
// kMaxSleepMs, so deliveries another run finishes are noticed). False when
// nothing is pending any more or the wait is over.
Result<bool> ReplayRun::WaitForMore() {
  METER_ASSIGN_OR_RETURN(std::optional<Timestamp> next, store_.NextClaimableAt());
  if (!next) return false;
  int64_t sleep_ms = std::clamp<int64_t>(*next - Clock::Now(), 10, kMaxSleepMs);
  if (o_.max_wait_ms > 0) {
    const int64_t left = o_.max_wait_ms - ElapsedMs();
    if (left <= 0) return false;
    sleep_ms = std::min(sleep_ms, left);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
  return true;
}

Result<ReplaySummary> ReplayRun::Run() {
  while (true) {
    METER_ASSIGN_OR_RETURN(std::vector<store::DueDelivery> claimed, RecordAndClaim());
    for (const auto& d : claimed) Start(d);
    if (!in_flight_.empty() || !unrecorded_.empty()) {
      const bool full = static_cast<int64_t>(in_flight_.size()) >= o_.concurrency;
      Collect(full || Stopping() ? kMaxSleepMs : kRecheckMs);
      continue;
    }
    if (!claimed.empty()) continue;
    if (!o_.drain || Stopping()) break;
    METER_ASSIGN_OR_RETURN(bool more, WaitForMore());
    if (!more) break;
  }
  return Summary();
}

ReplaySummary ReplayRun::Summary() const {
  ReplaySummary s;
  s.attempts = attempts_;
  s.attempted = static_cast<int64_t>(final_status_.size());
  for (const auto& [id, status] : final_status_) {
    if (status == "delivered") ++s.delivered;
    else if (status == "failed") ++s.failed;
    else ++s.retrying;
  }
  s.endpoints_disabled = static_cast<int64_t>(disabled_endpoints_.size());
  s.elapsed_ms = ElapsedMs();
  return s;
}

}  // namespace

Result<ReplaySummary> Replay(store::Database& db, const ReplayOptions& options) {
  METER_RETURN_IF_ERROR(ValidateReplayOptions(options));
  METER_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> http, HttpClient::Create());
  ReplayRun run(db, options, *http);
  return run.Run();
}

}  // namespace meter::webhooks
