#include "webhooks/signer.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

namespace meter::webhooks {
namespace {

constexpr size_t kSecretBytes = 32;

// Fills `out` from the kernel's random source; retries short reads and EINTR.
Status FillRandom(unsigned char* out, size_t len) {
  size_t got = 0;
  while (got < len) {
    ssize_t n = getrandom(out + got, len - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError(std::string("getrandom: ") + std::strerror(errno));
    got += static_cast<size_t>(n);
  }
  return Status::OK();
}

// The HMAC key a secret stands for (see Sign in signer.h for the rule).
Result<std::string> KeyOf(std::string_view secret) {
  std::string key;
  if (secret.substr(0, kSecretPrefix.size()) == kSecretPrefix) {
    auto decoded = Base64Decode(secret.substr(kSecretPrefix.size()));
    if (!decoded.ok()) return decoded.status().WithContext("webhook secret");
    key = std::move(decoded).value();
  } else {
    key = std::string(secret);
  }
  if (key.empty()) return Status::InvalidArgument("webhook secret is empty");
  return key;
}

// The provider's HMAC implementation, fetched once: fetching is a lookup by
// name we need not repeat per message. Never freed; it lives as long as the process.
EVP_MAC* HmacAlgorithm() {
  static EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  return mac;
}

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};

// HMAC-SHA256 over the concatenation of `parts`, streamed so the (possibly
// large) body is not copied into one buffer first.
Result<std::string> HmacSha256(std::string_view key,
                               std::initializer_list<std::string_view> parts) {
  EVP_MAC* mac = HmacAlgorithm();
  if (mac == nullptr) return Status::Internal("OpenSSL has no HMAC implementation");
  std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx(EVP_MAC_CTX_new(mac));
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name, 0),
      OSSL_PARAM_construct_end()};
  if (!ctx || EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()),
                           key.size(), params) != 1) {
    return Status::Internal("HMAC-SHA256 initialisation failed");
  }
  for (std::string_view part : parts) {
    if (EVP_MAC_update(ctx.get(), reinterpret_cast<const unsigned char*>(part.data()),
                       part.size()) != 1) {
      return Status::Internal("HMAC-SHA256 update failed");
    }
  }
  std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
  size_t out_len = 0;
  if (EVP_MAC_final(ctx.get(), out.data(), &out_len, out.size()) != 1) {
    return Status::Internal("HMAC-SHA256 finalisation failed");
  }
  return std::string(reinterpret_cast<const char*>(out.data()), out_len);
}

}  // namespace

Result<std::string> GenerateSecret() {
  std::array<unsigned char, kSecretBytes> bytes{};
  METER_RETURN_IF_ERROR(FillRandom(bytes.data(), bytes.size()));
  std::string_view raw(reinterpret_cast<const char*>(bytes.data()), bytes.size());
  return std::string(kSecretPrefix) + Base64Encode(raw);
}

Result<std::string> Sign(std::string_view secret, std::string_view msg_id,
                         int64_t unix_seconds, std::string_view body) {
  METER_ASSIGN_OR_RETURN(std::string key, KeyOf(secret));
  const std::string timestamp = std::to_string(unix_seconds);
  METER_ASSIGN_OR_RETURN(std::string mac,
                         HmacSha256(key, {msg_id, ".", timestamp, ".", body}));
  return "v1," + Base64Encode(mac);
}

Result<std::string> SignatureHeader(const std::vector<std::string>& secrets,
                                    std::string_view msg_id, int64_t unix_seconds,
                                    std::string_view body) {
  if (secrets.empty()) return Status::InvalidArgument("no webhook secret to sign with");
  std::string header;
  for (const std::string& secret : secrets) {
    METER_ASSIGN_OR_RETURN(std::string one, Sign(secret, msg_id, unix_seconds, body));
    if (!header.empty()) header += ' ';
    header += one;
  }
  return header;
}

}  // namespace meter::webhooks
