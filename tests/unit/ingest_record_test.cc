// What every record format shares (ingest/record.h): format names, exact
// quantities in millionths, and one-line excerpts for reasons.
#include <string>

#include <doctest/doctest.h>

#include "ingest/record.h"

namespace meter::ingest {
namespace {

TEST_CASE("ingest.parse_micros_table") {
  CHECK(*ParseMicros("5", "q") == 5000000);
  CHECK(*ParseMicros("+5", "q") == 5000000);
  CHECK(*ParseMicros("007", "q") == 7000000);
  CHECK(*ParseMicros("0.0000010", "q") == 1);
  CHECK(ParseMicros("5.", "q").status().message() == "q '5.' is not a number");
  CHECK(ParseMicros(".5", "q").status().message() == "q '.5' is not a number");
  CHECK(ParseMicros("1,000", "q").status().message() == "q '1,000' is not a number");
  CHECK(ParseMicros("NaN", "q").status().message() == "q 'NaN' is not a number");
  CHECK(ParseMicros(" 5", "q").status().message() == "q ' 5' is not a number");
  CHECK(ParseMicros("9999999999999", "q").status().message() == "q '9999999999999' is too large");
  CHECK(ParseMicros("-1e2", "q").status().message() == "q must be non-negative");
}

TEST_CASE("ingest.excerpt_keeps_reasons_on_one_line") {
  CHECK(Excerpt("abc") == "abc");
  CHECK(Excerpt("a\nb\tc") == "a\\nb\\tc");
  CHECK(Excerpt(std::string(100, 'x')) == std::string(60, 'x') + "...");
  CHECK(Excerpt(std::string(59, 'x') + "\xc3\xa9") == std::string(59, 'x') + "...");
}

TEST_CASE("ingest.format_names") {
  CHECK(*ParseFormat("auto") == Format::kAuto);
  CHECK(*ParseFormat("ndjson") == Format::kNdjson);
  CHECK(*ParseFormat("csv") == Format::kCsv);
  CHECK(*ParseFormat("cloudevents") == Format::kCloudEvents);
  CHECK(*ParseFormat("lago") == Format::kLago);
  CHECK(ParseFormat("xml").status().IsInvalidArgument());
}

}  // namespace
}  // namespace meter::ingest
