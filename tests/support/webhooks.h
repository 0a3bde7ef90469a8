// Test helpers for the webhook queue: endpoints added with a valid secret,
// the deliveries listed, an attempt's outcome.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "store/webhook_store.h"

namespace meter::testing {

inline constexpr Timestamp kT0 = 1772366400000;  // 2026-03-01T12:00:00Z

inline int64_t AddEndpoint(store::WebhookStore& ws, const std::string& url,
                           std::optional<std::string> tenant = {}, std::vector<std::string> events = {}) {
  auto id = ws.AddEndpoint(url, tenant, events, "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", kT0);
  REQUIRE_MESSAGE(id.ok(), id.status().message());
  return *id;
}

inline std::vector<store::DeliveryRecord> Deliveries(store::WebhookStore& ws,
                                                     std::optional<std::string> status = {}) {
  auto rows = ws.ListDeliveries({status, std::nullopt});
  REQUIRE(rows.ok());
  return *rows;
}

inline store::AttemptOutcome Outcome(int64_t id, const std::string& status, Timestamp next = 0) {
  store::AttemptOutcome o;
  o.delivery_id = id;
  o.started_at = kT0;
  o.duration_ms = 5;
  o.status_code = status == "delivered" ? 200 : 500;
  o.new_status = status;
  o.next_attempt_at = next;
  return o;
}

}  // namespace meter::testing
