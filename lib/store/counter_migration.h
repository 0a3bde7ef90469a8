// Schema version 8's step in C++: the hourly counter tables to day rows.
#pragma once

#include "core/status.h"
#include "store/database.h"

namespace meter::store {

// Reads every row of usage_counters and usage_uniques (versions 1-7: one
// row per tenant, meter and hour, one per distinct value), writes them as
// usage_counter_days / usage_unique_days rows (counter_days.h), then drops
// the two old tables. Runs inside the migration's transaction.
Status MigrateCountersToDays(Database& db);

}  // namespace meter::store
