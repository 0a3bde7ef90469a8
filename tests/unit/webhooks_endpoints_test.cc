// Endpoint rules (webhooks/endpoints.h): valid event filters and secrets, and
// which secrets sign during and after a rotation.
#include <doctest/doctest.h>

#include <string>

#include "webhooks/endpoints.h"

namespace wh = meter::webhooks;
using meter::Timestamp;

namespace {

// A key of bytes 0..31, as whsec_ + base64.
const std::string kSecret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
constexpr Timestamp kNow = 1772366400000;  // 2026-03-01T12:00:00Z

}  // namespace

TEST_CASE("webhooks.endpoints: event filters and secrets are checked before they are stored") {
  for (const char* ok : {"invoice.paid", "invoice.*", "*", "usage.threshold_reached", "a.b.*"}) {
    CAPTURE(ok);
    CHECK(wh::ValidateEventFilters({ok}).ok());
  }
  for (const char* bad : {"", "invoice*", "*.paid", "in voice", "invoice.*.x", ".*"}) {
    CAPTURE(bad);
    CHECK(wh::ValidateEventFilters({"invoice.paid", bad}).IsInvalidArgument());
  }
  CHECK(wh::ValidateSecret(kSecret).ok());
  CHECK(wh::ValidateSecret("plain-text-key").ok());
  CHECK(wh::ValidateSecret("").IsInvalidArgument());
  CHECK(wh::ValidateSecret("whsec_").IsInvalidArgument());
  auto st = wh::ValidateSecret("whsec_%%%%secretbytes");
  CHECK(st.IsInvalidArgument());
  CHECK(st.message().find("secretbytes") == std::string::npos);
}

TEST_CASE("webhooks.endpoints: the previous secret signs too until its rotation window ends") {
  meter::store::WebhookEndpointRecord e;
  e.secret = "new";
  CHECK(wh::SigningSecrets(e, kNow) == std::vector<std::string>{"new"});
  e.previous_secret = "old";
  e.previous_secret_until = kNow + wh::kSecretRotationOverlapMs;
  CHECK(wh::SigningSecrets(e, kNow) == std::vector<std::string>{"new", "old"});
  CHECK(wh::SigningSecrets(e, e.previous_secret_until - 1) == std::vector<std::string>{"new", "old"});
  CHECK(wh::SigningSecrets(e, e.previous_secret_until) == std::vector<std::string>{"new"});
}
