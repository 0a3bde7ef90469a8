#include "store/webhook_store.h"

#include <fmt/format.h>

#include "core/ids.h"
#include "core/json_util.h"
#include "store/statement.h"

namespace meter::store {

using nlohmann::json;

namespace {

// next_attempt_at of a delivery nobody has tried yet (queued, resent or put
// back by retry): due to any run at once. Each process may start its clock at
// --now, so "due at the time it was queued" could lie a few milliseconds in
// the future of the run that follows it; 0 never does.
constexpr int64_t kDueAtOnce = 0;

// Reads the kEndpointColumns starting at column `first`.
WebhookEndpointRecord ReadEndpoint(Statement& q, int first = 0) {
  auto col = [&](int i) { return q.getColumn(first + i); };
  WebhookEndpointRecord e;
  e.id = col(0).getInt64();
  e.url = col(1).getString();
  if (!col(2).isNull()) e.tenant = col(2).getString();
  for (const auto& v : json::parse(col(3).getString())) e.events.push_back(v.get<std::string>());
  e.secret = col(4).getString();
  if (!col(5).isNull()) e.previous_secret = col(5).getString();
  e.previous_secret_until = col(6).isNull() ? 0 : col(6).getInt64();
  e.enabled = col(7).getInt() != 0;
  e.disabled_reason = col(8).isNull() ? "" : col(8).getString();
  e.created_at = col(9).getInt64();
  return e;
}

constexpr const char* kEndpointColumns =
    "id, url, tenant_id, events, secret, previous_secret, previous_secret_until, enabled, "
    "disabled_reason, created_at";

// The same columns qualified by the alias `e`, for joins.
constexpr const char* kEndpointColumnsE =
    "e.id, e.url, e.tenant_id, e.events, e.secret, e.previous_secret, e.previous_secret_until, "
    "e.enabled, e.disabled_reason, e.created_at";

// Fails with NotFound unless the statement changed a row.
Status ExpectChanged(int changes, int64_t id) {
  if (changes == 0) return Status::NotFound(fmt::format("no webhook endpoint with id {}", id));
  return Status::OK();
}

}  // namespace

Result<bool> WebhookStore::UpsertFromCatalog(const catalog::WebhookEndpoint& w, Timestamp now,
                                             const std::function<Result<std::string>()>& new_secret) {
  return Guarded(db_, [&]() -> Result<bool> {
    Statement q(db_, "SELECT id, secret FROM webhook_endpoints WHERE url=? AND tenant_id IS NOT DISTINCT FROM ? ORDER BY id LIMIT 1");
    q.bind(1, w.url);
    if (w.tenant) q.bind(2, *w.tenant); else q.bind(2);
    std::string events = DumpJson(json(w.events));
    if (q.executeStep()) {
      int64_t id = q.getColumn(0).getInt64();
      Statement up(db_, "UPDATE webhook_endpoints SET events=?, secret=? WHERE id=?");
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
    METER_RETURN_IF_ERROR(AddEndpoint(w.url, w.tenant, w.events, secret, now).status());
    return true;
  });
}

Result<std::vector<WebhookEndpointRecord>> WebhookStore::ListEndpoints() {
  return Guarded(db_, [&]() -> Result<std::vector<WebhookEndpointRecord>> {
    std::vector<WebhookEndpointRecord> out;
    // Cached: invoice generate queues a message, and lists these, per tenant.
    Statement& q = Cached(db_, fmt::format("SELECT {} FROM webhook_endpoints ORDER BY id", kEndpointColumns));
    while (q.executeStep()) out.push_back(ReadEndpoint(q));
    return out;
  });
}

Result<WebhookEndpointRecord> WebhookStore::GetEndpoint(int64_t id) {
  return Guarded(db_, [&]() -> Result<WebhookEndpointRecord> {
    Statement q(db_, fmt::format("SELECT {} FROM webhook_endpoints WHERE id=?", kEndpointColumns));
    q.bind(1, id);
    if (!q.executeStep()) return Status::NotFound(fmt::format("no webhook endpoint with id {}", id));
    return ReadEndpoint(q);
  });
}

Result<int64_t> WebhookStore::AddEndpoint(const std::string& url, const std::optional<std::string>& tenant,
                                          const std::vector<std::string>& events, const std::string& secret,
                                          Timestamp now) {
  Result<int64_t> id = Status::Internal("endpoint not inserted");
  Status st = db_.Transaction([&]() -> Status {
    Statement ins(db_,
        "INSERT INTO webhook_endpoints(url, tenant_id, events, secret, created_at) VALUES(?,?,?,?,?) RETURNING id");
    ins.bind(1, url);
    if (tenant) ins.bind(2, *tenant); else ins.bind(2);
    ins.bind(3, DumpJson(json(events)));
    ins.bind(4, secret);
    ins.bind(5, static_cast<int64_t>(now));
    if (!ins.executeStep()) return Status::Internal("INSERT ... RETURNING gave no row");
    id = ins.getColumn(0).getInt64();
    return Status::OK();
  });
  if (!st.ok()) return st;
  return id;
}

Status WebhookStore::RemoveEndpoint(int64_t id) {
  return db_.Transaction([&]() -> Status {
    Statement a(db_,
        "DELETE FROM webhook_attempts WHERE delivery_id IN "
        "(SELECT id FROM webhook_deliveries WHERE endpoint_id=?)");
    a.bind(1, id);
    a.exec();
    Statement d(db_, "DELETE FROM webhook_deliveries WHERE endpoint_id=?");
    d.bind(1, id);
    d.exec();
    Statement e(db_, "DELETE FROM webhook_endpoints WHERE id=?");
    e.bind(1, id);
    return ExpectChanged(e.exec(), id);
  });
}

Status WebhookStore::SetEndpointEnabled(int64_t id, bool enabled, const std::string& reason) {
  return db_.Transaction([&]() -> Status {
    Statement q(db_, "UPDATE webhook_endpoints SET enabled=?, disabled_reason=? WHERE id=?");
    q.bind(1, enabled ? 1 : 0);
    if (enabled) q.bind(2); else q.bind(2, reason);
    q.bind(3, id);
    return ExpectChanged(q.exec(), id);
  });
}

Status WebhookStore::RotateSecret(int64_t id, const std::string& new_secret, Timestamp previous_until) {
  return db_.Transaction([&]() -> Status {
    Statement q(db_,
        "UPDATE webhook_endpoints SET previous_secret=secret, previous_secret_until=?, secret=? WHERE id=?");
    q.bind(1, static_cast<int64_t>(previous_until));
    q.bind(2, new_secret);
    q.bind(3, id);
    return ExpectChanged(q.exec(), id);
  });
}

Result<std::map<int64_t, EndpointDeliveryCounts>> WebhookStore::CountDeliveriesByEndpoint() {
  return Guarded(db_, [&]() -> Result<std::map<int64_t, EndpointDeliveryCounts>> {
    std::map<int64_t, EndpointDeliveryCounts> out;
    Statement q(db_,
        "SELECT endpoint_id, status, COUNT(*) FROM webhook_deliveries GROUP BY endpoint_id, status");
    while (q.executeStep()) {
      auto& c = out[q.getColumn(0).getInt64()];
      const std::string status = q.getColumn(1).getString();
      const int64_t n = q.getColumn(2).getInt64();
      if (status == "pending") c.pending = n;
      else if (status == "delivered") c.delivered = n;
      else if (status == "failed") c.failed = n;
    }
    return out;
  });
}

// ---- the queue ----

Status WebhookStore::InsertMessage(const std::string& id, const std::string& type, const std::string& tenant,
                                   std::string_view data, Timestamp now) {
  return Guarded(db_, [&]() -> Status {
  Statement& msg = Cached(db_,
      "INSERT INTO webhook_messages(id, type, tenant_id, created_at, data) VALUES(?,?,?,?,?)");
  msg.bind(1, id);
  msg.bind(2, type);
  if (tenant.empty()) msg.bind(3); else msg.bind(3, tenant);
  msg.bind(4, static_cast<int64_t>(now));
  msg.bindNoCopy(5, data);  // a document of kilobytes, alive until exec returns
  msg.exec();
  return Status::OK();
  });
}

Status WebhookStore::InsertDelivery(const std::string& message_id, int64_t endpoint_id, Timestamp now) {
  return Guarded(db_, [&]() -> Status {
  Statement& d = Cached(db_,
      "INSERT INTO webhook_deliveries(message_id, endpoint_id, next_attempt_at, created_at, updated_at) "
      "VALUES(?,?,?,?,?)");
  d.bind(1, message_id);
  d.bind(2, endpoint_id);
  d.bind(3, kDueAtOnce);
  d.bind(4, static_cast<int64_t>(now));
  d.bind(5, static_cast<int64_t>(now));
  d.exec();
  return Status::OK();
  });
}

Result<MessageRecord> WebhookStore::GetMessage(const std::string& id) {
  return Guarded(db_, [&]() -> Result<MessageRecord> {
    Statement& m = Cached(db_, "SELECT type, tenant_id FROM webhook_messages WHERE id=?");
    m.bind(1, id);
    if (!m.executeStep()) return Status::NotFound(fmt::format("no webhook message with id '{}'", id));
    return MessageRecord{id, m.getColumn(0).getString(), m.getColumn(1).isNull() ? "" : m.getColumn(1).getString()};
  });
}

Result<std::vector<std::string>> WebhookStore::MessageIdsSince(Timestamp since) {
  return Guarded(db_, [&]() -> Result<std::vector<std::string>> {
    Statement q(db_, "SELECT id FROM webhook_messages WHERE created_at>=? ORDER BY created_at, id");
    q.bind(1, static_cast<int64_t>(since));
    std::vector<std::string> ids;
    while (q.executeStep()) ids.push_back(q.getColumn(0).getString());
    return ids;
  });
}

Result<DeliveryTally> WebhookStore::DeliveriesOf(const std::string& message_id, int64_t endpoint_id) {
  return Guarded(db_, [&]() -> Result<DeliveryTally> {
    Statement& q = Cached(db_,
        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN status='pending' THEN 1 ELSE 0 END),0) FROM webhook_deliveries "
        "WHERE message_id=? AND endpoint_id=?");
    q.bind(1, message_id);
    q.bind(2, endpoint_id);
    q.executeStep();
    DeliveryTally t{q.getColumn(0).getInt64(), q.getColumn(1).getInt64()};
    q.reset();
    return t;
  });
}

