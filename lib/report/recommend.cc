#include "report/recommend.h"

#include <map>
#include <optional>

#include <fmt/format.h>

#include "billing/generate.h"
#include "billing/invoice.h"
#include "core/money.h"
#include "report/common.h"
#include "report/periods.h"
#include "usage/quantity.h"
#include "usage/quota.h"

namespace meter::report {
namespace {

constexpr int kMonths = 3;

// One tenant's usage over the window, read once per meter and shared by
// every plan judged.
class WindowUsage {
 public:
  WindowUsage(store::Database& db, const catalog::Tenant& t, std::vector<Period> months)
      : db_(db), tenant_(t), months_(std::move(months)) {}

  const std::vector<Period>& months() const { return months_; }

  // Values per month (month limits) or per UTC day (day limits), in order.
  Result<const std::vector<std::pair<Timestamp, Decimal>>*> Values(const catalog::Meter& m, bool daily) {
    auto& cache = daily ? daily_ : monthly_;
    auto it = cache.find(m.key);
    if (it != cache.end()) return &it->second;
    std::vector<Period> buckets = months_;
    if (daily) {
      METER_ASSIGN_OR_RETURN(buckets, SplitPeriod({months_.front().start, months_.back().end}, BucketUnit::kDay, ""));
    }
    METER_ASSIGN_OR_RETURN(auto measured, usage::MeterValuesIn(db_, tenant_.id, m, buckets));
    std::vector<std::pair<Timestamp, Decimal>> values;
    for (size_t i = 0; i < buckets.size(); ++i) values.emplace_back(buckets[i].start, measured[i].value());
    return &(cache[m.key] = std::move(values));
  }

 private:
  store::Database& db_;
  const catalog::Tenant& tenant_;
  std::vector<Period> months_;
  std::map<std::string, std::vector<std::pair<Timestamp, Decimal>>> monthly_, daily_;
};

// The first limit of `plan` the window's usage exceeds, described; "" when
// the plan holds the usage. The tenant's overrides count on its current plan
// only (usage::LimitFor, as quota checks apply them).
Result<std::string> FirstExceeded(const catalog::Catalog& c, const catalog::Tenant& t, const catalog::Plan& plan,
                                  bool current, WindowUsage& window) {
  catalog::Tenant bare;
  for (const auto& m : c.meters) {
    usage::EffectiveLimit e = usage::LimitFor(plan, current ? t : bare, m.key);
    if (!e.listed || !e.limit) continue;
    bool daily = e.period == catalog::LimitPeriod::kDay;
    METER_ASSIGN_OR_RETURN(auto values, window.Values(m, daily));
    for (const auto& [start, v] : *values)
      if (v > *e.limit)
        return fmt::format("{} used {} of its {} limit {} on {}", m.key, v.ToString(), daily ? "day" : "month",
                           e.limit->ToString(), daily ? FormatDate(start) : FormatMonth(start, t.timezone));
  }
  return std::string();
}

// What `plan` would have billed over the window, before tax, as if in force
// for every whole month: billing's inputs and builder, base price included.
Result<Decimal> WindowCost(store::Database& db, const catalog::Catalog& c, const catalog::Tenant& t,
                           const catalog::Plan& plan, const std::vector<Period>& months) {
  Decimal sum;
  for (const auto& m : months) {
    METER_ASSIGN_OR_RETURN(auto in, billing::ReadInvoiceInputs(db, c, t, FormatMonth(m.start, t.timezone), &plan));
    METER_ASSIGN_OR_RETURN(billing::Invoice inv, billing::BuildInvoice(in));
    METER_ASSIGN_OR_RETURN(sum, sum.Add(inv.subtotal));
  }
  return sum;
}

struct Candidate {
  const catalog::Plan* plan = nullptr;
  Decimal cost;
};

Result<std::optional<Recommendation>> Advise(store::Database& db, const catalog::Catalog& c, const catalog::Tenant& t,
                                             Timestamp now) {
  const catalog::Plan* current = c.FindPlan(t.plan);
  if (!current) return std::optional<Recommendation>();
  METER_ASSIGN_OR_RETURN(auto months, LastMonths(now, kMonths, t.timezone, false));
  WindowUsage window(db, t, months);
  METER_ASSIGN_OR_RETURN(std::string current_exceeded, FirstExceeded(c, t, *current, true, window));
  METER_ASSIGN_OR_RETURN(Decimal current_cost, WindowCost(db, c, t, *current, months));
  std::optional<Candidate> best;
  for (const auto& p : c.plans) {
    if (c.CurrencyOf(p) != c.CurrencyOf(*current)) continue;
    METER_ASSIGN_OR_RETURN(std::string exceeded, FirstExceeded(c, t, p, &p == current, window));
    if (!exceeded.empty()) continue;
    METER_ASSIGN_OR_RETURN(Decimal cost, &p == current ? current_cost : WindowCost(db, c, t, p, months));
    if (!best || cost < best->cost) best = Candidate{&p, cost};
  }
  if (!best || best->plan == current || best->cost >= current_cost) return std::optional<Recommendation>();
  Recommendation r;
  r.tenant = t.id;
  r.current_plan = current->key;
  r.recommended_plan = best->plan->key;
  r.currency = c.CurrencyOf(*current);
  r.kind = c.PlanIndex(best->plan->key) > c.PlanIndex(current->key) ? "upgrade" : "downgrade";
  r.current_cost = current_cost;
  r.recommended_cost = best->cost;
  METER_ASSIGN_OR_RETURN(r.saving, current_cost.Sub(best->cost));
  r.reason = fmt::format("plan '{}' holds the usage of {} to {} and would have billed {} instead of {}",
                         best->plan->key, FormatMonth(months.front().start, t.timezone),
                         FormatMonth(months.back().start, t.timezone), MoneyString(best->cost, r.currency),
                         MoneyString(current_cost, r.currency));
  if (!current_exceeded.empty()) r.reason += fmt::format("; on plan '{}' {}", current->key, current_exceeded);
  return std::optional<Recommendation>(std::move(r));
}

}  // namespace

Result<std::vector<Recommendation>> BuildRecommendations(store::Database& db, const catalog::Catalog& catalog,
                                                         const std::string& tenant, Timestamp now) {
  METER_ASSIGN_OR_RETURN(auto tenants, SelectTenants(catalog, tenant));
  std::vector<Recommendation> out;
  for (const catalog::Tenant* t : tenants) {
    METER_ASSIGN_OR_RETURN(auto r, Advise(db, catalog, *t, now));
    if (r) out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace meter::report
