// Usage slices: one charge's usage split the way SPEC section 10 prices it.
// Each event of the charge's meter goes to the first of the charge's
// `filters` whose `where` it matches, else to the remainder; within a filter
// (or the remainder) `group_by` splits it by the value of an event field.
// Each slice is measured with the meter's own aggregation over its events
// only, so `max` and `unique_count` work per filter and per group.
//
// Slices are read from the stored events (not the hourly counters, which
// know no event fields) by usage::MeasureSlices (quantity.h), the one
// slicing pass; this unit orders them as invoice lines.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/decimal.h"
#include "core/status.h"
#include "core/time.h"
#include "store/database.h"
#include "usage/quantity.h"

namespace meter::usage {

struct UsageSlice {
  int filter = -1;                   // index in charge.filters; -1 = the remainder
  std::optional<std::string> group;  // the group's value (kNoGroupValue); nullopt when not grouped
  Decimal quantity;                  // the meter's aggregation over the slice's events
  int64_t events = 0;                // how many events the slice took
};

// True when `charge` prices its usage in slices (it has filters or a group_by).
bool IsSliced(const catalog::Charge& charge);

// The slices of `charge`'s usage by `tenant` in `p`, in invoice line order:
// the filters in catalog order, then the remainder; within each, groups in
// byte order of their values with kNoGroupValue last. Only slices that took
// events are listed; with none at all, one empty remainder slice (grouped:
// nullopt group), so a charge still has a line. DataError for an unknown
// meter or an event whose value the meter cannot read.
Result<std::vector<UsageSlice>> MeasureSlices(store::Database& db, const catalog::Catalog& c,
                                              const std::string& tenant, const catalog::Charge& charge,
                                              const Period& p);

// One charge's slices to measure: `charge` (which must outlive the call)
// over `tenant`'s `period`.
struct ChargeSliceRequest {
  const catalog::Charge* charge = nullptr;
  std::string tenant;
  Period period;
};

// MeasureSlices for many requests at once (invoice generate: every tenant's
// sliced charges): the requests of charges with the same meter and the same
// filters and groups, whichever plan they are in, share one pass over the
// events, so the cost grows with the events read, not with tenants x events.
// The result for each request, in order, equals MeasureSlices of that
// request alone.
Result<std::vector<std::vector<UsageSlice>>> MeasureSlices(store::Database& db, const catalog::Catalog& c,
                                                           const std::vector<ChargeSliceRequest>& requests);

}  // namespace meter::usage
