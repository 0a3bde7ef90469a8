// Exact usage over any [start, end) (SPEC 1, 2, 10): how much of a meter a
// tenant used, for quotas, alerts, invoices, reports and forecasts alike.
//
// The whole UTC hours of a period are read from the hourly counters ingest
// keeps; the partial hours at either end are read from the raw events,
// through the meter's one definition (ingest/meters.h), and combined with
// the counters by the meter's aggregation. So months in Asia/Kolkata
// (+05:30), Asia/Kathmandu (+05:45) or America/St_Johns (-03:30) and plan
// changes off the hour count exactly, and a period of whole hours costs one
// counter read, whatever the number of stored events. Voided events count
// nowhere. Every function reads only, inside the caller's transaction when
// there is one.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "ingest/meters.h"
#include "store/database.h"

namespace meter::usage {

// Meter `m`'s value for `tenant` over `p` (0 when nothing counted).
Result<Decimal> MeterQuantity(store::Database& db, const std::string& tenant, const catalog::Meter& m,
                              const Period& p);

// The same with how it was reached (events counted; latest meters: the time
// of the value kept): for roll-up buckets.
Result<ingest::MeterValue> MeterValueOver(store::Database& db, const std::string& tenant, const catalog::Meter& m,
                                          const Period& p);

// The same for each of `buckets` (periods of one tenant, in any order; they
// may overlap, e.g. the hours and the days of a roll-up), in order. One
// counter read covers the whole hours of them all; raw events are read only
// for a bucket's partial hours. So a report of 31 daily buckets costs one
// read per meter, not 31.
Result<std::vector<ingest::MeterValue>> MeterValuesIn(store::Database& db, const std::string& tenant,
                                                      const catalog::Meter& m, const std::vector<Period>& buckets);

// The same for every tenant with usage in `p` (tenants without are absent), in one pass.
Result<std::map<std::string, Decimal>> MeterQuantities(store::Database& db, const catalog::Meter& m,
                                                       const Period& p);

// ---- quantities split by charge filters and groups (SPEC 10) ----

// A condition of a charge filter: the event's `field` (as a meter's `where`
// names fields: a native field or "properties.a.b") equals one of `values`
// (numbers compare as numbers, as in `where`).
struct FieldIn {
  std::string field;
  std::vector<std::string> values;
  friend bool operator==(const FieldIn&, const FieldIn&) = default;
};

// One charge filter: the events meeting every condition, priced per value
// of `group_by` when it is not "".
struct SliceFilter {
  std::vector<FieldIn> where;
  std::string group_by;
  friend bool operator==(const SliceFilter&, const SliceFilter&) = default;
};

// How one charge splits its meter's events: each event goes to the first
// filter it matches; the rest (the remainder) are grouped by
// `remainder_group_by` when it is not "".
struct SliceSpec {
  std::vector<SliceFilter> filters;
  std::string remainder_group_by;
  friend bool operator==(const SliceSpec&, const SliceSpec&) = default;
};

// Which slice: `filter` is the index into SliceSpec::filters, or -1 for the
// remainder; `group` the group's value, kNoGroupValue when the event lacks
// the field, "" when the slice is not grouped.
struct SliceKey {
  int filter = -1;
  std::string group;
  friend auto operator<=>(const SliceKey&, const SliceKey&) = default;
};
inline constexpr const char* kNoGroupValue = "(none)";

// One tenant's period to measure (a tenant may be asked for several periods:
// plan segments).
struct SliceRequest {
  std::string tenant;
  Period period;
};

// For each request, in order, the meter's value per slice with usage (the
// meter's own aggregation over that slice's events only: max and
// unique_count per filter and group; MeterValue::events() how many events
// the slice took). One pass over the raw events of the union of the
// requested periods, whatever the number of requests.
Result<std::vector<std::map<SliceKey, ingest::MeterValue>>> MeasureSlices(store::Database& db,
                                                                          const catalog::Meter& m,
                                                                          const SliceSpec& spec,
                                                                          const std::vector<SliceRequest>& requests);

}  // namespace meter::usage
