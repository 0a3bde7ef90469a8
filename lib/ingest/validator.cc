#include "ingest/validator.h"

#include <fmt/format.h>

#include "ingest/record.h"

namespace meter::ingest {

Validator::Validator(const catalog::Catalog& catalog) {
  for (const catalog::Tenant& t : catalog.tenants) tenants_.insert(t.id);
  for (const catalog::Meter& m : catalog.meters) metrics_.insert(m.event);
}

Status Validator::Check(const EventView& e, Timestamp now, std::string_view time_field) const {
  if (tenants_.find(e.tenant) == tenants_.end())
    return Status::DataError(fmt::format("unknown tenant '{}'", Excerpt(e.tenant)));
  if (metrics_.find(e.metric) == metrics_.end())
    return Status::DataError(fmt::format("unknown metric '{}'", Excerpt(e.metric)));
  if (e.timestamp > now + kMaxFutureMillis)
    return Status::DataError(
        fmt::format("{} '{}' is more than 5 minutes in the future", time_field, FormatRfc3339(e.timestamp)));
  return Status::OK();
}

}  // namespace meter::ingest
