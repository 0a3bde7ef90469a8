// Regression tests for what the libFuzzer targets (tests/fuzz) found: each
// case is the (minimised) input that broke an invariant or tripped a
// sanitizer, with the behaviour the fix gives.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/json_util.h"
#include "core/time.h"
#include "ingest/csv_record.h"
#include "ingest/record.h"

namespace meter {
namespace {

// fuzz_event_csv: a CSV cell that is not UTF-8 was accepted and stored, and
// `meter report usage --by user --json` then failed on it ("invalid UTF-8
// byte"). Rows and headers that are not UTF-8 are now rejected records.
TEST_CASE("fuzz: CSV rows and headers must be valid UTF-8") {
  ingest::CsvRecordParser csv;
  REQUIRE(csv.SetHeader("id,tenant,metric,timestamp,user").ok());
  ingest::RawRecord raw;
  Status bad = csv.Parse("e1,acme,api_calls,2026-02-04T14:32:15Z,us\xe5r", &raw);
  CHECK(bad.IsDataError());
  CHECK(bad.message() == "record is not valid UTF-8");
  CHECK(csv.Parse("e1,acme,api_calls,2026-02-04T14:32:15Z,\xed\xa0\x80", &raw).IsDataError());  // a surrogate
  REQUIRE(csv.Parse("e1,acme,api_calls,2026-02-04T14:32:15Z,us\xc3\xa9r \xf0\x9f\x98\x80", &raw).ok());
  CHECK(raw.user.text == "us\xc3\xa9r \xf0\x9f\x98\x80");

  ingest::CsvRecordParser bad_header;
  Status header = bad_header.SetHeader("tenant,metric,timestamp,r\xffgion");
  CHECK(header.IsDataError());
  CHECK(header.message() == "not valid UTF-8");
  CHECK_FALSE(bad_header.has_header());
}

// fuzz_decimal: a JSON number with more digits than a double carries was
// silently rounded (0.999999999999999999 became a price of 1); the catalog
// then refused such numbers, and with them valid prices like 0.2018234
// (issue 12). Catalog numbers are now read from their source text, so they
// are exact as written; only what a Decimal cannot hold is refused, with its
// path.
TEST_CASE("fuzz: catalog numbers are read exactly from their text") {
  const std::string prefix = R"({"meters":[{"key":"m"}],"plans":[{"key":"p","charges":[{"meter":"m","unit_price":)";
  auto long_number = catalog::ParseCatalog(prefix + "0.999999999999999999}]}]}");
  REQUIRE(long_number.ok());
  CHECK(long_number->plans[0].charges[0].unit_price == Dec("0.999999999999999999"));

  auto as_string = catalog::ParseCatalog(prefix + "\"0.999999999999999999\"}]}]}");
  REQUIRE(as_string.ok());
  CHECK(as_string->plans[0].charges[0].unit_price == Dec("0.999999999999999999"));
  // Long but exact literals, and exponents, are still read as written.
  auto exact = catalog::ParseCatalog(prefix + "0.10000000000000000, \"included\": 1.5e3}]}]}");
  REQUIRE(exact.ok());
  CHECK(exact->plans[0].charges[0].unit_price == Dec("0.1"));
  CHECK(exact->plans[0].charges[0].included == Dec("1500"));

  auto too_fine = catalog::ParseCatalog(prefix + "0.30000000000000000001}]}]}");
  REQUIRE_FALSE(too_fine.ok());
  CHECK(too_fine.status().IsDataError());
  CHECK(too_fine.status().message().starts_with("plans[0].charges[0].unit_price: "));
  CHECK(ParseJsonExact("// comment\n{\"a\": 0.00001, \"b\": 1e-05, \"c\": 18446744073709551615}", true).ok());
}

// fuzz_decimal: exponent notation accepted what plain notation refuses
// (".5e1", "5.e0", "++5e3", "+-5e3"); ingest read such quantities.
TEST_CASE("fuzz: exponent notation follows the plain decimal grammar") {
  for (const char* bad : {".5e1", "5.e0", "-.5e1", "++5e3", "+-5e3", "-+5e3", "1-2e3", ".e1"})
    CHECK_MESSAGE(!ParseDecimalNumberText(bad).ok(), bad);
  CHECK(*ParseDecimalNumberText("+5e3") == Dec("5000"));
  CHECK(*ParseDecimalNumberText("-1.5e-3") == Dec("-0.0015"));
  CHECK(*ParseDecimalNumberText("0.5E+1") == Dec("5"));
  CHECK(ingest::ParseMicros(".5e1", "quantity").status().message() == "quantity '.5e1' is not a number");
}

// fuzz_catalog: "per": "999999999999d" overflowed int64 (undefined
// behaviour), and "99999999999d" parsed but was stored as a 19-digit "...ms"
// that the catalog could not read back. Durations stop at 12 digits of ms.
TEST_CASE("fuzz: rate-limit durations neither overflow nor outgrow their stored form") {
  CHECK(ParseDuration("999999999999d").status().message() == "duration '999999999999d' is too long (at most 31 years)");
  CHECK_FALSE(ParseDuration("99999999999d").ok());
  CHECK(*ParseDuration("999999999999ms") == 999999999999);
  CHECK(*ParseDuration("11574d") == 11574 * kMillisPerDay);
  CHECK_FALSE(ParseDuration("11575d").ok());

  auto c = catalog::ParseCatalog(R"({"plans":[{"key":"p","rate_limit":{"capacity":1,"per":"11574d"}}]})");
  REQUIRE(c.ok());
  auto again = catalog::ParseCatalog(DumpJson(catalog::ToJson(*c)));
  REQUIRE(again.ok());
  CHECK(again->plans[0].rate_limit->per_ms == 11574 * kMillisPerDay);
  CHECK(catalog::ParseCatalog(R"({"plans":[{"key":"p","rate_limit":{"capacity":1,"per":"99999999999d"}}]})")
            .status()
            .message() == "plans[0].rate_limit.per: duration '99999999999d' is too long (at most 31 years)");
}

// fuzz_catalog: a number beyond double's range made nlohmann throw
// out_of_range (not parse_error) out of ParseCatalog, and `meter catalog
// apply` ended with "internal error" (exit 74) instead of a data error.
TEST_CASE("fuzz: a catalog number beyond double's range is a data error") {
  auto c = catalog::ParseCatalog(R"({"tax":{"rate":1e999}})");
  REQUIRE_FALSE(c.ok());
  CHECK(c.status().IsDataError());
  CHECK(c.status().message().find("number overflow parsing '1e999'") != std::string::npos);
}

}  // namespace
}  // namespace meter
