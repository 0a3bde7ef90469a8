// Webhook signing: secrets and the Standard Webhooks signature (base64 has
// its own tests in base64_test.cc).
//
// Expected signatures were computed independently with Python's hmac and
// base64 modules (key = b64decode(secret[6:]), msg = f"{id}.{ts}." + body).
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "webhooks/signer.h"

namespace wh = meter::webhooks;

namespace {

const std::string kSwSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const std::string kSwId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr int64_t kSwTimestamp = 1614265330;
const std::string kSwBody = R"({"test": 2432232314})";

// A key of bytes 0..31, as whsec_ + base64.
const std::string kCountingSecret = "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
const std::string kInvoiceBody =
    R"({"id":"msg_1","type":"invoice.finalized","timestamp":"2024-05-01T00:00:00Z",)"
    R"("data":{"invoice":"inv_42","total":"12.50"}})";

std::string SignOk(const std::string& secret, const std::string& id, int64_t ts,
                   const std::string& body) {
  auto sig = wh::Sign(secret, id, ts, body);
  REQUIRE_MESSAGE(sig.ok(), sig.status().message());
  return *sig;
}

}  // namespace

TEST_CASE("webhooks.sign: the Standard Webhooks reference vector") {
  CHECK(SignOk(kSwSecret, kSwId, kSwTimestamp, kSwBody) ==
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST_CASE("webhooks.sign: vectors computed with Python hmac/base64") {
  CHECK(SignOk(kCountingSecret, "msg_1", 1714521600, kInvoiceBody) ==
        "v1,q0l6otpUvg4dHdFvMmEz/X8OZXITflLdDwKiKqXD2Fk=");
  // Without the whsec_ prefix the secret's raw bytes are the key.
  CHECK(SignOk("plain-key", "msg_1", 1714521600, kInvoiceBody) ==
        "v1,rVS+PoUe6FpzWFHo92ev4jVjtTk6UULkX9/co2cTc1Y=");
}

TEST_CASE("webhooks.sign: another secret or id or time or body gives another signature") {
  const std::string good = SignOk(kSwSecret, kSwId, kSwTimestamp, kSwBody);
  // The raw-key reading of "wrong", computed with Python as well.
  CHECK(SignOk("wrong", kSwId, kSwTimestamp, kSwBody) ==
        "v1,8Sz17GVBBojGSB5Gn5peZaTh0QaK13ZiBm44GVF5ON0=");
  std::set<std::string> seen = {
      good,
      SignOk("wrong", kSwId, kSwTimestamp, kSwBody),
      SignOk(kCountingSecret, kSwId, kSwTimestamp, kSwBody),
      SignOk(kSwSecret, "msg_other", kSwTimestamp, kSwBody),
      SignOk(kSwSecret, kSwId, kSwTimestamp + 1, kSwBody),
      SignOk(kSwSecret, kSwId, kSwTimestamp, kSwBody + " "),
  };
  CHECK(seen.size() == 6);
}

TEST_CASE("webhooks.sign: unusable secrets are refused") {
  for (const char* bad : {"", "whsec_", "whsec_not base64!", "whsec_Zg="}) {
    auto r = wh::Sign(bad, kSwId, kSwTimestamp, kSwBody);
    CHECK_MESSAGE(!r.ok(), std::string(bad));
    if (!r.ok()) CHECK(r.status().IsInvalidArgument());
  }
}

TEST_CASE("webhooks.secret: whsec_ and base64 of 32 random bytes that differ each time") {
  std::set<std::string> secrets;
  for (int i = 0; i < 8; ++i) {
    auto secret = wh::GenerateSecret();
    REQUIRE(secret.ok());
    CHECK(secret->rfind("whsec_", 0) == 0);
    CHECK(secret->size() == 6 + 44);
    auto key = meter::Base64Decode(secret->substr(6));
    REQUIRE(key.ok());
    CHECK(key->size() == 32);
    CHECK(wh::Sign(*secret, "msg_1", 1, "{}").ok());
    secrets.insert(*secret);
  }
  CHECK(secrets.size() == 8);
}

TEST_CASE("webhooks.signature_header: one v1 entry per secret separated by spaces") {
  auto one = wh::SignatureHeader({kSwSecret}, kSwId, kSwTimestamp, kSwBody);
  REQUIRE(one.ok());
  CHECK(*one == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

  auto both = wh::SignatureHeader({kCountingSecret, kSwSecret}, kSwId, kSwTimestamp, kSwBody);
  REQUIRE(both.ok());
  CHECK(*both == SignOk(kCountingSecret, kSwId, kSwTimestamp, kSwBody) +
                     " v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");

  CHECK(wh::SignatureHeader({}, kSwId, kSwTimestamp, kSwBody).status().IsInvalidArgument());
  CHECK(wh::SignatureHeader({kSwSecret, "whsec_!"}, kSwId, kSwTimestamp, kSwBody)
            .status()
            .IsInvalidArgument());
}
