// report trends: month by month, per tenant, the quantity of every meter,
// the amount billed and the change from the month before.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::report {

// What `report trends` is asked.
struct TrendsQuery {
  std::string tenant;  // "" = every tenant
  int months = 6;      // how many months, ending with the current one
  Timestamp now = 0;
};

// One tenant's month.
struct TrendRow {
  std::string tenant;
  std::string month;  // "2026-02", a calendar month in the tenant's time zone
  std::string currency;  // the currency `billed` is in (the month's invoice's)
  // Every meter of the catalog, in catalog order (0 when unused).
  std::vector<std::pair<std::string, Decimal>> quantity_by_meter;
  // The finalized invoice's total (with tax) where one exists, else what the
  // invoice would be now (billing's preview, with tax).
  Decimal billed;
  // billed minus the month before's billed; none when the month before was
  // billed in another currency (a plan change across currencies): amounts of
  // two currencies are never subtracted.
  std::optional<Decimal> change;
};

// Rows by tenant, then month oldest first: the `months` calendar months that
// end with the one containing `now` (the current month so far is the last).
// The first month's change is measured against the month before the window,
// so every row has one unless the currency changed. Refuses months < 1 or > 120 (InvalidArgument) and an
// unknown tenant (NotFound).
Result<std::vector<TrendRow>> BuildTrends(store::Database& db, const catalog::Catalog& catalog, const TrendsQuery& q);

}  // namespace meter::report
