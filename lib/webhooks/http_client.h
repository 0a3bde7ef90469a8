// Parallel HTTP POSTs for webhook delivery, over libcurl's multi interface.
//
// The client only moves bytes: it never follows redirects, speaks only http
// and https, ignores proxy settings from the environment, enforces a total
// timeout per request and keeps at most 64 KiB of each response body. It knows
// nothing of the queue, leases or retries; a replay loop feeds it requests
// with Add() while fewer than N are in flight and collects answers with Poll().
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/status.h"

namespace meter::webhooks {

// Response bytes kept per request; the rest is never read (SPEC section 8).
inline constexpr size_t kMaxResponseBody = 64 * 1024;

struct HttpRequest {
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;  // sent as given
  std::string body;                                           // sent as a POST body
  int64_t timeout_ms = 10'000;  // whole request: connect, send, headers, body
};

struct HttpResponse {
  // The receiver's status code, or 0 when no complete HTTP answer arrived. A
  // 3xx is just an answer: its Location is never followed.
  int status = 0;
  // Empty when the transfer finished cleanly; otherwise "<kind>: <curl detail>"
  // where kind is e.g. "timeout", "connection refused", "connection closed
  // without a response". May be set next to a status when the body broke off.
  std::string error;
  std::string body;  // at most kMaxResponseBody bytes
  bool body_truncated = false;  // more than kMaxResponseBody was offered
  int64_t duration_ms = 0;      // from Add() to completion
  // Seconds the receiver asked us to wait (Retry-After as delta-seconds or an
  // HTTP-date, past dates giving 0); nullopt without a parseable header.
  std::optional<int64_t> retry_after_seconds;
};

// Accepts only absolute http:// or https:// URLs with a host. Refuses any
// other scheme (file://, ftp://, ...), a missing host, control characters or
// an unparseable URL with InvalidArgument and a message naming the problem.
Status ValidateWebhookUrl(std::string_view url);

// Reads a Retry-After value: delta-seconds ("120") or an HTTP-date, taken
// relative to now_unix and clamped at 0. Returns nullopt for anything else.
std::optional<int64_t> ParseRetryAfter(std::string_view value, int64_t now_unix);

// One finished request: the tag given to Add() and what came back.
struct HttpCompletion {
  uint64_t tag = 0;
  HttpResponse response;
};

// Runs many POSTs at once on one thread. Not thread-safe: one thread calls all
// methods. Idle connections are reused across requests to the same host.
class HttpClient {
 public:
  // Initialises libcurl (once per process) and a multi handle. Fails with
  // Internal only if libcurl cannot be set up.
  static Result<std::unique_ptr<HttpClient>> Create();
  ~HttpClient();  // abandons any transfer still in flight
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Starts POSTing `request`; its completion will carry `tag`. Does not wait
  // and does not limit concurrency: the caller decides how many to keep in
  // flight. Refuses (InvalidArgument) a URL ValidateWebhookUrl refuses, a
  // timeout <= 0, or a header with CR/LF; nothing is started then.
  Status Add(uint64_t tag, HttpRequest request);

  // Transfers started and not yet returned by Poll().
  size_t in_flight() const { return transfers_.size(); }

  // Drives transfers until at least one finishes or `max_wait_ms` passes, and
  // returns every transfer that finished (empty on timeout or when nothing is
  // in flight). Network failures are responses, never a failed call.
  std::vector<HttpCompletion> Poll(int64_t max_wait_ms);

  using Callback = std::function<void(size_t index, HttpResponse response)>;

  // POSTs every request with at most `concurrency` (>= 1; 0 counts as 1) in
  // flight, calling `on_done` on this thread as each finishes, in completion
  // order. A request Add() refuses is reported through `on_done` with status 0
  // and the refusal as error. Refuses (Denied) to start while other transfers
  // are in flight, since their tags would collide with the indexes.
  Status PerformAll(const std::vector<HttpRequest>& requests, size_t concurrency,
                    const Callback& on_done);

 private:
  struct Transfer;
  explicit HttpClient(void* multi);  // out of line: Transfer is incomplete here
  void CollectFinished(std::vector<HttpCompletion>* out);

  void* multi_;  // CURLM*, kept opaque so this header needs no curl.h
  std::unordered_map<void*, std::unique_ptr<Transfer>> transfers_;  // by CURL*
};

}  // namespace meter::webhooks
