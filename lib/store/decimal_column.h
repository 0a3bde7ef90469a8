// Internal to lib/store: exact decimals kept as TEXT columns.
#pragma once

#include <stdexcept>
#include <string>

#include "core/decimal.h"
#include "store/statement.h"

namespace meter::store {

// The TEXT column as a Decimal; throws (turned into a Status by Guarded) when
// the stored text is not a decimal, which only a damaged file can cause.
inline Decimal DecimalColumn(const Column& c) {
  auto d = Decimal::Parse(c.isNull() ? std::string("0") : c.getString());
  if (!d.ok()) throw std::runtime_error("stored amount is not a decimal: " + d.status().message());
  return *d;
}

}  // namespace meter::store
