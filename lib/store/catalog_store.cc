#include "store/catalog_store.h"

#include <fmt/format.h>
#include <openssl/sha.h>

#include <algorithm>

#include "core/json_util.h"
#include "store/statement.h"
#include "store/webhook_store.h"

namespace meter::store {

using nlohmann::json;

namespace {

std::string Digest(const std::string& text) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), md);
  std::string hex;
  for (unsigned char b : md) hex += fmt::format("{:02x}", b);
  return hex;
}

// The stored document holds everything but tenants and webhooks, which have
// tables of their own.
std::string CatalogDocument(const catalog::Catalog& c) {
  json j = catalog::ToJson(c);
  j.erase("tenants");
  j.erase("webhooks");
  return DumpJson(j);
}

std::string OverridesJson(const catalog::Tenant& t) {
  catalog::Catalog one;
  one.tenants.push_back(t);
  json j = catalog::ToJson(one)["tenants"][0];
  return j.contains("overrides") ? DumpJson(j["overrides"]) : "{}";
}

Result<catalog::TenantOverrides> ParseOverrides(const std::string& text) {
  if (text.empty() || text == "{}") return catalog::TenantOverrides{};  // most tenants: skip the parser
  // Overrides are stored in catalog syntax; parse them through the catalog
  // parser so there is one reader for the format.
  json doc = {{"tenants", json::array({{{"id", "x"}, {"plan", "p"}, {"overrides", json::parse(text)}}})},
              {"plans", json::array({{{"key", "p"}}})}};
  // Meters must exist for overrides.limits to validate: declare them.
  doc["meters"] = json::array();
  if (doc["tenants"][0]["overrides"].contains("limits"))
    for (const auto& [m, v] : doc["tenants"][0]["overrides"]["limits"].items()) doc["meters"].push_back({{"key", m}});
  auto c = catalog::ParseCatalog(DumpJson(doc));
  if (!c.ok()) return c.status();
  return c->tenants[0].overrides;
}

Status StoreDocument(Database& db, const catalog::Catalog& c, Timestamp now, ApplySummary* s) {
  std::string doc = CatalogDocument(c);
  std::string digest = Digest(doc);
  Statement last(db, "SELECT digest FROM catalog_versions ORDER BY id DESC LIMIT 1");
  if (last.executeStep() && last.getColumn(0).getString() == digest) return Status::OK();
  Statement ins(db, "INSERT INTO catalog_versions(applied_at, digest, document) VALUES(?,?,?)");
  ins.bind(1, static_cast<int64_t>(now));
  ins.bind(2, digest);
  ins.bind(3, doc);
  ins.exec();
  s->catalog_changed = true;
  return Status::OK();
}

Status UpsertTenant(Database& db, const catalog::Tenant& t, Timestamp now, ApplySummary* s) {
  Statement cur(db, "SELECT name, email, timezone, overrides, billing_day, started_at FROM tenants WHERE id=?");
  cur.bind(1, t.id);
  std::string overrides = OverridesJson(t);
  if (!cur.executeStep()) {
    Statement ins(db,
        "INSERT INTO tenants(id, name, email, timezone, overrides, created_at, billing_day, started_at) "
        "VALUES(?,?,?,?,?,?,?,?)");
    ins.bind(1, t.id); ins.bind(2, t.name); ins.bind(3, t.email); ins.bind(4, t.timezone);
    ins.bind(5, overrides); ins.bind(6, static_cast<int64_t>(now)); ins.bind(7, t.billing_day);
    ins.bind(8, t.started_at);
    ins.exec();
    Statement plan(db,
        "INSERT INTO tenant_plans(tenant_id, plan_key, effective_from, recorded_at) VALUES(?,?,?,?)");
    plan.bind(1, t.id); plan.bind(2, t.plan); plan.bind(3, static_cast<int64_t>(kBeginningOfTime));
    plan.bind(4, static_cast<int64_t>(now));
    plan.exec();
    ++s->tenants_added;
    return Status::OK();
  }
  if (cur.getColumn(0).getString() != t.name || cur.getColumn(1).getString() != t.email ||
      cur.getColumn(2).getString() != t.timezone || cur.getColumn(3).getString() != overrides ||
      cur.getColumn(4).getInt() != t.billing_day || cur.getColumn(5).getString() != t.started_at) {
    Statement up(db, "UPDATE tenants SET name=?, email=?, timezone=?, overrides=?, billing_day=?, "
                                  "started_at=? WHERE id=?");
    up.bind(1, t.name); up.bind(2, t.email); up.bind(3, t.timezone); up.bind(4, overrides);
    up.bind(5, t.billing_day); up.bind(6, t.started_at); up.bind(7, t.id);
    up.exec();
    ++s->tenants_updated;
  }
  CatalogStore store(db);
  METER_ASSIGN_OR_RETURN(auto history, store.PlanHistory(t.id));
  if (PlanAt(history, now) != t.plan) {
    METER_RETURN_IF_ERROR(store.SetPlan(t.id, t.plan, now, now));
    ++s->plan_changes;
  }
  return Status::OK();
}

}  // namespace

