#include "store/webhook_store.h"

#include <fmt/format.h>

#include "core/ids.h"
#include "store/sqlite_internal.h"

namespace meter::store {

using nlohmann::json;

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

namespace {

WebhookEndpointRecord ReadEndpoint(SQLite::Statement& q) {
  WebhookEndpointRecord e;
  e.id = q.getColumn(0).getInt64();
  e.url = q.getColumn(1).getString();
  if (!q.getColumn(2).isNull()) e.tenant = q.getColumn(2).getString();
  for (const auto& v : json::parse(q.getColumn(3).getString())) e.events.push_back(v.get<std::string>());
  e.secret = q.getColumn(4).getString();
  if (!q.getColumn(5).isNull()) e.previous_secret = q.getColumn(5).getString();
  e.previous_secret_until = q.getColumn(6).isNull() ? 0 : q.getColumn(6).getInt64();
  e.enabled = q.getColumn(7).getInt() != 0;
  e.disabled_reason = q.getColumn(8).isNull() ? "" : q.getColumn(8).getString();
  e.created_at = q.getColumn(9).getInt64();
  return e;
}

constexpr const char* kEndpointColumns =
    "id, url, tenant_id, events, secret, previous_secret, previous_secret_until, enabled, "
    "disabled_reason, created_at";

}  // namespace

Result<bool> WebhookStore::UpsertFromCatalog(const catalog::WebhookEndpoint& w, Timestamp now,
                                             const std::function<Result<std::string>()>& new_secret) {
  return Guarded(db_, [&]() -> Result<bool> {
    SQLite::Statement q(Sql(db_), "SELECT id, secret FROM webhook_endpoints WHERE url=? AND tenant_id IS ?");
    q.bind(1, w.url);
    if (w.tenant) q.bind(2, *w.tenant); else q.bind(2);
    std::string events = json(w.events).dump();
    if (q.executeStep()) {
      int64_t id = q.getColumn(0).getInt64();
      SQLite::Statement up(Sql(db_), "UPDATE webhook_endpoints SET events=?, secret=? WHERE id=?");
      up.bind(1, events);
      up.bind(2, w.secret ? *w.secret : q.getColumn(1).getString());
      up.bind(3, id);
      up.exec();
      return false;
    }
    std::string secret;
    if (w.secret) {
      secret = *w.secret;
    } else {
      METER_ASSIGN_OR_RETURN(secret, new_secret());
    }
    SQLite::Statement ins(Sql(db_),
        "INSERT INTO webhook_endpoints(url, tenant_id, events, secret, created_at) VALUES(?,?,?,?,?)");
    ins.bind(1, w.url);
    if (w.tenant) ins.bind(2, *w.tenant); else ins.bind(2);
    ins.bind(3, events);
    ins.bind(4, secret);
    ins.bind(5, static_cast<int64_t>(now));
    ins.exec();
    return true;
  });
}

Result<std::vector<WebhookEndpointRecord>> WebhookStore::ListEndpoints() {
  return Guarded(db_, [&]() -> Result<std::vector<WebhookEndpointRecord>> {
    std::vector<WebhookEndpointRecord> out;
    SQLite::Statement q(Sql(db_), fmt::format("SELECT {} FROM webhook_endpoints ORDER BY id", kEndpointColumns));
    while (q.executeStep()) out.push_back(ReadEndpoint(q));
    return out;
  });
}

Result<std::string> WebhookStore::Enqueue(const std::string& type, const std::string& tenant,
                                          const json& data, Timestamp now) {
  std::string id = RandomId("msg_");
  Status st = db_.Transaction([&]() -> Status {
    SQLite::Statement msg(Sql(db_),
        "INSERT INTO webhook_messages(id, type, tenant_id, created_at, data) VALUES(?,?,?,?,?)");
    msg.bind(1, id); msg.bind(2, type);
    if (tenant.empty()) msg.bind(3); else msg.bind(3, tenant);
    msg.bind(4, static_cast<int64_t>(now));
    msg.bind(5, data.dump());
    msg.exec();
    METER_ASSIGN_OR_RETURN(auto endpoints, ListEndpoints());
    for (const auto& e : endpoints) {
      if (!e.enabled || (e.tenant && *e.tenant != tenant) || !EventFilterMatches(e.events, type)) continue;
      SQLite::Statement d(Sql(db_),
          "INSERT INTO webhook_deliveries(message_id, endpoint_id, next_attempt_at, created_at) VALUES(?,?,?,?)");
      d.bind(1, id); d.bind(2, e.id); d.bind(3, static_cast<int64_t>(now)); d.bind(4, static_cast<int64_t>(now));
      d.exec();
    }
    return Status::OK();
  });
  if (!st.ok()) return st;
  return id;
}

}  // namespace meter::store
