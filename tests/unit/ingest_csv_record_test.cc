// CSV records (ingest/csv_record.h): RFC 4180 splitting, columns to native
// fields and properties, refusals.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "ingest/csv_record.h"
#include "ingest/record.h"

namespace meter::ingest {
namespace {

TEST_CASE("ingest.csv_split_rfc4180") {
  std::vector<std::string_view> cells;
  std::string scratch;
  REQUIRE(SplitCsvLine(R"(a,"b,c","say ""hi""",,e)", &cells, &scratch).ok());
  REQUIRE(cells.size() == 5);
  CHECK(cells[0] == "a");
  CHECK(cells[1] == "b,c");
  CHECK(cells[2] == "say \"hi\"");
  CHECK(cells[3] == "");
  CHECK(cells[4] == "e");
  REQUIRE(SplitCsvLine("a,", &cells, &scratch).ok());
  CHECK(cells.size() == 2);
  CHECK(SplitCsvLine(R"(a,"b)", &cells, &scratch).message() == "bad CSV quoting: unterminated quoted field");
  CHECK(SplitCsvLine(R"(a,b"c)", &cells, &scratch).message() == "bad CSV quoting: '\"' inside an unquoted field");
  CHECK(SplitCsvLine(R"(a,"b"c)", &cells, &scratch).message() == "bad CSV quoting: text after a closing quote");
}

TEST_CASE("ingest.csv_columns_and_properties") {
  CsvRecordParser csv;
  REQUIRE(csv.SetHeader("id,tenant,metric,quantity,timestamp,user,latency_ms,cost,tokens,region,properties.tier").ok());
  RawRecord raw;
  Event e;
  REQUIRE(csv.Parse("e1,acme,llm,2.5,2026-02-01T00:00:00Z,u1,120,0.01,150,eu-west,007", &raw).ok());
  REQUIRE(ToEvent(raw, &e).ok());
  CHECK(e.id == "e1");
  CHECK(e.tenant == "acme");
  CHECK(e.quantity_micros == 2500000);
  CHECK(e.timestamp == 1769904000000);
  CHECK(e.latency_ms == 120);
  CHECK(e.cost == "0.01");
  CHECK(e.properties == R"({"tokens":150,"region":"eu-west","tier":"007"})");

  REQUIRE(csv.Parse(",acme,llm,,1769904000,,,,,,", &raw).ok());
  REQUIRE(ToEvent(raw, &e).ok());
  CHECK(e.id.rfind("sha256:", 0) == 0);  // empty cells are absent
  CHECK(e.quantity_micros == 1000000);
  CHECK(e.properties == "");

  CHECK(csv.Parse("e1,acme,llm", &raw).message() == "CSV row has 3 fields, the header has 11");
  CHECK(csv.Parse(R"(e1,acme,"llm,2.5,2026,u1,120,0.01,150,eu,x)", &raw).message() ==
        "bad CSV quoting: unterminated quoted field");
  REQUIRE(csv.Parse(",,llm,,1769904000,,,,,,", &raw).ok());
  CHECK(ToEvent(raw, &e).message() == "missing required field 'tenant'");

  CsvRecordParser with_object;
  REQUIRE(with_object.SetHeader("tenant,metric,timestamp,properties,region").ok());
  REQUIRE(with_object.Parse(R"(acme,llm,1,"{""tokens"":5,""region"":""x""}",eu)", &raw).ok());
  REQUIRE(ToEvent(raw, &e).ok());
  CHECK(e.properties == R"({"region":"eu","tokens":5})");
  CHECK(with_object.Parse(R"(acme,llm,1,"{""tokens"":}",eu)", &raw).message().rfind("properties: malformed JSON", 0) == 0);
}

}  // namespace
}  // namespace meter::ingest
