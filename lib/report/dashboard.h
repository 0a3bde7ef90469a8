// report dashboard: one self-contained HTML page (inline CSS and SVG, no
// scripts, no network) with usage per meter over time, the top tenants by
// amount billed, invoice totals per month and quota status. Money is per
// currency, never summed across currencies (SPEC 10): one KPI figure, one
// top-tenants chart and one invoice chart per currency.
//
// Collecting (reads the database) and rendering (a pure function of the
// collected figures) are separate, so the page can be tested from fixed data.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"

namespace meter::report {

// One meter's value per day of the dashboard's period, summed over tenants.
struct MeterSeries {
  std::string meter;
  std::string unit;
  bool additive = true;  // sum / count: the days add up to the month
  std::vector<Decimal> values;  // one per DashboardData::days entry
  std::string name;  // what people read (the catalog's name; "" = the key)
};

// A tenant and what it is billed for the month.
struct TenantAmount {
  std::string tenant;
  std::string name;
  std::string plan;
  Decimal amount;  // billed for the period (total with tax)
  std::string currency;  // what `amount` is in ("" = DashboardData::currency)
};

// Invoice totals of one month, by status.
struct MonthInvoices {
  std::string month;  // "2026-02"
  Decimal draft, open, paid, overdue;
  int count = 0;
  std::string currency;  // the invoices' ("" = DashboardData::currency)
};

// One limit of one tenant's plan in its current period.
struct QuotaLine {
  std::string tenant;
  std::string meter;
  std::string period;  // "day" or "month"
  Decimal used;
  std::optional<Decimal> limit;  // nullopt = unlimited
  std::string enforcement;       // "hard" or "soft"
  std::string name;              // the meter's name ("" = the key)
  std::string unit;              // the meter's unit, "" when it has none
};

// Every figure the page shows, collected at one instant.
struct DashboardData {
  Timestamp generated_at = 0;
  std::string month;  // "2026-02"
  std::string currency = "USD";  // the catalog's
  int tenants = 0;
  // Every tenant's amount billed for the month, with tax, per currency.
  std::map<std::string, Decimal> billed;
  std::vector<Timestamp> days;  // UTC day starts of the month
  std::vector<MeterSeries> usage;
  std::vector<TenantAmount> top_tenants;  // per currency, largest first
  // Per currency (the catalog's first, then by code), its months oldest
  // first; the catalog's currency always has its months, others only when
  // they have invoices in them.
  std::vector<MonthInvoices> invoices;
  std::vector<QuotaLine> quotas;
};

// What a tenant is billed for a month ("YYYY-MM"), with tax, and its
// currency: supplied by the caller so the dashboard prices through billing's
// code.
struct Billed {
  Decimal amount;
  std::string currency;
};
using BilledFn = std::function<Result<Billed>(const catalog::Tenant&, const std::string& month)>;

// Collects the dashboard of the month containing `now` (or of `month` when
// given, "YYYY-MM"): daily usage per meter (UTC days), the ten tenants billed
// most in it in each currency, invoice totals per currency of the six months ending with it, and quota
// status at `now` (taken to the whole second). InvalidArgument for a bad
// month.
Result<DashboardData> CollectDashboard(store::Database& db, const catalog::Catalog& catalog, Timestamp now,
                                       const std::string& month, const BilledFn& billed);

// The page. Everything shown comes from `d`; text is HTML-escaped. The
// invoice chart shows the months from the first to the last that has
// invoices (saying so when that is one month).
std::string RenderDashboardHtml(const DashboardData& d);

// The values of a chart's value axis: 0 and equal steps of 1, 2, 2.5 or 5
// times a power of ten, four or five of them, the last at or above `peak`
// ({0, 1} when `peak` is not above 0).
std::vector<double> AxisTicks(double peak);

// A tick's label: "0", "250", "2.5k", "1.25M", "0.025".
std::string AxisLabel(double value);

}  // namespace meter::report
