// Replay policy without a network: the body, the signed request, backoff,
// what each kind of answer does to a delivery, option checks.
#include <doctest/doctest.h>

#include <string>

#include "webhooks/replay.h"
#include "webhooks/signer.h"

namespace wh = meter::webhooks;
using meter::kMillisPerHour;
using meter::kMillisPerSecond;
using meter::Timestamp;

namespace {

// A key of bytes 0..31, as whsec_ + base64.
const std::string kSecret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const std::string kOldSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr Timestamp kNow = 1772366400000;  // 2026-03-01T12:00:00Z

meter::store::DueDelivery Delivery(int attempts = 0, int retry_base = 0) {
  meter::store::DueDelivery d;
  d.id = 7;
  d.attempts = attempts;
  d.retry_base = retry_base;
  d.message_id = "msg_abc";
  d.type = "invoice.finalized";
  d.message_created_at = 1772323200000;  // 2026-03-01T00:00:00Z
  d.data = R"({"invoice":"inv_1","total":"24.75"})";
  d.endpoint.id = 3;
  d.endpoint.url = "http://127.0.0.1:9/hook";
  d.endpoint.secret = kSecret;
  return d;
}

wh::HttpResponse Answer(int status, std::string error = "") {
  wh::HttpResponse r;
  r.status = status;
  r.error = std::move(error);
  r.duration_ms = 12;
  return r;
}

std::string Header(const wh::HttpRequest& req, const std::string& name) {
  for (const auto& [k, v] : req.headers)
    if (k == name) return v;
  return "<missing>";
}

}  // namespace

TEST_CASE("webhooks.replay: the body is id, type, timestamp, data with data copied verbatim") {
  CHECK(wh::MessageBody("msg_1", "invoice.paid", 1772323200000, R"({"b":1,"a":"x"})") ==
        R"({"id":"msg_1","type":"invoice.paid","timestamp":"2026-03-01T00:00:00Z","data":{"b":1,"a":"x"}})");
  CHECK(wh::MessageBody("msg_\"q", "t", 1772323200250, "") ==
        R"({"id":"msg_\"q","type":"t","timestamp":"2026-03-01T00:00:00.250Z","data":{}})");
}

TEST_CASE("webhooks.replay: the request carries Standard Webhooks headers over the exact body") {
  auto d = Delivery();
  auto req = wh::BuildRequest(d, kNow + 999, 5000);
  REQUIRE(req.ok());
  CHECK(req->url == d.endpoint.url);
  CHECK(req->timeout_ms == 5000);
  CHECK(req->body == wh::MessageBody(d.message_id, d.type, d.message_created_at, d.data));
  CHECK(Header(*req, "webhook-id") == "msg_abc");
  CHECK(Header(*req, "webhook-timestamp") == "1772366400");  // whole seconds, rounded down
  CHECK(Header(*req, "content-type") == "application/json");
  CHECK(Header(*req, "webhook-signature") == *wh::Sign(kSecret, "msg_abc", 1772366400, req->body));
  // Every attempt of a message sends the same bytes.
  auto again = wh::BuildRequest(d, kNow + 60000, 5000);
  CHECK(again->body == req->body);
}

TEST_CASE("webhooks.replay: during a rotation both secrets sign, new first - afterwards only the new") {
  auto d = Delivery();
  d.endpoint.previous_secret = kOldSecret;
  d.endpoint.previous_secret_until = kNow + 24 * kMillisPerHour;
  auto req = wh::BuildRequest(d, kNow, 5000);
  REQUIRE(req.ok());
  const std::string expected = *wh::Sign(kSecret, "msg_abc", kNow / 1000, req->body) + " " +
                               *wh::Sign(kOldSecret, "msg_abc", kNow / 1000, req->body);
  CHECK(Header(*req, "webhook-signature") == expected);
  auto later = wh::BuildRequest(d, kNow + 24 * kMillisPerHour, 5000);
  CHECK(Header(*later, "webhook-signature").find(' ') == std::string::npos);
}

TEST_CASE("webhooks.replay: a secret that cannot sign is refused, not sent unsigned") {
  auto d = Delivery();
  d.endpoint.secret = "whsec_not base64!";
  CHECK(wh::BuildRequest(d, kNow, 5000).status().IsInvalidArgument());
}

TEST_CASE("webhooks.replay: backoff doubles from the base and stops at the cap") {
  wh::RetryPolicy p;
  const std::pair<int, int64_t> table[] = {{1, 1000}, {2, 2000}, {3, 4000}, {4, 8000}, {12, 2048000},
                                           {13, 3600000}, {40, 3600000}, {100000, 3600000}};
  for (auto [failures, delay] : table) {
    CAPTURE(failures);
    CHECK(wh::BackoffDelayMs(failures, p) == delay);
  }
  p.backoff_base_ms = 200;
  p.backoff_max_ms = 500;
  CHECK(wh::BackoffDelayMs(1, p) == 200);
  CHECK(wh::BackoffDelayMs(2, p) == 400);
  CHECK(wh::BackoffDelayMs(3, p) == 500);
}

