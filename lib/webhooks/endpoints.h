// Endpoint rules shared by `webhooks add`, `rotate-secret` and replay: what a
// valid event filter and secret are, and which secrets sign at a given time.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "core/time.h"
#include "store/webhook_store.h"

namespace meter::webhooks {

// How long the previous secret keeps signing after `rotate-secret`.
inline constexpr int64_t kSecretRotationOverlapMs = 24 * kMillisPerHour;

// Accepts exact event names ("invoice.paid"), prefixes ending in ".*"
// ("invoice.*") and "*". Refuses empty names, whitespace and a "*" anywhere
// else (InvalidArgument naming the filter).
Status ValidateEventFilters(const std::vector<std::string>& events);

// Accepts any secret Sign() can key with: "whsec_" + valid, non-empty base64,
// or other non-empty text used as raw key bytes. Refuses the rest with
// InvalidArgument; the message never contains the secret.
Status ValidateSecret(std::string_view secret);

// The secrets that sign a message sent at `now`: the endpoint's secret, then
// its previous secret while the rotation window (previous_secret_until) runs.
std::vector<std::string> SigningSecrets(const store::WebhookEndpointRecord& e, Timestamp now);

}  // namespace meter::webhooks
