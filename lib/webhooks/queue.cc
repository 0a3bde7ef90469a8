#include "webhooks/queue.h"

#include "core/ids.h"
#include "core/json_util.h"

namespace meter::webhooks {

bool EventFilterMatches(const std::vector<std::string>& filters, const std::string& type) {
  if (filters.empty()) return true;
  for (const auto& f : filters) {
    if (f == "*" || f == type) return true;
    if (f.size() >= 2 && f.compare(f.size() - 2, 2, ".*") == 0 &&
        type.compare(0, f.size() - 1, f, 0, f.size() - 1) == 0)
      return true;
  }
  return false;
}

bool EndpointWants(const store::WebhookEndpointRecord& e, const std::string& type, const std::string& tenant) {
  return e.enabled && (!e.tenant || *e.tenant == tenant) && EventFilterMatches(e.events, type);
}

Result<std::string> Enqueue(store::Database& db, const std::string& type, const std::string& tenant,
                            const nlohmann::json& data, Timestamp now) {
  return Outbox(db).Enqueue(type, tenant, DumpJson(data), now);
}

Result<std::string> Outbox::Enqueue(const std::string& type, const std::string& tenant, std::string_view data,
                                    Timestamp now) {
  std::string id = RandomId("msg_");
  store::WebhookStore ws(db_);
  METER_RETURN_IF_ERROR(db_.Transaction([&]() -> Status {
    METER_RETURN_IF_ERROR(ws.InsertMessage(id, type, tenant, data, now));
    if (!endpoints_) { METER_ASSIGN_OR_RETURN(endpoints_, ws.ListEndpoints()); }
    for (const auto& e : *endpoints_)
      if (EndpointWants(e, type, tenant)) METER_RETURN_IF_ERROR(ws.InsertDelivery(id, e.id, now));
    return Status::OK();
  }));
  return id;
}

Result<std::string> EnqueueForEndpoint(store::Database& db, int64_t endpoint_id, const std::string& type,
                                       const std::string& tenant, const nlohmann::json& data, Timestamp now) {
  std::string id = RandomId("msg_");
  store::WebhookStore ws(db);
  METER_RETURN_IF_ERROR(db.Transaction([&]() -> Status {
    METER_RETURN_IF_ERROR(ws.GetEndpoint(endpoint_id).status());
    METER_RETURN_IF_ERROR(ws.InsertMessage(id, type, tenant, DumpJson(data), now));
    return ws.InsertDelivery(id, endpoint_id, now);
  }));
  return id;
}

Result<std::vector<std::string>> QueueTestMessages(store::Database& db, int64_t endpoint_id, int64_t count,
                                                   Timestamp now) {
  if (count < 1) return Status::InvalidArgument("--count must be at least 1");
  std::vector<std::string> ids;
  METER_RETURN_IF_ERROR(db.Transaction([&]() -> Status {
    METER_ASSIGN_OR_RETURN(store::WebhookEndpointRecord e, store::WebhookStore(db).GetEndpoint(endpoint_id));
    for (int64_t n = 1; n <= count; ++n) {
      nlohmann::json data = {
          {"endpoint_id", endpoint_id}, {"text", "This is a test message from meter."}, {"sequence", n}};
      METER_ASSIGN_OR_RETURN(std::string id,
                             EnqueueForEndpoint(db, endpoint_id, kTestMessageType, e.tenant.value_or(""), data, now));
      ids.push_back(std::move(id));
    }
    return Status::OK();
  }));
  return ids;
}

namespace {

// Queues `message_id` again to the endpoints that want it today; returns how many.
Result<int64_t> ResendMessage(store::WebhookStore& ws, const std::vector<store::WebhookEndpointRecord>& endpoints,
                              const std::string& message_id, std::optional<int64_t> endpoint_id, Timestamp now) {
  METER_ASSIGN_OR_RETURN(store::MessageRecord m, ws.GetMessage(message_id));
  int64_t queued = 0;
  for (const auto& e : endpoints) {
    if (endpoint_id && e.id != *endpoint_id) continue;
    METER_ASSIGN_OR_RETURN(store::DeliveryTally seen, ws.DeliveriesOf(message_id, e.id));
    const bool wanted = m.type == kTestMessageType ? e.enabled && seen.total > 0 : EndpointWants(e, m.type, m.tenant);
    if (!wanted || seen.pending > 0) continue;
    METER_RETURN_IF_ERROR(ws.InsertDelivery(message_id, e.id, now));
    ++queued;
  }
  return queued;
}

}  // namespace

Result<int64_t> Resend(store::Database& db, const ResendFilter& filter, Timestamp now) {
  int64_t queued = 0;
  store::WebhookStore ws(db);
  METER_RETURN_IF_ERROR(db.Transaction([&]() -> Status {
    std::vector<std::string> ids;
    if (filter.message_id) ids.push_back(*filter.message_id);
    if (filter.since) {
      METER_ASSIGN_OR_RETURN(auto since, ws.MessageIdsSince(*filter.since));
      ids.insert(ids.end(), since.begin(), since.end());
    }
    METER_ASSIGN_OR_RETURN(auto endpoints, ws.ListEndpoints());
    for (const auto& id : ids) {
      METER_ASSIGN_OR_RETURN(int64_t n, ResendMessage(ws, endpoints, id, filter.endpoint_id, now));
      queued += n;
    }
    return Status::OK();
  }));
  return queued;
}

}  // namespace meter::webhooks
