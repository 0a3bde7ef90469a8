// Replay: delivering the webhook queue (SPEC section 8).
//
// A run claims due deliveries with a lease (so overlapping runs never send the
// same delivery at once and a killed run's deliveries come back when its lease
// ends), POSTs them in parallel through HttpClient, and records every attempt
// and its outcome in a short transaction as it completes. The policy pieces
// (body, headers, backoff, what an answer means) are separate functions so
// they can be tested without a network. Nothing here prints.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "core/time.h"
#include "store/database.h"
#include "store/webhook_store.h"
#include "webhooks/http_client.h"

namespace meter::webhooks {

// How long a lease outlives the request timeout by default: room for the
// outcome's transaction to wait on a busy database before another run may
// take the delivery over.
inline constexpr int64_t kLeaseMarginMs = 30 * kMillisPerSecond;

// When failed attempts are tried again and when a delivery gives up.
struct RetryPolicy {
  int max_attempts = 5;                      // then the delivery is `failed`
  int64_t backoff_base_ms = kMillisPerSecond;  // wait after the first failure
  int64_t backoff_max_ms = kMillisPerHour;     // the doubling stops here
};

// The POSTed body: {"id","type","timestamp","data"} in that order, with
// `data_json` (the stored data object) copied verbatim, so every attempt of a
// message sends the same bytes and signatures stay comparable.
std::string MessageBody(std::string_view message_id, std::string_view type, Timestamp created_at,
                        std::string_view data_json);

// The request for one delivery attempt at `now`: the body, content-type and
// the Standard Webhooks headers (webhook-id = message id, webhook-timestamp =
// Unix seconds of `now`, webhook-signature with every signing secret).
// Refuses (InvalidArgument) an endpoint secret that cannot sign.
Result<HttpRequest> BuildRequest(const store::DueDelivery& d, Timestamp now, int64_t timeout_ms);

// The wait before the next attempt after `failures` (>= 1) failed attempts in
// a row: base, 2 base, 4 base ... capped at the policy's maximum.
int64_t BackoffDelayMs(int failures, const RetryPolicy& policy);

// What the answer `r` to an attempt started at `started_at` means for
// delivery `d`, decided at `now`: 2xx without a transport error is delivered;
// anything else is a failure that is retried after the backoff (no sooner
// than a 429/503 Retry-After says) or, at the policy's last attempt, failed.
// A 410 also disables the endpoint, with the reason.
store::AttemptOutcome DecideOutcome(const store::DueDelivery& d, const HttpResponse& r,
                                    Timestamp started_at, Timestamp now, const RetryPolicy& policy);

struct ReplaySummary {
  int64_t attempted = 0;   // distinct deliveries attempted in this run
  int64_t attempts = 0;    // HTTP attempts made (a drained delivery may take several)
  int64_t delivered = 0;   // attempted deliveries that ended delivered
  int64_t failed = 0;      // ... that ended failed (out of attempts)
  int64_t retrying = 0;    // ... still pending, scheduled for a later attempt
  int64_t endpoints_disabled = 0;  // endpoints disabled by a 410 answer
  int64_t elapsed_ms = 0;
};

struct ReplayOptions {
  int64_t limit = 0;        // at most this many attempts in the run; 0: no limit
  int concurrency = 8;      // requests in flight at once
  int64_t timeout_ms = 10 * kMillisPerSecond;  // per request
  // Keep going, sleeping until the next delivery is due, until nothing is
  // pending; without it a run attempts what was due when it started, once.
  bool drain = false;
  int64_t max_wait_ms = 0;  // with drain: stop claiming after this long; 0: no limit
  int64_t lease_ms = 0;     // 0: timeout_ms + kLeaseMarginMs
  RetryPolicy retry;
  // Called after each batch of completions with the counts so far.
  std::function<void(const ReplaySummary&)> on_progress;
};

// Refuses (InvalidArgument) options a run cannot honour: concurrency < 1,
// a non-positive timeout, max attempts < 1, a negative limit or wait, a
// backoff base <= 0 or above its maximum, a lease not longer than the timeout.
Status ValidateReplayOptions(const ReplayOptions& options);

// Delivers due deliveries per `options` and returns what happened. Database
// failures stop the run (deliveries it still held come back when their
// leases end); network failures are outcomes, never errors.
Result<ReplaySummary> Replay(store::Database& db, const ReplayOptions& options);

}  // namespace meter::webhooks
