// CatalogStore: the catalog in force, tenants and their plan history.
//
// The catalog document (meters, plans, tax, invoice settings) is stored as
// versioned JSON; a new version is written only when the document changes, so
// applying the same file twice changes nothing. Tenants live in their own
// table (they can also be added from the command line) with a dated plan
// history, so usage is always priced under the plan in force when it
// happened.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::store {

struct PlanAssignment {
  std::string plan;
  Timestamp effective_from = 0;  // kBeginningOfTime for a tenant's first plan
  Timestamp recorded_at = 0;
};

// A tenant's first plan applies to all of its past usage.
constexpr Timestamp kBeginningOfTime = 0;

struct TenantRecord {
  catalog::Tenant tenant;     // tenant.plan: the plan in force now
  std::string status;         // "active" or "suspended"
  Timestamp created_at = 0;
};

struct ApplySummary {
  bool catalog_changed = false;
  int tenants_added = 0;
  int tenants_updated = 0;
  int plan_changes = 0;
  int webhooks_added = 0;
};

class CatalogStore {
 public:
  explicit CatalogStore(Database& db) : db_(db) {}

  // Stores `c` in one transaction: the document (when it differs from the one
  // in force), tenants (inserted or updated; a changed plan is recorded as a
  // plan change effective `now`), and webhook endpoints (matched by url and
  // tenant; a missing secret is filled by `new_secret`, an existing one kept).
  // Tenants absent from the file are left alone.
  Result<ApplySummary> Apply(const catalog::Catalog& c, Timestamp now,
                             const std::function<Result<std::string>()>& new_secret);

  // The catalog in force with its `tenants` read from the tenants table (each
  // with the plan in force at `now`). NotFound when no catalog was applied.
  Result<catalog::Catalog> Load(Timestamp now);

  // The same catalog with only tenant `id` in `tenants`: what a per-tenant
  // command needs, at a cost that does not grow with the number of tenants.
  // NotFound ("unknown tenant 'x'") when absent or when no catalog was applied.
  Result<catalog::Catalog> LoadForTenant(const std::string& id, Timestamp now);

  // Every tenant, ordered by id, each with the plan in force at `now`.
  Result<std::vector<TenantRecord>> ListTenants(Timestamp now);
  // NotFound ("unknown tenant 'x'") when absent.
  Result<TenantRecord> GetTenant(const std::string& id, Timestamp now);
  // Adds a tenant; refuses an id already present (Denied).
  Status AddTenant(const catalog::Tenant& t, Timestamp now);
  // Records that `id` moves to `plan` from `effective` on (replacing a change
  // recorded for the same instant).
  Status SetPlan(const std::string& id, const std::string& plan, Timestamp effective, Timestamp now);
  // "active" or "suspended".
  Status SetStatus(const std::string& id, const std::string& status);
  // Oldest first.
  Result<std::vector<PlanAssignment>> PlanHistory(const std::string& id);

 private:
  // The catalog document in force, without tenants.
  Result<catalog::Catalog> LoadDocument();
  // Tenants with their plan at `now`: all of them, or only `*only` when given.
  Result<std::vector<TenantRecord>> ReadTenants(const std::string* only, Timestamp now);
  Database& db_;
};

// The plan in force at `t` in a history sorted oldest first ("" if none).
std::string PlanAt(const std::vector<PlanAssignment>& history, Timestamp t);

}  // namespace meter::store
