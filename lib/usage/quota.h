// Quotas (SPEC section 5): may a tenant use N more of a meter now, recording
// that use atomically, and how much of each limit is used.
//
// A limit applies over its period: a UTC day, or a calendar month in the
// tenant's time zone. Usage is read from the hourly counters
// (store::CounterStore), so a check costs the same whatever the number of
// stored events. The limit in force is the tenant's override, else the
// plan's; a meter the plan does not limit is unlimited; a plan with
// "overage": false makes every limit hard.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::usage {

// The limit that applies to one tenant and meter.
struct EffectiveLimit {
  std::optional<Decimal> limit;  // nullopt: unlimited
  catalog::LimitPeriod period = catalog::LimitPeriod::kMonth;
  catalog::Enforcement enforcement = catalog::Enforcement::kHard;
  bool listed = false;  // the plan or an override names this meter
};

// The tenant's override for `meter` when it has one, else the plan's limit,
// else unlimited (monthly, hard). Limits of a plan without overage are hard.
EffectiveLimit LimitFor(const catalog::Plan& plan, const catalog::Tenant& tenant, const std::string& meter);

// The period of a limit containing `now`: the UTC day, or the tenant's
// billing period ("month": from its `billing_day` at local midnight in
// `timezone`, "" for UTC; day 1 is the calendar month).
Result<Period> LimitPeriodAt(catalog::LimitPeriod period, Timestamp now, std::string_view timezone,
                             int billing_day = 1);

// The meter `metric` names: a meter key, or else an event metric read by
// exactly one meter. NotFound listing the meters otherwise.
Result<const catalog::Meter*> ResolveMeter(const catalog::Catalog& c, std::string_view metric);

// The first plan after `plan` in catalog order whose limit for `meter` is
// higher than `limit` or unlimited; "" when there is none.
std::string NextPlanUp(const catalog::Catalog& c, const std::string& plan, const std::string& meter,
                       const Decimal& limit);

// What a check decided, with everything its message and JSON need.
struct QuotaDecision {
  bool allowed = true;
  std::string tenant;
  std::string meter;
  std::string plan;
  Decimal used;       // over the period, before this request
  Decimal requested;
  EffectiveLimit limit;
  Period period;
  bool suspended = false;
  bool over = false;      // used + requested > limit
  std::string next_plan;  // the way out named in the message; "" for none
  std::string reservation_id;  // reserve only: the id the decision is stored under
  bool replayed = false;       // reserve only: the id was seen before; nothing recorded now

  // limit - used, or nullopt when unlimited (negative past a soft limit).
  std::optional<Decimal> remaining() const;
};

// Decides whether `tenant` may use `amount` more of meter `metric` at `now`.
// NotFound for an unknown tenant or meter (exit 2); InvalidArgument for a
// negative or over-precise amount. A denial is a decision (allowed false),
// not an error status.
Result<QuotaDecision> CheckQuota(store::Database& db, const catalog::Catalog& c, const std::string& tenant,
                                 std::string_view metric, const Decimal& amount, Timestamp now);

// Checks and, when allowed, records the usage as events through
// ingest::EventRecorder, in one write transaction (BEGIN IMMEDIATE), so
// concurrent reservations never push a hard limit over. A reservation id
// seen before returns the original decision and records nothing. `id` empty:
// one is generated. Refuses meters whose usage a reservation cannot add to
// (max, latest, unique_count) with InvalidArgument.
Result<QuotaDecision> ReserveQuota(store::Database& db, const catalog::Catalog& c, const std::string& tenant,
                                   std::string_view metric, const Decimal& amount, const std::string& id,
                                   Timestamp now);

// "Quota exceeded. Used 9,500 of 10,000. Batch requires 600.\nResets at
// ..., or upgrade to plan 'enterprise'." for a denial (or the suspension);
// "" when allowed.
std::string DenialMessage(const QuotaDecision& d);
// The warning of an allowed request past a soft limit; "" otherwise.
std::string WarningMessage(const QuotaDecision& d);

// The decision as the SPEC's JSON: allowed, tenant, metric, used, limit,
// remaining, requested, period_start, period_end, resets_at, enforcement,
// warning.
nlohmann::json DecisionJson(const QuotaDecision& d);

// One limit of a tenant with its usage in the current period.
struct QuotaRow {
  std::string tenant;
  std::string meter;
  Decimal used;
  EffectiveLimit limit;
  Period period;
  // used / limit in percent, one decimal place; nullopt when unlimited or 0.
  std::optional<Decimal> percent;
};

// The tenant's limits (plan limits and overrides, in plan order, overrides
// of unlisted meters after) with their usage at `now`. For `quota status`,
// alerts and `tenants show`. NotFound for an unknown tenant.
Result<std::vector<QuotaRow>> QuotaStatusFor(store::Database& db, const catalog::Catalog& c,
                                             const std::string& tenant, Timestamp now);

}  // namespace meter::usage
