// WebhookStore: endpoints, the outbound message queue and its deliveries.
//
// Messages are written by the code whose change caused them (an alert, an
// invoice transition) inside that change's transaction, together with one
// delivery per matching endpoint, so a crash can never keep one without the
// other.
#pragma once

#include <functional>
#include <optional>
#include <string>
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

// True when `type` is selected by an endpoint's event filters (exact names or
// "prefix.*"; no filters select everything).
bool EventFilterMatches(const std::vector<std::string>& filters, const std::string& type);

class WebhookStore {
 public:
  explicit WebhookStore(Database& db) : db_(db) {}

  // Inserts the endpoint unless one with the same url and tenant exists; an
  // existing endpoint gets the file's events and, when given, its secret.
  // Returns true when a new endpoint was inserted. Joins the caller's
  // transaction.
  Result<bool> UpsertFromCatalog(const catalog::WebhookEndpoint& w, Timestamp now,
                                 const std::function<Result<std::string>()>& new_secret);

  // Queues a message of `type` for `tenant` ("" for none) with `data`, and a
  // pending delivery, due now, for every enabled endpoint whose tenant and
  // event filters match. Runs inside the caller's transaction when there is
  // one. Returns the message id ("msg_...").
  Result<std::string> Enqueue(const std::string& type, const std::string& tenant,
                              const nlohmann::json& data, Timestamp now);

  Result<std::vector<WebhookEndpointRecord>> ListEndpoints();

 private:
  Database& db_;
};

}  // namespace meter::store
