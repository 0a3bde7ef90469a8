#include "core/json_util.h"

#include <string>

#include <doctest/doctest.h>

namespace meter {
namespace {

using nlohmann::json;

TEST_CASE("json_util.decimals_from_json_numbers_are_exact") {
  CHECK(*DecimalFromJson(nlohmann::json::parse("0.00001")) == Dec("0.00001"));
  CHECK(*DecimalFromJson(nlohmann::json::parse("0.1")) == Dec("0.1"));
  CHECK(*DecimalFromJson(nlohmann::json::parse("1e3")) == Dec("1000"));
  CHECK(*DecimalFromJson(nlohmann::json::parse("123456.123456789")) == Dec("123456.123456789"));
  CHECK(*DecimalFromJson(nlohmann::json::parse("\"0.333333333333333333\"")) == Dec("0.333333333333333333"));
  CHECK(!DecimalFromJson(nlohmann::json::parse("0.12345678901234567")).ok());
  CHECK(!DecimalFromJson(nlohmann::json::parse("true")).ok());
  CHECK(*ParseDecimalNumberText("1.5e-3") == Dec("0.0015"));
  CHECK(*ParseDecimalNumberText("-2E2") == Dec("-200"));
  CHECK(!ParseDecimalNumberText("1e").ok());
}

TEST_CASE("json_util: JsonNumber prints every digit, never an exponent") {
  struct Case {
    const char* decimal;
    const char* printed;
  };
  const Case cases[] = {
      {"0", "0"}, {"-20", "-20"}, {"10000", "10000"}, {"0.6", "0.6"}, {"1000.5", "1000.5"}, {"1250.5", "1250.5"},
      {"3328.325063", "3328.325063"},                  // a double prints 3328.3250629999998
      {"1000000000.123456", "1000000000.123456"},      // 16 significant digits
      {"12345678901.234567", "12345678901.234567"},    // a double prints ...568
      {"0.0000001", "0.0000001"},                      // a double prints 1e-07
      {"100000000000000000000", "100000000000000000000"},  // beyond int64
      {"-0.000000000000000001", "-0.000000000000000001"},
      {"9223372036854775807", "9223372036854775807"},
  };
  for (const Case& c : cases) {
    const std::string decimal = c.decimal;
    CAPTURE(decimal);
    json j = JsonNumber(Dec(c.decimal));
    CHECK(DumpJson(j) == c.printed);
    CHECK(*DecimalFromJson(j) == Dec(c.decimal));
  }
  // Numbers a double prints exactly stay numbers for code that reads them so.
  CHECK(JsonNumber(Dec("0.5")).is_number_float());
  CHECK(JsonNumber(Dec("7")).is_number_integer());
  CHECK(IsRawNumber(JsonNumber(Dec("3328.325063"))));
  CHECK_FALSE(IsRawNumber(JsonNumber(Dec("0.5"))));
  CHECK_FALSE(IsRawNumber(json::binary({1, 2, 3})));
  CHECK(std::string(JsonTypeName(JsonNumber(Dec("3328.325063")))) == "number");
  CHECK(std::string(JsonTypeName(json("x"))) == "string");
}

TEST_CASE("json_util: DumpJson writes what nlohmann's dump writes") {
  const char* docs[] = {
      R"({})", R"([])", R"(null)", R"("x")", R"(true)", R"(-3)", R"(18446744073709551615)", R"(0.5)", R"(1e+300)",
      R"({"b":[1,2,{"c":[]}],"a":{"x":null,"y":"é \"q\" \n\t\u0001"},"e":{}})",
      R"([[[]],[{}],[1.25,-0.0,"",false]])",
      R"({"k\"ey":1,"tab\tkey":0,"é":-9223372036854775808,"plain_key":"plain value ~ DEL\u007f","n":[0,-1,true]})",
  };
  for (const char* text : docs) {
    CAPTURE(text);
    json j = json::parse(text);
    CHECK(DumpJson(j) == j.dump());
    CHECK(DumpJson(j, 2) == j.dump(2));
    CHECK(DumpJson(j, 4) == j.dump(4));
  }
}

