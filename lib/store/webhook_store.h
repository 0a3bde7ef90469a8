// WebhookStore: endpoints, the outbound message queue and its deliveries.
//
// Messages are written by the code whose change caused them (an alert, an
// invoice transition) inside that change's transaction, together with one
// delivery per matching endpoint (lib/webhooks/queue.h decides which), so a
// crash can never keep one without the other. Replay runs claim due deliveries with a lease (owner + expiry), so two
// runs never hold the same delivery, and record each attempt as it completes.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::store {

struct WebhookEndpointRecord {
  int64_t id = 0;
  std::string url;
  std::optional<std::string> tenant;   // nullopt: every tenant's messages
  std::vector<std::string> events;     // exact names or "prefix.*"; empty = all
  std::string secret;
  std::optional<std::string> previous_secret;  // still signed with until previous_secret_until
  Timestamp previous_secret_until = 0;
  bool enabled = true;
  std::string disabled_reason;
  Timestamp created_at = 0;
};

// Delivery counts of one endpoint, by status.
struct EndpointDeliveryCounts {
  int64_t pending = 0;
  int64_t delivered = 0;
  int64_t failed = 0;
};

// A delivery claimed (or, for a dry run, merely seen due) by a replay run,
// carrying everything needed to sign and send it.
struct DueDelivery {
  int64_t id = 0;
  int attempts = 0;     // attempts made so far, ever
  int retry_base = 0;   // attempts at the last `retry` (budget restarts there)
  std::string message_id;
  std::string type;
  std::string tenant;   // "" for none
  Timestamp message_created_at = 0;
  std::string data;     // the message's data object as stored JSON text
  WebhookEndpointRecord endpoint;
};

// What one attempt did and what becomes of its delivery.
struct AttemptOutcome {
  int64_t delivery_id = 0;
  Timestamp started_at = 0;
  int64_t duration_ms = 0;
  int status_code = 0;          // 0: no HTTP answer
  std::string error;            // "" when an answer came cleanly
  std::string new_status;       // "delivered", "pending" or "failed"
  Timestamp next_attempt_at = 0;  // for "pending"
  // Set to disable the delivery's endpoint (a 410 answer), with this reason.
  std::optional<std::string> disable_endpoint_reason;
  int64_t endpoint_id = 0;
};

struct AttemptRecord {
  int attempt = 0;  // 1-based, over the delivery's whole life
  Timestamp started_at = 0;
  int64_t duration_ms = 0;
  int status_code = 0;  // 0: no HTTP answer
  std::string error;
};

struct DeliveryRecord {
  int64_t id = 0;
  std::string message_id;
  std::string type;
  std::string tenant;  // "" for none
  int64_t endpoint_id = 0;
  std::string url;
  std::string status;
  int attempts = 0;
  Timestamp next_attempt_at = 0;  // when never tried: when it was queued
  std::optional<Timestamp> delivered_at;
  std::optional<Timestamp> lease_until;  // set while a replay holds it
  int last_status = 0;
  std::string last_error;
  Timestamp created_at = 0;
  std::vector<AttemptRecord> attempt_log;
};

// Which deliveries ListDeliveries returns; unset fields do not filter.
struct DeliveryFilter {
  std::optional<std::string> status;
  std::optional<int64_t> endpoint_id;
};

// A stored message's routing facts: what webhooks::Resend needs to choose
// its endpoints again.
struct MessageRecord {
  std::string id;
  std::string type;
  std::string tenant;  // "" for none
};

// How many deliveries one message has towards one endpoint.
struct DeliveryTally {
  int64_t total = 0;
  int64_t pending = 0;
};

class WebhookStore {
 public:
  explicit WebhookStore(Database& db) : db_(db) {}

  // Inserts the endpoint unless one with the same url and tenant exists; an
  // existing endpoint gets the file's events and, when given, its secret.
  // Returns true when a new endpoint was inserted. Joins the caller's
  // transaction.
  Result<bool> UpsertFromCatalog(const catalog::WebhookEndpoint& w, Timestamp now,
                                 const std::function<Result<std::string>()>& new_secret);

