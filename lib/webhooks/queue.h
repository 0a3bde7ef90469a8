// The outbound queue's routing: which endpoints receive a message. Messages
// are queued by the change that causes them (an alert, an invoice
// transition, `resend`), inside that change's transaction, with one pending
// delivery per endpoint that wants the message; lib/store keeps the rows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "core/time.h"
#include "store/database.h"
#include "store/webhook_store.h"

namespace meter::webhooks {

// True when `type` is selected by an endpoint's event filters (exact names or
// "prefix.*"; no filters select everything).
bool EventFilterMatches(const std::vector<std::string>& filters, const std::string& type);

// True when the enabled endpoint `e` takes messages of `type` for `tenant`:
// its tenant is unset or equal, and its event filters select the type.
bool EndpointWants(const store::WebhookEndpointRecord& e, const std::string& type, const std::string& tenant);

// Queues a message of `type` for `tenant` ("" for none) with `data`, and a
// pending delivery, due at once, for every endpoint that wants it. Joins the
// caller's transaction when there is one. Returns the message id ("msg_...").
Result<std::string> Enqueue(store::Database& db, const std::string& type, const std::string& tenant,
                            const nlohmann::json& data, Timestamp now);

// Enqueue for a run that queues many messages in one transaction (invoice
// generate: two or three per tenant): the endpoints are read once, with the
// first message, and each message takes its data as JSON text, so a document
// sent as several messages is printed once. Use it only inside the caller's
// transaction, which must not change the endpoints meanwhile.
class Outbox {
 public:
  explicit Outbox(store::Database& db) : db_(db) {}
  // Enqueue with `data` as its DumpJson text.
  Result<std::string> Enqueue(const std::string& type, const std::string& tenant, std::string_view data,
                              Timestamp now);

 private:
  store::Database& db_;
  std::optional<std::vector<store::WebhookEndpointRecord>> endpoints_;
};

// Queues a message with one pending delivery, due at once, for `endpoint_id`
// only, whatever its filters say (`webhooks send-test`). NotFound for an
// unknown endpoint. Returns the message id.
Result<std::string> EnqueueForEndpoint(store::Database& db, int64_t endpoint_id, const std::string& type,
                                       const std::string& tenant, const nlohmann::json& data, Timestamp now);

// The message type `webhooks send-test` queues; resent only where it went.
inline constexpr const char* kTestMessageType = "webhook.test";

// `webhooks send-test`: queues `count` webhook.test messages (data: the
// endpoint id, a text and the sequence number 1..count) for `endpoint_id`
// only, all in one transaction, and returns their ids in order.
// InvalidArgument when count < 1; NotFound for an unknown endpoint.
Result<std::vector<std::string>> QueueTestMessages(store::Database& db, int64_t endpoint_id, int64_t count,
                                                   Timestamp now);

// Which messages Resend re-queues: one message, or all created at or after
// `since`; optionally only towards one endpoint.
struct ResendFilter {
  std::optional<std::string> message_id;
  std::optional<Timestamp> since;
  std::optional<int64_t> endpoint_id;
};

// Queues new pending deliveries, due at once, of past messages to the enabled
// endpoints their tenant and type match today (a webhook.test message only to
// the endpoints it was sent to), in one transaction. Skips a pair that
// already has a pending delivery. Refuses an unknown message id (NotFound).
// Returns how many deliveries were queued.
Result<int64_t> Resend(store::Database& db, const ResendFilter& filter, Timestamp now);

}  // namespace meter::webhooks
