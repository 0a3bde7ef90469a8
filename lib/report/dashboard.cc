#include "report/dashboard.h"

#include <algorithm>
#include <map>

#include "report/periods.h"
#include "usage/quantity.h"
#include "store/invoice_store.h"
#include "usage/quota.h"

namespace meter::report {
namespace {

constexpr int kTopTenants = 10;
constexpr int kInvoiceMonths = 6;

// Daily totals over all tenants. One read per meter over the month finds the
// tenants that used it; only those are read day by day (an indexed read per
// tenant, meter and day, cheaper than scanning every tenant's counters per day).
Status CollectUsage(store::Database& db, const catalog::Catalog& c, const Period& month, DashboardData* d) {
  METER_ASSIGN_OR_RETURN(auto days, SplitPeriod(month, BucketUnit::kDay, ""));
  for (const auto& day : days) d->days.push_back(day.start);
  for (const auto& m : c.meters) {
    METER_ASSIGN_OR_RETURN(auto users, usage::MeterQuantities(db, m, month));
    bool additive = m.aggregation == catalog::Aggregation::kSum || m.aggregation == catalog::Aggregation::kCount;
    MeterSeries s{m.key, m.unit, additive, std::vector<Decimal>(days.size()), m.name};
    bool any = false;
    for (const auto& [tenant, total] : users) {
      if (total.IsZero()) continue;
      any = true;
      METER_ASSIGN_OR_RETURN(auto values, usage::MeterValuesIn(db, tenant, m, days));
      for (size_t i = 0; i < days.size(); ++i) {
        METER_ASSIGN_OR_RETURN(s.values[i], s.values[i].Add(values[i].value()));
      }
    }
    if (any) d->usage.push_back(std::move(s));
  }
  return Status::OK();
}

// The ten tenants billed most in each currency.
Status CollectTopTenants(const catalog::Catalog& c, const std::string& month, const BilledFn& billed,
                         DashboardData* d) {
  std::map<std::string, std::vector<TenantAmount>> by;
  d->billed[c.currency];  // the catalog's currency is shown even when nothing is billed
  for (const auto& t : c.tenants) {
    METER_ASSIGN_OR_RETURN(Billed b, billed(t, month));
    Decimal& sum = d->billed[b.currency];
    METER_ASSIGN_OR_RETURN(sum, sum.Add(b.amount));
    if (!b.amount.IsZero()) by[b.currency].push_back({t.id, t.name, t.plan, b.amount, b.currency});
  }
  for (auto& [currency, rows] : by) {
    std::stable_sort(rows.begin(), rows.end(),
                     [](const TenantAmount& a, const TenantAmount& b) { return a.amount > b.amount; });
    if (rows.size() > kTopTenants) rows.resize(kTopTenants);
    d->top_tenants.insert(d->top_tenants.end(), rows.begin(), rows.end());
  }
  return Status::OK();
}

Status AddInvoice(const store::InvoiceRecord& r, MonthInvoices* m) {
  Decimal* bucket = r.status == "draft" ? &m->draft : r.status == "open" ? &m->open
                  : r.status == "paid" ? &m->paid : r.status == "overdue" ? &m->overdue : nullptr;
  if (!bucket) return Status::OK();  // void invoices bill nothing
  METER_ASSIGN_OR_RETURN(Decimal total, Decimal::Parse(r.total));
  METER_ASSIGN_OR_RETURN(*bucket, bucket->Add(total));
  ++m->count;
  return Status::OK();
}

// Six months of invoice totals per currency: the catalog's currency first,
// the others (those with invoices) by code.
Status CollectInvoices(store::Database& db, const catalog::Catalog& c, Timestamp month_start, DashboardData* d) {
  METER_ASSIGN_OR_RETURN(auto months, LastMonths(month_start, kInvoiceMonths, "", true));
  store::InvoiceStore invoices(db);
  std::map<std::string, std::vector<MonthInvoices>> by;
  auto series = [&](const std::string& currency) -> std::vector<MonthInvoices>& {
    auto [it, added] = by.try_emplace(currency);
    if (added)
      for (const auto& p : months) it->second.push_back({FormatMonth(p.start), {}, {}, {}, {}, 0, currency});
    return it->second;
  };
  series(c.currency);
  for (size_t i = 0; i < months.size(); ++i) {
    METER_ASSIGN_OR_RETURN(auto records, invoices.ForMonth(FormatMonth(months[i].start), ""));
    for (const auto& r : records)
      if (r.status != "void") METER_RETURN_IF_ERROR(AddInvoice(r, &series(r.currency)[i]));
  }
  auto append = [&](const std::vector<MonthInvoices>& s) { d->invoices.insert(d->invoices.end(), s.begin(), s.end()); };
  append(by[c.currency]);
  for (const auto& [currency, s] : by)
    if (currency != c.currency) append(s);
  return Status::OK();
}

// The quota status of every tenant, as `quota status` reports it.
Status CollectQuotas(store::Database& db, const catalog::Catalog& c, Timestamp now, DashboardData* d) {
  for (const auto& t : c.tenants) {
    if (!c.FindPlan(t.plan)) continue;
    METER_ASSIGN_OR_RETURN(auto rows, usage::QuotaStatusFor(db, c, t.id, now));
    for (const auto& r : rows) {
      const catalog::Meter* m = c.FindMeter(r.meter);
      d->quotas.push_back({t.id, r.meter, std::string(catalog::LimitPeriodName(r.limit.period)), r.used, r.limit.limit,
                           std::string(catalog::EnforcementName(r.limit.enforcement)), m ? m->name : "",
                           m ? m->unit : ""});
    }
  }
  return Status::OK();
}

}  // namespace

Result<DashboardData> CollectDashboard(store::Database& db, const catalog::Catalog& catalog, Timestamp now,
                                       const std::string& month, const BilledFn& billed) {
  DashboardData d;
  d.generated_at = now / kMillisPerSecond * kMillisPerSecond;
  d.currency = catalog.currency;
  d.tenants = static_cast<int>(catalog.tenants.size());
  METER_ASSIGN_OR_RETURN(Period p, month.empty() ? MonthOf(now, "") : ParseMonth(month, ""));
  d.month = FormatMonth(p.start);
  METER_RETURN_IF_ERROR(CollectUsage(db, catalog, p, &d));
  METER_RETURN_IF_ERROR(CollectTopTenants(catalog, d.month, billed, &d));
  METER_RETURN_IF_ERROR(CollectInvoices(db, catalog, p.start, &d));
  METER_RETURN_IF_ERROR(CollectQuotas(db, catalog, now, &d));
  return d;
}

}  // namespace meter::report