// ---- claiming and recording (replay) ----

Result<std::vector<int64_t>> WebhookStore::DueIds(Timestamp due_before, Timestamp now, int max) {
  Statement& q = Cached(db_,
      "SELECT d.id FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id=d.endpoint_id "
      "WHERE d.status='pending' AND d.next_attempt_at<=?1 AND (d.lease_until IS NULL OR d.lease_until<?2) "
      "AND e.enabled=1 ORDER BY d.next_attempt_at, d.id LIMIT ?3");
  q.bind(1, static_cast<int64_t>(due_before));
  q.bind(2, static_cast<int64_t>(now));
  q.bind(3, max);
  std::vector<int64_t> ids;
  while (q.executeStep()) ids.push_back(q.getColumn(0).getInt64());
  return ids;
}

Result<std::vector<DueDelivery>> WebhookStore::LoadDue(const std::vector<int64_t>& ids) {
  std::vector<DueDelivery> out;
  Statement& q = Cached(db_, fmt::format(
      "SELECT d.id, d.attempts, d.retry_base, m.id, m.type, m.tenant_id, m.created_at, m.data, {} "
      "FROM webhook_deliveries d JOIN webhook_messages m ON m.id=d.message_id "
      "JOIN webhook_endpoints e ON e.id=d.endpoint_id WHERE d.id=?", kEndpointColumnsE));
  for (int64_t id : ids) {
    q.reset();
    q.bind(1, id);
    if (!q.executeStep()) continue;  // its message is gone: nothing to send
    DueDelivery d;
    d.id = q.getColumn(0).getInt64();
    d.attempts = q.getColumn(1).getInt();
    d.retry_base = q.getColumn(2).getInt();
    d.message_id = q.getColumn(3).getString();
    d.type = q.getColumn(4).getString();
    d.tenant = q.getColumn(5).isNull() ? "" : q.getColumn(5).getString();
    d.message_created_at = q.getColumn(6).getInt64();
    d.data = q.getColumn(7).getString();
    d.endpoint = ReadEndpoint(q, 8);
    out.push_back(std::move(d));
  }
  q.reset();  // a cached statement left mid-result would keep its read open
  return out;
}

