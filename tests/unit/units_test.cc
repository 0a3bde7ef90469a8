#include "usage/units.h"

#include <doctest/doctest.h>

#include "core/json_util.h"

namespace meter::usage {
namespace {

TEST_CASE("units: micro-units convert exactly both ways") {
  CHECK(FromMicros(1500000) == Dec("1.5"));
  CHECK(FromMicros(1) == Dec("0.000001"));
  CHECK(FromMicros(1000000000123456) == Dec("1000000000.123456"));
  CHECK(*ToMicros(Dec("12345678901.234567"), "quantity") == 12345678901234567);
  CHECK(*ToMicros(Dec("0"), "quantity") == 0);
  CHECK(ToMicros(Dec("0.0000001"), "quantity").status().message() == "quantity has more than 6 decimal places: 0.0000001");
  CHECK(ToMicros(Dec("-1"), "--amount").status().message() == "--amount must not be negative, got -1");
  CHECK(ToMicros(Dec("10000000000000"), "quantity").status().IsInvalidArgument());  // beyond int64 micros
}

TEST_CASE("units: seconds print as exact JSON numbers") {
  CHECK(DumpJson(SecondsJson(600000)) == "0.6");
  CHECK(DumpJson(SecondsJson(12000000)) == "12");
  CHECK(DumpJson(SecondsJson(1)) == "0.000001");
  CHECK(DumpJson(SecondsJson(1234567891)) == "1234.567891");
}

}  // namespace
}  // namespace meter::usage
