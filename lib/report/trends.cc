#include "report/trends.h"

#include <fmt/format.h>

#include "billing/generate.h"
#include "report/common.h"
#include "report/periods.h"
#include "usage/quantity.h"

namespace meter::report {
namespace {

Result<Decimal> Billed(store::Database& db, const catalog::Catalog& c, const catalog::Tenant& t, const Period& month,
                       std::string* currency = nullptr) {
  METER_ASSIGN_OR_RETURN(billing::Invoice inv, billing::PreviewInvoice(db, c, t.id, FormatMonth(month.start, t.timezone)));
  if (currency) *currency = inv.currency;
  return inv.total;
}

Status AddTenantRows(store::Database& db, const catalog::Catalog& c, const catalog::Tenant& t, const TrendsQuery& q,
                     std::vector<TrendRow>* rows) {
  METER_ASSIGN_OR_RETURN(auto months, LastMonths(q.now, q.months, t.timezone, true));
  METER_ASSIGN_OR_RETURN(Period before, PreviousMonth(months.front(), t.timezone));
  std::string previous_currency;
  METER_ASSIGN_OR_RETURN(Decimal previous, Billed(db, c, t, before, &previous_currency));
  for (const auto& month : months) {
    TrendRow r;
    r.tenant = t.id;
    r.month = FormatMonth(month.start, t.timezone);
    for (const auto& m : c.meters) {
      METER_ASSIGN_OR_RETURN(Decimal v, usage::MeterQuantity(db, t.id, m, month));
      r.quantity_by_meter.emplace_back(m.key, v);
    }
    METER_ASSIGN_OR_RETURN(r.billed, Billed(db, c, t, month, &r.currency));
    if (r.currency == previous_currency) {
      METER_ASSIGN_OR_RETURN(r.change, r.billed.Sub(previous));
    }
    previous = r.billed;
    previous_currency = r.currency;
    rows->push_back(std::move(r));
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<TrendRow>> BuildTrends(store::Database& db, const catalog::Catalog& catalog, const TrendsQuery& q) {
  if (q.months < 1 || q.months > 120)
    return Status::InvalidArgument(fmt::format("--months {} is not between 1 and 120", q.months));
  METER_ASSIGN_OR_RETURN(auto tenants, SelectTenants(catalog, q.tenant));
  std::vector<TrendRow> rows;
  for (const catalog::Tenant* t : tenants) METER_RETURN_IF_ERROR(AddTenantRows(db, catalog, *t, q, &rows));
  return rows;
}

}  // namespace meter::report