  // The queue's rows. Which endpoints receive a message is decided by
  // lib/webhooks (queue.h), which calls these inside the transaction of the
  // change that caused the message.
  //
  // Stores message `id` of `type` for `tenant` ("" for none) with `data`,
  // its JSON text (DumpJson).
  Status InsertMessage(const std::string& id, const std::string& type, const std::string& tenant,
                       std::string_view data, Timestamp now);
  // Queues one pending delivery of message `message_id` to `endpoint_id`, due at once.
  Status InsertDelivery(const std::string& message_id, int64_t endpoint_id, Timestamp now);
  // The message `id`; NotFound names it when there is none.
  Result<MessageRecord> GetMessage(const std::string& id);
  // The ids of the messages created at or after `since`, oldest first.
  Result<std::vector<std::string>> MessageIdsSince(Timestamp since);
  // The deliveries of `message_id` to `endpoint_id`: all, and those pending.
  Result<DeliveryTally> DeliveriesOf(const std::string& message_id, int64_t endpoint_id);

  Result<std::vector<WebhookEndpointRecord>> ListEndpoints();

  // The endpoint `id`; NotFound names it when there is none.
  Result<WebhookEndpointRecord> GetEndpoint(int64_t id);

  // Inserts an endpoint and returns its id. Several endpoints may share a url
  // and tenant (say, with other event filters); a catalog entry updates the
  // oldest of them. The caller validates the url, events and secret.
  Result<int64_t> AddEndpoint(const std::string& url, const std::optional<std::string>& tenant,
                              const std::vector<std::string>& events, const std::string& secret,
                              Timestamp now);

  // Deletes the endpoint with its deliveries and their attempts (messages
  // stay, for `resend` to other endpoints). NotFound for an unknown id.
  Status RemoveEndpoint(int64_t id);

  // Enables (clearing the reason) or disables (recording `reason`) an
  // endpoint. Pending deliveries of a disabled endpoint stay queued and are
  // sent once it is enabled again. NotFound for an unknown id.
  Status SetEndpointEnabled(int64_t id, bool enabled, const std::string& reason);

  // Makes `new_secret` the signing secret; the current one becomes the
  // previous secret, still signed with until `previous_until`. NotFound for
  // an unknown id.
  Status RotateSecret(int64_t id, const std::string& new_secret, Timestamp previous_until);

  // Delivery counts per endpoint id (endpoints without deliveries absent).
  Result<std::map<int64_t, EndpointDeliveryCounts>> CountDeliveriesByEndpoint();

  // Leases up to `max` pending deliveries of enabled endpoints that are due at
  // or before `due_before` and not leased by anyone at `now` (no lease, or an
  // expired one) to `owner` until `lease_until`, in one short transaction, and
  // returns them oldest-due first. Two callers never get the same delivery
  // while its lease runs.
  Result<std::vector<DueDelivery>> ClaimDue(const std::string& owner, Timestamp due_before,
                                            Timestamp now, Timestamp lease_until, int max);

  // The deliveries ClaimDue would return, without leasing them (dry runs).
  Result<std::vector<DueDelivery>> PeekDue(Timestamp now, int max);

  // Records each outcome's attempt and applies its new state, all in one
  // transaction, and releases the lease. A delivery whose lease `owner` no
  // longer holds (it expired and another run took it) gets the attempt
  // logged but its state left to the new holder.
  Status RecordOutcomes(const std::string& owner, const std::vector<AttemptOutcome>& outcomes,
                        Timestamp now);

  // The earliest time a pending delivery of an enabled endpoint can next be
  // claimed (its due time, or just after its lease ends); nullopt when no
  // such delivery is pending.
  Result<std::optional<Timestamp>> NextClaimableAt();

  // Deliveries matching `filter`, oldest first, each with every attempt.
  Result<std::vector<DeliveryRecord>> ListDeliveries(const DeliveryFilter& filter);

  // Puts delivery `id` back on the queue: pending, due at once, a fresh attempt
  // budget (the attempt log is kept). Refuses a delivered one (Denied: use
  // resend) and an unknown id (NotFound).
  Status RetryDelivery(int64_t id, Timestamp now);

  // Retries every failed delivery (of one endpoint when given); returns how many.
  Result<int64_t> RetryFailed(std::optional<int64_t> endpoint_id, Timestamp now);

 private:
  Result<std::vector<DueDelivery>> LoadDue(const std::vector<int64_t>& ids);
  Result<std::vector<int64_t>> DueIds(Timestamp due_before, Timestamp now, int max);
  Status RecordOne(const std::string& owner, const AttemptOutcome& o, Timestamp now);

  Database& db_;
};

}  // namespace meter::store