std::string PlanAt(const std::vector<PlanAssignment>& history, Timestamp t) {
  std::string plan;
  for (const auto& a : history)
    if (a.effective_from <= t) plan = a.plan;
  if (plan.empty() && !history.empty()) plan = history.front().plan;
  return plan;
}

Result<ApplySummary> CatalogStore::Apply(const catalog::Catalog& c, Timestamp now,
                                         const std::function<Result<std::string>()>& new_secret) {
  ApplySummary summary;
  Status st = db_.Transaction([&]() -> Status {
    METER_RETURN_IF_ERROR(StoreDocument(db_, c, now, &summary));
    for (const auto& t : c.tenants) METER_RETURN_IF_ERROR(UpsertTenant(db_, t, now, &summary));
    WebhookStore webhooks(db_);
    for (const auto& w : c.webhooks) {
      METER_ASSIGN_OR_RETURN(bool added, webhooks.UpsertFromCatalog(w, now, new_secret));
      if (added) ++summary.webhooks_added;
    }
    return Status::OK();
  });
  if (!st.ok()) return st;
  return summary;
}

Result<catalog::Catalog> CatalogStore::LoadDocument() {
  return Guarded(db_, [&]() -> Result<catalog::Catalog> {
    Statement q(db_, "SELECT document FROM catalog_versions ORDER BY id DESC LIMIT 1");
    if (!q.executeStep())
      return Status::NotFound("no catalog has been applied; run 'meter catalog apply FILE' first");
    auto c = catalog::ParseCatalog(q.getColumn(0).getString());
    if (!c.ok()) return Status::IOError("stored catalog is unreadable: " + c.status().message());
    return c;
  });
}

Result<catalog::Catalog> CatalogStore::Load(Timestamp now) {
  METER_ASSIGN_OR_RETURN(catalog::Catalog c, LoadDocument());
  METER_ASSIGN_OR_RETURN(auto tenants, ReadTenants(nullptr, now));
  for (auto& r : tenants) c.tenants.push_back(std::move(r.tenant));
  return c;
}

Result<catalog::Catalog> CatalogStore::LoadForTenant(const std::string& id, Timestamp now) {
  METER_ASSIGN_OR_RETURN(catalog::Catalog c, LoadDocument());
  METER_ASSIGN_OR_RETURN(TenantRecord r, GetTenant(id, now));
  c.tenants.push_back(std::move(r.tenant));
  return c;
}

Result<std::vector<TenantRecord>> CatalogStore::ListTenants(Timestamp now) { return ReadTenants(nullptr, now); }

