// Threshold alerts (SPEC section 5): `meter alerts scan`, run from cron,
// records one alert per tenant, meter, threshold and period the first time
// usage reaches each of the plan's alert_thresholds (percent of the limit in
// force) and queues a `usage.threshold_reached` webhook message for it.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"
#include "store/usage_store.h"

namespace meter::usage {

// Checks every tenant's limited meters over their current period at `now`
// and records the thresholds newly reached (used > 0 and used >= threshold %
// of the limit; unlimited meters never alert), each with its webhook
// message, all in one write transaction. An alert already recorded for the
// period is never recorded or queued again. Returns the alerts created.
Result<std::vector<store::AlertRecord>> ScanAlerts(store::Database& db, const catalog::Catalog& c, Timestamp now);

// Recorded alerts, newest first, of one tenant when `tenant` is not empty.
Result<std::vector<store::AlertRecord>> ListAlerts(store::Database& db, const std::string& tenant);

// {"id","tenant","meter","threshold","used","limit","period_start",
// "period_end","created_at","message_id"}.
nlohmann::json AlertJson(const store::AlertRecord& a);

// The data of the alert's usage.threshold_reached message: {"tenant",
// "meter","threshold","used","limit","period_start","period_end"}.
nlohmann::json AlertMessageData(const store::AlertRecord& a);

}  // namespace meter::usage