TEST_CASE("json_util: DumpJson escapes a string as nlohmann does wherever the character needing it lies") {
  // Strings are scanned 8 bytes at a time: each character that needs
  // escaping or UTF-8 checks (and its neighbours that do not) at every
  // position of strings of 1 to 20 bytes.
  const std::string chars[] = {std::string(1, '\0'), "\x01", "\x1f", " ", "!", "\"", "#", "[", "\\", "]", "~", "\x7f", "\xc3\xa9"};
  for (const std::string& c : chars)
    for (size_t len = 1; len <= 20; ++len)
      for (size_t at = 0; at < len; ++at) {
        std::string s = std::string(at, 'a') + c + std::string(len - at - 1, 'b');
        CAPTURE(s);
        json j = {{"k", s}, {s, json::array({s, 1})}};
        CHECK(DumpJson(j) == j.dump());
      }
  // A string that is not UTF-8 is refused as nlohmann refuses it.
  CHECK_THROWS_AS(DumpJson(json("abcdefgh\xff")), json::type_error);
  // A document over the kept buffer's size, then a small one.
  json big = std::string(3 << 20, 'x');
  CHECK(DumpJson(big) == big.dump());
  CHECK(DumpJson(json("y")) == "\"y\"");
}

TEST_CASE("json_util: raw numbers print unquoted inside documents") {
  json j = {{"q", JsonNumber(Dec("3328.325063"))}, {"rows", json::array({JsonNumber(Dec("12345678901.234567"))})}};
  CHECK(DumpJson(j) == R"({"q":3328.325063,"rows":[12345678901.234567]})");
  CHECK(DumpJson(j, 2) == "{\n  \"q\": 3328.325063,\n  \"rows\": [\n    12345678901.234567\n  ]\n}");
  // A binary value that is not a raw number prints as nlohmann prints it.
  json other = json::binary({1}, 7);
  CHECK(DumpJson(other) == other.dump());
}

TEST_CASE("json_util: ParseJsonExact keeps every number as written") {
  auto j = ParseJsonExact(R"({"a": 0.2018234, "b": 9.757497431, "c": 3328.325063, "d": 0.5, "e": 7,
                              "f": 1000000000.123456, "g": 123456789012345678901234, "h": 1.5e3,
                              "i": 0.30000000000000000001})");
  REQUIRE(j.ok());
  CHECK(*DecimalFromJson(j->at("a")) == Dec("0.2018234"));
  CHECK(*DecimalFromJson(j->at("b")) == Dec("9.757497431"));
  CHECK(*DecimalFromJson(j->at("c")) == Dec("3328.325063"));
  CHECK(j->at("d").is_number_float());
  CHECK(j->at("e").is_number_integer());
  CHECK(*DecimalFromJson(j->at("f")) == Dec("1000000000.123456"));
  CHECK(IsRawNumber(j->at("g")));
  CHECK_FALSE(DecimalFromJson(j->at("g")).ok());  // beyond Decimal's range: refused, not rounded
  CHECK(*DecimalFromJson(j->at("h")) == Dec("1500"));
  CHECK_FALSE(DecimalFromJson(j->at("i")).ok());  // 20 decimal places
  // What it read prints back as written.
  CHECK(DumpJson(j->at("g")) == "123456789012345678901234");
  CHECK(DumpJson(j->at("c")) == "3328.325063");
}

TEST_CASE("json_util: SignificantDigits counts from the first non-zero digit") {
  CHECK(SignificantDigits("0.0012") == 2);
  CHECK(SignificantDigits("3328.3250629999998") == 17);
  CHECK(SignificantDigits("1e5") == 1);
  CHECK(SignificantDigits("-100.50") == 5);
  CHECK(SignificantDigits("0") == 0);
}

TEST_CASE("json_util: ParseJsonExact refuses what is not JSON") {
  CHECK(ParseJsonExact("// note\n[1]", true).ok());
  auto comment = ParseJsonExact("// note\n[1]");
  REQUIRE_FALSE(comment.ok());
  CHECK(comment.status().IsDataError());
  auto cut = ParseJsonExact("{\"a\": [");
  REQUIRE_FALSE(cut.ok());
  CHECK(cut.status().message().find("parse error") != std::string::npos);
  auto huge = ParseJsonExact("1e999");
  REQUIRE_FALSE(huge.ok());
  CHECK(huge.status().message().find("1e999") != std::string::npos);
}

}  // namespace
}  // namespace meter