Result<std::vector<TenantRecord>> CatalogStore::ReadTenants(const std::string* only, Timestamp now) {
  return Guarded(db_, [&]() -> Result<std::vector<TenantRecord>> {
    std::vector<TenantRecord> out;
    Statement q(db_, std::string("SELECT id, name, email, timezone, status, overrides, created_at, "
                                              "billing_day, started_at FROM tenants") +
                                      (only ? " WHERE id=?" : " ORDER BY id"));
    if (only) q.bind(1, *only);
    while (q.executeStep()) {
      TenantRecord r;
      r.tenant.id = q.getColumn(0).getString();
      r.tenant.name = q.getColumn(1).getString();
      r.tenant.email = q.getColumn(2).getString();
      r.tenant.timezone = q.getColumn(3).getString();
      r.status = q.getColumn(4).getString();
      METER_ASSIGN_OR_RETURN(r.tenant.overrides, ParseOverrides(q.getColumn(5).getString()));
      r.created_at = q.getColumn(6).getInt64();
      r.tenant.billing_day = q.getColumn(7).getInt();
      r.tenant.started_at = q.getColumn(8).getString();
      out.push_back(std::move(r));
    }
    if (out.empty()) return out;
    Statement p(db_, std::string("SELECT tenant_id, plan_key FROM tenant_plans WHERE effective_from <= ?") +
                                      (only ? " AND tenant_id=?" : "") + " ORDER BY tenant_id, effective_from");
    p.bind(1, static_cast<int64_t>(now));
    if (only) p.bind(2, *only);
    std::map<std::string, std::string> plans;
    while (p.executeStep()) plans[p.getColumn(0).getString()] = p.getColumn(1).getString();
    for (auto& r : out) {
      auto it = plans.find(r.tenant.id);
      if (it != plans.end()) r.tenant.plan = it->second;
      else {
        METER_ASSIGN_OR_RETURN(auto h, PlanHistory(r.tenant.id));
        r.tenant.plan = PlanAt(h, now);
      }
    }
    return out;
  });
}

Result<TenantRecord> CatalogStore::GetTenant(const std::string& id, Timestamp now) {
  METER_ASSIGN_OR_RETURN(auto found, ReadTenants(&id, now));
  if (found.empty()) return Status::NotFound(fmt::format("unknown tenant '{}'", id));
  return std::move(found.front());
}

Status CatalogStore::AddTenant(const catalog::Tenant& t, Timestamp now) {
  return db_.Transaction([&]() -> Status {
    Statement q(db_, "SELECT 1 FROM tenants WHERE id=?");
    q.bind(1, t.id);
    if (q.executeStep()) return Status::Denied(fmt::format("tenant '{}' already exists", t.id));
    ApplySummary ignored;
    return UpsertTenant(db_, t, now, &ignored);
  });
}

Status CatalogStore::SetPlan(const std::string& id, const std::string& plan, Timestamp effective, Timestamp now) {
  return db_.Transaction([&]() -> Status {
    Statement q(db_, "SELECT 1 FROM tenants WHERE id=?");
    q.bind(1, id);
    if (!q.executeStep()) return Status::NotFound(fmt::format("unknown tenant '{}'", id));
    Statement ins(db_,
        "INSERT INTO tenant_plans(tenant_id, plan_key, effective_from, recorded_at) VALUES(?,?,?,?) "
        "ON CONFLICT(tenant_id, effective_from) DO UPDATE SET plan_key=excluded.plan_key, "
        "recorded_at=excluded.recorded_at");
    ins.bind(1, id); ins.bind(2, plan); ins.bind(3, static_cast<int64_t>(effective));
    ins.bind(4, static_cast<int64_t>(now));
    ins.exec();
    return Status::OK();
  });
}

Status CatalogStore::SetStatus(const std::string& id, const std::string& status) {
  return db_.Transaction([&]() -> Status {
    Statement up(db_, "UPDATE tenants SET status=? WHERE id=?");
    up.bind(1, status); up.bind(2, id);
    if (up.exec() == 0) return Status::NotFound(fmt::format("unknown tenant '{}'", id));
    return Status::OK();
  });
}

Result<std::vector<PlanAssignment>> CatalogStore::PlanHistory(const std::string& id) {
  return Guarded(db_, [&]() -> Result<std::vector<PlanAssignment>> {
    std::vector<PlanAssignment> out;
    Statement& q = Cached(db_, "SELECT plan_key, effective_from, recorded_at FROM tenant_plans "
                               "WHERE tenant_id=? ORDER BY effective_from");
    q.bind(1, id);
    while (q.executeStep())
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64()});
    return out;
  });
}

}  // namespace meter::store
