// Validator: the checks of a parsed event against the catalog and the clock.
#pragma once

#include <string>
#include <string_view>
#include <unordered_set>

#include "catalog/catalog.h"
#include "core/event.h"
#include "core/status.h"
#include "core/time.h"
#include "ingest/string_hash.h"

namespace meter::ingest {

// How far ahead of the clock an event may be dated (clock skew between the
// producer and meter); later ones are refused.
constexpr int64_t kMaxFutureMillis = 5 * kMillisPerMinute;

class Validator {
 public:
  // Copies the tenant ids and the metrics the catalog's meters read.
  explicit Validator(const catalog::Catalog& catalog);

  // Refuses with DataError: "unknown tenant 'acme2'", "unknown metric
  // 'api_call'", or a timestamp more than kMaxFutureMillis after `now`
  // (`time_field` names the field in the message).
  Status Check(const EventView& e, Timestamp now, std::string_view time_field = "timestamp") const;
  Status Check(const Event& e, Timestamp now, std::string_view time_field = "timestamp") const {
    return Check(ViewOf(e), now, time_field);
  }

 private:
  std::unordered_set<std::string, StringHash, std::equal_to<>> tenants_;
  std::unordered_set<std::string, StringHash, std::equal_to<>> metrics_;
};

}  // namespace meter::ingest