Result<std::vector<DueDelivery>> WebhookStore::ClaimDue(const std::string& owner, Timestamp due_before,
                                                        Timestamp now, Timestamp lease_until, int max) {
  std::vector<DueDelivery> claimed;
  Status st = db_.Transaction([&]() -> Status {
    METER_ASSIGN_OR_RETURN(std::vector<int64_t> ids, DueIds(due_before, now, max));
    Statement& up = Cached(db_,
        "UPDATE webhook_deliveries SET lease_owner=?, lease_until=? WHERE id=?");
    for (int64_t id : ids) {
      up.reset();
      up.bind(1, owner);
      up.bind(2, static_cast<int64_t>(lease_until));
      up.bind(3, id);
      up.exec();
    }
    METER_ASSIGN_OR_RETURN(claimed, LoadDue(ids));
    return Status::OK();
  });
  if (!st.ok()) return st;
  return claimed;
}

Result<std::vector<DueDelivery>> WebhookStore::PeekDue(Timestamp now, int max) {
  std::vector<DueDelivery> due;
  Status st = db_.Read([&]() -> Status {
    METER_ASSIGN_OR_RETURN(std::vector<int64_t> ids, DueIds(now, now, max));
    METER_ASSIGN_OR_RETURN(due, LoadDue(ids));
    return Status::OK();
  });
  if (!st.ok()) return st;
  return due;
}

