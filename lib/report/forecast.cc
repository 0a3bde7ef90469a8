#include "report/forecast.h"

#include <algorithm>

#include "billing/pricing.h"
#include "report/common.h"
#include "usage/quota.h"
#include "usage/quantity.h"
#include "usage/slices.h"

namespace meter::report {
namespace {

using catalog::Aggregation;

bool Accumulates(const catalog::Meter& m) {
  return m.aggregation == Aggregation::kSum || m.aggregation == Aggregation::kCount;
}

// The part of `p` up to `now`: usage recorded for later times (a what-if run
// with --now in the past) is not "used so far". Counters are hourly, so the
// hour containing `now` counts whole, events at `now` itself included (a
// quota reservation made at --now T is used at T, also when T is on the hour).
Period SoFar(const Period& p, Timestamp now) {
  if (now < p.start) return {p.start, p.start};
  if (now >= p.end) return p;
  return {p.start, std::min(HourOf(now).end, p.end)};
}

Decimal Days(int64_t ms) { return *Decimal::FromInt(ms).Div(Decimal::FromInt(kMillisPerDay), 6, Rounding::kHalfAwayFromZero); }

// The instant a quantity growing linearly from 0 at `start` to `used` at
// `start + elapsed` reaches `limit`, if it passes it before `end`.
Result<std::optional<Timestamp>> LinearCrossing(const Decimal& used, const Decimal& limit, Timestamp start,
                                                int64_t elapsed, Timestamp end) {
  if (used.IsZero() || elapsed <= 0) return std::optional<Timestamp>();
  METER_ASSIGN_OR_RETURN(Decimal ms, limit.MulDiv(Decimal::FromInt(elapsed), used, 0, Rounding::kUp));
  METER_ASSIGN_OR_RETURN(int64_t offset, ms.ToInt64());
  if (offset >= end - start) return std::optional<Timestamp>();
  // To the whole second (up): a crossing time is read by people.
  Timestamp t = start + offset;
  return std::optional<Timestamp>((t + kMillisPerSecond - 1) / kMillisPerSecond * kMillisPerSecond);
}

// A flow meter's crossing is projected; a level meter (max, latest,
// unique_count) has crossed by `now` when it is over the limit, else not.
Result<std::optional<Timestamp>> Crossing(const catalog::Meter& m, const Decimal& used, const Decimal& limit,
                                          const Period& p, Timestamp now) {
  if (!Accumulates(m)) return used > limit ? std::optional<Timestamp>(now) : std::optional<Timestamp>();
  return LinearCrossing(used, limit, p.start, std::clamp<int64_t>(now - p.start, 0, p.end - p.start), p.end);
}

// The limit in force (usage::LimitFor: the tenant's override, else the
// plan's), its period and the projected crossing for one row.
Status AddLimit(store::Database& db, const catalog::Tenant& t, const catalog::Plan* plan,
                const catalog::Meter& m, Timestamp now, ForecastRow* r) {
  if (!plan) return Status::OK();
  usage::EffectiveLimit e = usage::LimitFor(*plan, t, m.key);
  r->limit = e.listed ? e.limit : std::nullopt;
  if (!r->limit) return Status::OK();
  if (e.period == catalog::LimitPeriod::kMonth) {
    r->limit_period = "month";
    METER_ASSIGN_OR_RETURN(r->projected_cross_at, Crossing(m, r->used, *r->limit, r->period, now));
    return Status::OK();
  }
  r->limit_period = "day";
  Period today = DayOf(now);
  METER_ASSIGN_OR_RETURN(Decimal used_today, usage::MeterQuantity(db, t.id, m, SoFar(today, now)));
  METER_ASSIGN_OR_RETURN(r->projected_cross_at, Crossing(m, used_today, *r->limit, today, now));
  return Status::OK();
}

// A period of the tenant's local days (local midnight to local midnight) and
// its part up to `now`, in milliseconds of the tenant's wall clock: a month
// with a daylight-saving change still has its 31 days of 24 hours, and local
// midnight is a whole number of days elapsed.
struct LocalSpan {
  int64_t elapsed = 0;
  int64_t length = 0;
};

Result<LocalSpan> LocalSpanOf(const Period& p, Timestamp now, std::string_view tz) {
  auto days = [&](Timestamp t) -> Result<int64_t> {
    METER_ASSIGN_OR_RETURN(CivilDate d, LocalDateOf(t, tz));
    return DaysFromCivil(d.year, d.month, d.day);
  };
  LocalSpan s;
  METER_ASSIGN_OR_RETURN(int64_t first, days(p.start));
  METER_ASSIGN_OR_RETURN(int64_t after, days(p.end));
  s.length = (after - first) * kMillisPerDay;
  if (now <= p.start) return s;
  if (now >= p.end) {
    s.elapsed = s.length;
    return s;
  }
  METER_ASSIGN_OR_RETURN(int64_t today, days(now));
  METER_ASSIGN_OR_RETURN(Timestamp midnight, LocalMidnight(today, tz));
  s.elapsed = std::clamp<int64_t>((today - first) * kMillisPerDay + (now - midnight), 0, s.length);
  return s;
}

// `used` so far projected to the end of the period: linear for a flow meter,
// flat for a level meter (and before the period starts).
Result<Decimal> ProjectQuantity(const catalog::Meter& m, const Decimal& used, const LocalSpan& span) {
  if (span.elapsed == 0 || !Accumulates(m)) return used;
  return used.MulDiv(Decimal::FromInt(span.length), Decimal::FromInt(span.elapsed), 6, Rounding::kHalfAwayFromZero);
}

Status Project(const catalog::Meter& m, const LocalSpan& span, ForecastRow* r) {
  int64_t length = span.length;
  int64_t elapsed = span.elapsed;
  r->days_elapsed = Days(elapsed);
  METER_ASSIGN_OR_RETURN(r->days_left, Days(length).Sub(r->days_elapsed));
  r->daily_average = r->used;
  METER_ASSIGN_OR_RETURN(r->projected, ProjectQuantity(m, r->used, span));
  if (elapsed == 0) return Status::OK();
  METER_ASSIGN_OR_RETURN(r->daily_average, r->used.MulDiv(Decimal::FromInt(kMillisPerDay), Decimal::FromInt(elapsed), 6,
                                                          Rounding::kHalfAwayFromZero));
  return Status::OK();
}

// What charge `ch` bills for the projected usage, as the invoice would: a
// sliced charge (SPEC 10 filters, group_by) prices each slice's own
// projection under its filter's pricing, each rounded, then added up.
Result<Decimal> ProjectedCost(store::Database& db, const catalog::Catalog& c, const catalog::Tenant& t,
                              const catalog::Plan& plan, const catalog::Charge& ch, const catalog::Meter& m,
                              const ForecastRow& r, const LocalSpan& span, Timestamp now) {
  const std::string& currency = c.CurrencyOf(plan);
  if (!usage::IsSliced(ch)) {
    METER_ASSIGN_OR_RETURN(auto priced, billing::PriceCharge(ch, r.projected, plan.overage, currency));
    return priced.amount;
  }
  METER_ASSIGN_OR_RETURN(auto slices, usage::MeasureSlices(db, c, t.id, ch, SoFar(r.period, now)));
  Decimal sum;
  for (const auto& s : slices) {
    METER_ASSIGN_OR_RETURN(Decimal q, ProjectQuantity(m, s.quantity, span));
    const catalog::Charge& pricing = s.filter >= 0 ? ch.filters[s.filter].charge : ch;
    METER_ASSIGN_OR_RETURN(auto priced, billing::PriceCharge(pricing, q, plan.overage, currency));
    METER_ASSIGN_OR_RETURN(sum, sum.Add(priced.amount));
  }
  return sum;
}

Status AddTenantRows(store::Database& db, const catalog::Catalog& c, const catalog::Tenant& t, Timestamp now,
                     std::vector<ForecastRow>* rows) {
  METER_ASSIGN_OR_RETURN(Period period, BillingPeriodOf(now, t.timezone, t.billing_day));
  METER_ASSIGN_OR_RETURN(LocalSpan span, LocalSpanOf(period, now, t.timezone));
  const catalog::Plan* plan = c.FindPlan(t.plan);
  for (const auto& m : c.meters) {
    ForecastRow r;
    r.tenant = t.id;
    r.meter = m.key;
    r.period = period;
    r.currency = plan ? c.CurrencyOf(*plan) : c.currency;
    METER_ASSIGN_OR_RETURN(r.used, usage::MeterQuantity(db, t.id, m, SoFar(period, now)));
    bool in_plan = plan && (plan->FindCharge(m.key) || usage::LimitFor(*plan, t, m.key).listed);
    if (!in_plan && r.used.IsZero()) continue;
    METER_RETURN_IF_ERROR(Project(m, span, &r));
    METER_RETURN_IF_ERROR(AddLimit(db, t, plan, m, now, &r));
    if (const catalog::Charge* ch = plan ? plan->FindCharge(m.key) : nullptr) {
      METER_ASSIGN_OR_RETURN(r.projected_cost, ProjectedCost(db, c, t, *plan, *ch, m, r, span, now));
    }
    rows->push_back(std::move(r));
  }
  return Status::OK();
}

}  // namespace

Result<Forecast> BuildForecast(store::Database& db, const catalog::Catalog& catalog, const std::string& tenant,
                               Timestamp now) {
  METER_ASSIGN_OR_RETURN(auto tenants, SelectTenants(catalog, tenant));
  now = now / kMillisPerSecond * kMillisPerSecond;
  Forecast f;
  f.as_of = now;
  METER_ASSIGN_OR_RETURN(f.period, tenant.empty() ? MonthOf(now, "")
                                                  : BillingPeriodOf(now, tenants.front()->timezone,
                                                                    tenants.front()->billing_day));
  for (const catalog::Tenant* t : tenants) METER_RETURN_IF_ERROR(AddTenantRows(db, catalog, *t, now, &f.rows));
  return f;
}

}  // namespace meter::report
