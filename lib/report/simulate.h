// simulate: re-price a past month's stored usage under another catalog (a
// candidate price change) without writing anything.
//
// Tenants keep their plan keys and plan history; plans, meters, tax rate and
// currency come from the candidate catalog (a tenant's own tax override still
// applies). A candidate that lacks a plan some tenant was on during the month
// is refused (DataError naming the plan and tenant): guessing a replacement
// would give a misleading total. A candidate meter defined exactly like the
// stored meter of the same key is read from the usage counters; one defined
// differently (another event, filter, aggregation or value field) or new is
// evaluated from the stored raw events. Events are stored only for metrics
// the stored catalog knew when they were ingested, so a candidate meter on a
// metric nobody sent reads zero.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"
#include "store/database.h"

namespace meter::report {

// One tenant's month under both catalogs; money with tax.
struct SimulationRow {
  std::string tenant;
  std::string currency;     // the tenant's plan's (SPEC section 10)
  Decimal current_total;    // the finalized invoice's total, else what the stored catalog bills (with tax)
  Decimal simulated_total;  // what the candidate catalog bills for the same usage (with tax)
  Decimal difference;       // simulated - current
  std::optional<Decimal> percent;  // difference / current * 100, 2 decimals; nullopt when current is 0
};

// The rows of one currency added up (never summed across currencies).
struct CurrencyTotals {
  std::string currency;
  Decimal current_total, simulated_total, difference;
};

// Every tenant of the month and the totals per currency.
struct Simulation {
  std::string period;  // "2026-02"
  std::vector<SimulationRow> rows;  // one per tenant, in tenant order
  std::vector<CurrencyTotals> totals;  // one per currency of the rows, by code
  std::vector<std::string> raw_meters;  // candidate meters evaluated from raw events
  int64_t events_skipped = 0;           // events a candidate meter could not read
};

// Prices month `period` ("YYYY-MM") for every tenant of `stored` under
// `stored` and under `candidate`. Refuses a bad month (InvalidArgument) and
// a tenant the candidate would bill in another currency than the stored
// catalog (InvalidArgument). Reads only.
Result<Simulation> Simulate(store::Database& db, const catalog::Catalog& stored, const catalog::Catalog& candidate,
                            const std::string& period);

}  // namespace meter::report