Status WebhookStore::RecordOne(const std::string& owner, const AttemptOutcome& o, Timestamp now) {
  Statement& att = Cached(db_,
      "INSERT INTO webhook_attempts(delivery_id, attempt, started_at, duration_ms, status_code, error) "
      "SELECT ?1, (SELECT COALESCE(MAX(attempt),0)+1 FROM webhook_attempts WHERE delivery_id=?1), ?2, ?3, ?4, ?5 "
      "WHERE EXISTS(SELECT 1 FROM webhook_deliveries WHERE id=?1)");  // not for one removed meanwhile
  att.bind(1, o.delivery_id);
  att.bind(2, static_cast<int64_t>(o.started_at));
  att.bind(3, o.duration_ms);
  if (o.status_code > 0) att.bind(4, o.status_code); else att.bind(4);
  if (o.error.empty()) att.bind(5); else att.bind(5, o.error);
  att.exec();
  Statement& up = Cached(db_,
      "UPDATE webhook_deliveries SET attempts=attempts+1, status=?1, next_attempt_at=?2, last_status=?3, "
      "last_error=?4, delivered_at=?5, updated_at=?6, lease_owner=NULL, lease_until=NULL "
      "WHERE id=?7 AND lease_owner=?8");
  up.bind(1, o.new_status);
  up.bind(2, static_cast<int64_t>(o.new_status == "pending" ? o.next_attempt_at : now));
  if (o.status_code > 0) up.bind(3, o.status_code); else up.bind(3);
  if (o.error.empty()) up.bind(4); else up.bind(4, o.error);
  if (o.new_status == "delivered") up.bind(5, static_cast<int64_t>(now)); else up.bind(5);
  up.bind(6, static_cast<int64_t>(now));
  up.bind(7, o.delivery_id);
  up.bind(8, owner);
  up.exec();
  if (o.disable_endpoint_reason) {
    Statement& dis = Cached(db_,
        "UPDATE webhook_endpoints SET enabled=0, disabled_reason=? WHERE id=? AND enabled=1");
    dis.bind(1, *o.disable_endpoint_reason);
    dis.bind(2, o.endpoint_id);
    dis.exec();
  }
  return Status::OK();
}

Status WebhookStore::RecordOutcomes(const std::string& owner, const std::vector<AttemptOutcome>& outcomes,
                                    Timestamp now) {
  if (outcomes.empty()) return Status::OK();
  return db_.Transaction([&]() -> Status {
    for (const auto& o : outcomes) METER_RETURN_IF_ERROR(RecordOne(owner, o, now));
    return Status::OK();
  });
}

Result<std::optional<Timestamp>> WebhookStore::NextClaimableAt() {
  return Guarded(db_, [&]() -> Result<std::optional<Timestamp>> {
    Statement& q = Cached(db_,
        "SELECT MIN(CASE WHEN d.next_attempt_at > COALESCE(d.lease_until + 1, 0) THEN d.next_attempt_at "
        "ELSE COALESCE(d.lease_until + 1, 0) END) FROM webhook_deliveries d "
        "JOIN webhook_endpoints e ON e.id=d.endpoint_id WHERE d.status='pending' AND e.enabled=1");
    std::optional<Timestamp> at;
    if (q.executeStep() && !q.getColumn(0).isNull()) at = q.getColumn(0).getInt64();
    q.reset();  // a cached statement left mid-result would keep its read open
    return at;
  });
}

// ---- inspection and recovery ----

