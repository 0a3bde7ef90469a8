// Webhook signing per the Standard Webhooks scheme (SPEC section 8).
//
// A message is signed as "v1," + base64(HMAC-SHA256(key, id "." ts "." body)),
// where the key is the base64-decoded part of a "whsec_..." secret. Nothing
// here touches the database or prints; secrets never appear in messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/base64.h"
#include "core/status.h"

namespace meter::webhooks {

// Prefix of every generated secret; the rest is base64 of the key bytes.
inline constexpr std::string_view kSecretPrefix = "whsec_";

// Returns "whsec_" + base64 of 32 bytes from the OS random source (getrandom).
// Fails with IOError only if the kernel cannot supply randomness.
Result<std::string> GenerateSecret();

// Returns one "v1,<base64 HMAC-SHA256>" signature of msg_id "." unix_seconds
// "." body. A secret starting with "whsec_" is keyed with the base64 decoding of
// the rest (as the Standard Webhooks libraries do); any other secret is keyed
// with its raw bytes. Refuses an empty key or a "whsec_" secret that is not
// valid base64 (InvalidArgument).
Result<std::string> Sign(std::string_view secret, std::string_view msg_id,
                         int64_t unix_seconds, std::string_view body);

// Returns the webhook-signature header value: one Sign() entry per secret, in
// the given order, separated by single spaces (two entries during a secret
// rotation). Refuses an empty list or any secret Sign() refuses.
Result<std::string> SignatureHeader(const std::vector<std::string>& secrets,
                                    std::string_view msg_id, int64_t unix_seconds,
                                    std::string_view body);

}  // namespace meter::webhooks