TEST_CASE("webhooks.replay: a 2xx answer delivers - a transport error next to a 2xx does not") {
  wh::RetryPolicy p;
  for (int status : {200, 201, 204, 299}) {
    auto o = wh::DecideOutcome(Delivery(), Answer(status), kNow - 12, kNow, p);
    CHECK(o.new_status == "delivered");
    CHECK(o.status_code == status);
    CHECK(o.duration_ms == 12);
    CHECK(o.error.empty());
  }
  auto cut = wh::DecideOutcome(Delivery(), Answer(200, "response cut short"), kNow, kNow, p);
  CHECK(cut.new_status == "pending");
}

TEST_CASE("webhooks.replay: failures back off and the last allowed attempt fails the delivery") {
  wh::RetryPolicy p;
  for (int attempts = 0; attempts < 4; ++attempts) {
    auto o = wh::DecideOutcome(Delivery(attempts), Answer(500), kNow, kNow, p);
    CHECK(o.new_status == "pending");
    CHECK(o.next_attempt_at == kNow + (int64_t{1000} << attempts));
  }
  CHECK(wh::DecideOutcome(Delivery(4), Answer(500), kNow, kNow, p).new_status == "failed");
  CHECK(wh::DecideOutcome(Delivery(0), Answer(0, "connection refused"), kNow, kNow, p).error ==
        "connection refused");
  // After `retry` (retry_base 5) the budget and the backoff start again.
  auto o = wh::DecideOutcome(Delivery(5, 5), Answer(500), kNow, kNow, p);
  CHECK(o.new_status == "pending");
  CHECK(o.next_attempt_at == kNow + 1000);
  p.max_attempts = 1;
  CHECK(wh::DecideOutcome(Delivery(0), Answer(503), kNow, kNow, p).new_status == "failed");
}

TEST_CASE("webhooks.replay: 429 and 503 wait at least Retry-After - other statuses ignore it") {
  wh::RetryPolicy p;
  auto throttled = Answer(429);
  throttled.retry_after_seconds = 3;
  CHECK(wh::DecideOutcome(Delivery(), throttled, kNow, kNow, p).next_attempt_at == kNow + 3000);
  auto busy = Answer(503);
  busy.retry_after_seconds = 0;  // sooner than the backoff: the backoff wins
  CHECK(wh::DecideOutcome(Delivery(2), busy, kNow, kNow, p).next_attempt_at == kNow + 4000);
  auto other = Answer(500);
  other.retry_after_seconds = 60;
  CHECK(wh::DecideOutcome(Delivery(), other, kNow, kNow, p).next_attempt_at == kNow + 1000);
}

TEST_CASE("webhooks.replay: 410 disables the endpoint with a reason - a redirect is a failure") {
  wh::RetryPolicy p;
  auto gone = wh::DecideOutcome(Delivery(), Answer(410), kNow, kNow, p);
  REQUIRE(gone.disable_endpoint_reason.has_value());
  CHECK(gone.disable_endpoint_reason->find("410 Gone") != std::string::npos);
  CHECK(gone.endpoint_id == 3);
  CHECK(gone.new_status == "pending");
  auto moved = wh::DecideOutcome(Delivery(), Answer(302), kNow, kNow, p);
  CHECK(moved.new_status == "pending");
  CHECK(moved.error.find("redirect not followed") != std::string::npos);
  CHECK_FALSE(moved.disable_endpoint_reason.has_value());
}

TEST_CASE("webhooks.replay: options a run cannot honour are refused") {
  CHECK(wh::ValidateReplayOptions({}).ok());
  auto bad = [](auto change) {
    wh::ReplayOptions o;
    change(o);
    return wh::ValidateReplayOptions(o).IsInvalidArgument();
  };
  CHECK(bad([](wh::ReplayOptions& o) { o.concurrency = 0; }));
  CHECK(bad([](wh::ReplayOptions& o) { o.timeout_ms = 0; }));
  CHECK(bad([](wh::ReplayOptions& o) { o.limit = -1; }));
  CHECK(bad([](wh::ReplayOptions& o) { o.retry.max_attempts = 0; }));
  CHECK(bad([](wh::ReplayOptions& o) { o.retry.backoff_base_ms = 0; }));
  CHECK(bad([](wh::ReplayOptions& o) { o.retry.backoff_max_ms = 10; }));
  CHECK(bad([](wh::ReplayOptions& o) { o.lease_ms = o.timeout_ms; }));
  CHECK_FALSE(bad([](wh::ReplayOptions& o) { o.lease_ms = o.timeout_ms + 1; }));
}