namespace {

DeliveryRecord ReadDelivery(Statement& q) {
  DeliveryRecord d;
  d.id = q.getColumn(0).getInt64();
  d.message_id = q.getColumn(1).getString();
  d.type = q.getColumn(2).getString();
  d.tenant = q.getColumn(3).isNull() ? "" : q.getColumn(3).getString();
  d.endpoint_id = q.getColumn(4).getInt64();
  d.url = q.getColumn(5).getString();
  d.status = q.getColumn(6).getString();
  d.attempts = q.getColumn(7).getInt();
  d.next_attempt_at = q.getColumn(8).getInt64();
  if (!q.getColumn(9).isNull()) d.delivered_at = q.getColumn(9).getInt64();
  if (!q.getColumn(10).isNull()) d.lease_until = q.getColumn(10).getInt64();
  d.last_status = q.getColumn(11).isNull() ? 0 : q.getColumn(11).getInt();
  d.last_error = q.getColumn(12).isNull() ? "" : q.getColumn(12).getString();
  d.created_at = q.getColumn(13).getInt64();
  return d;
}

AttemptRecord ReadAttempt(Statement& q) {
  AttemptRecord a;
  a.attempt = q.getColumn(0).getInt();
  a.started_at = q.getColumn(1).getInt64();
  a.duration_ms = q.getColumn(2).getInt64();
  a.status_code = q.getColumn(3).isNull() ? 0 : q.getColumn(3).getInt();
  a.error = q.getColumn(4).isNull() ? "" : q.getColumn(4).getString();
  return a;
}

}  // namespace

Result<std::vector<DeliveryRecord>> WebhookStore::ListDeliveries(const DeliveryFilter& filter) {
  std::vector<DeliveryRecord> out;
  Status st = db_.Read([&]() -> Status {
    Statement q(db_,
        "SELECT d.id, d.message_id, m.type, m.tenant_id, d.endpoint_id, COALESCE(e.url, ''), d.status, "
        "d.attempts, CASE WHEN d.next_attempt_at=0 THEN COALESCE(d.updated_at, d.created_at) ELSE d.next_attempt_at END, "
        "d.delivered_at, d.lease_until, d.last_status, d.last_error, d.created_at "
        "FROM webhook_deliveries d JOIN webhook_messages m ON m.id=d.message_id "
        "LEFT JOIN webhook_endpoints e ON e.id=d.endpoint_id "
        "WHERE (d.status=?1 OR ?1 IS NULL) AND (d.endpoint_id=?2 OR ?2 IS NULL) ORDER BY d.id");
    if (filter.status) q.bind(1, *filter.status); else q.bind(1);
    if (filter.endpoint_id) q.bind(2, *filter.endpoint_id); else q.bind(2);
    while (q.executeStep()) out.push_back(ReadDelivery(q));
    Statement a(db_,
        "SELECT attempt, started_at, duration_ms, status_code, error FROM webhook_attempts "
        "WHERE delivery_id=? ORDER BY attempt");
    for (auto& d : out) {
      a.reset();
      a.bind(1, d.id);
      while (a.executeStep()) d.attempt_log.push_back(ReadAttempt(a));
    }
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Status WebhookStore::RetryDelivery(int64_t id, Timestamp now) {
  return db_.Transaction([&]() -> Status {
    Statement q(db_, "SELECT status FROM webhook_deliveries WHERE id=?");
    q.bind(1, id);
    if (!q.executeStep()) return Status::NotFound(fmt::format("no webhook delivery with id {}", id));
    if (q.getColumn(0).getString() == "delivered") {
      return Status::Denied(fmt::format(
          "delivery {} was delivered already; use 'meter webhooks resend --event ID' to send its message again", id));
    }
    Statement up(db_,
        "UPDATE webhook_deliveries SET status='pending', retry_base=attempts, next_attempt_at=?, updated_at=? "
        "WHERE id=?");
    up.bind(1, kDueAtOnce);
    up.bind(2, static_cast<int64_t>(now));
    up.bind(3, id);
    up.exec();
    return Status::OK();
  });
}

Result<int64_t> WebhookStore::RetryFailed(std::optional<int64_t> endpoint_id, Timestamp now) {
  int64_t n = 0;
  Status st = db_.Transaction([&]() -> Status {
    Statement up(db_,
        "UPDATE webhook_deliveries SET status='pending', retry_base=attempts, next_attempt_at=?3, updated_at=?1 "
        "WHERE status='failed' AND (endpoint_id=?2 OR ?2 IS NULL)");
    up.bind(1, static_cast<int64_t>(now));
    up.bind(3, kDueAtOnce);
    if (endpoint_id) up.bind(2, *endpoint_id); else up.bind(2);
    n = up.exec();
    return Status::OK();
  });
  if (!st.ok()) return st;
  return n;
}

}  // namespace meter::store
