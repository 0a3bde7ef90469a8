// Invoice inputs built by hand for the billing unit tests.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "billing/invoice.h"

namespace meter::testing {

// Appends to `in` a segment of `plan` over `period`, in force `days` days,
// with `usage` (meter key -> quantity); the rest of the segment as
// UsageSegment defaults it (all days paid, no trial, no slices).
inline billing::UsageSegment& AddSegment(billing::InvoiceInputs& in, const catalog::Plan& plan, const Period& period,
                                         int days, std::map<std::string, Decimal> usage = {}) {
  billing::UsageSegment& seg = in.segments.emplace_back();
  seg.plan = plan;
  seg.period = period;
  seg.days = days;
  seg.usage = std::move(usage);
  return seg;
}

}  // namespace meter::testing
