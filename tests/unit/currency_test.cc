// ISO 4217 minor units (core/currency.h): the table's edges and odd cases
// found by its binary search, and codes it does not know.
#include <doctest/doctest.h>

#include "core/currency.h"

namespace meter {
namespace {

TEST_CASE("currency: minor units of listed codes, nothing for others") {
  CHECK(IsoMinorUnit("USD") == 2);
  CHECK(IsoMinorUnit("EUR") == 2);
  CHECK(IsoMinorUnit("JPY") == 0);
  CHECK(IsoMinorUnit("KWD") == 3);
  CHECK(IsoMinorUnit("CLF") == 4);
  CHECK(IsoMinorUnit("UYW") == 4);
  CHECK(IsoMinorUnit("AED") == 2);  // the first entry
  CHECK(IsoMinorUnit("ZWL") == 2);  // the last
  CHECK(IsoMinorUnit("XCG") == 2);  // a code that replaces another (2025)
  for (const char* unknown : {"", "usd", "US", "USDX", "XYZ", "XAU", "AAA", "ZZZ"}) {
    CAPTURE(unknown);
    CHECK(!IsoMinorUnit(unknown));
  }
}

}  // namespace
}  // namespace meter
