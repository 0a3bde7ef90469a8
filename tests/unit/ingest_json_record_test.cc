// JSON record parsing: native NDJSON, CloudEvents, Lago, per-record format
// detection, field checks and content ids of records without one.
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "ingest/json_record.h"
#include "ingest/record.h"

namespace meter::ingest {
namespace {

// Parses `line` as a JSON record and converts it; "error: <reason>" on failure.
struct Parsed {
  std::string error;
  RawRecord raw;
  Event event;
};

Parsed ParseJson(const std::string& line, Format format = Format::kAuto) {
  static JsonRecordParser parser;
  static std::string buf;
  buf = line;
  buf.append(kJsonPadding, '\0');
  Parsed p;
  std::string_view text(buf.data(), line.size());
  Status st = parser.Parse(text, format, &p.raw);
  if (st.ok()) st = ToEvent(p.raw, &p.event);
  if (!st.ok()) p.error = st.message();
  return p;
}

std::string ErrorOf(const std::string& line, Format format = Format::kAuto) {
  Parsed p = ParseJson(line, format);
  return p.error.empty() ? "ok" : p.error;
}

TEST_CASE("ingest.native_record_every_field") {
  Parsed p = ParseJson(
      R"({"id":"evt_123","tenant":"acme","metric":"api_calls","quantity":1.5,)"
      R"("timestamp":"2026-02-04T14:32:15Z","user":"user_123","operation":"email_analysis",)"
      R"("status":"success","latency_ms":245,"cost":"0.005","properties":{"tokens":150}})");
  REQUIRE(p.error == "");
  CHECK(p.raw.format == Format::kNdjson);
  CHECK(p.event.id == "evt_123");
  CHECK(p.event.tenant == "acme");
  CHECK(p.event.metric == "api_calls");
  CHECK(p.event.quantity_micros == 1500000);
  CHECK(p.event.timestamp == 1770215535000);
  CHECK(p.event.user == "user_123");
  CHECK(p.event.operation == "email_analysis");
  CHECK(p.event.status == "success");
  CHECK(p.event.latency_ms == 245);
  CHECK(p.event.cost == "0.005");
  CHECK(p.event.properties == R"({"tokens":150})");
}

TEST_CASE("ingest.native_record_defaults_and_spellings") {
  Parsed p = ParseJson(R"({"id":"a","tenant":"t","metric":"m","timestamp":1770215535})");
  REQUIRE(p.error == "");
  CHECK(p.event.quantity_micros == 1000000);  // quantity defaults to 1
  CHECK(p.event.timestamp == 1770215535000);  // Unix seconds
  CHECK(p.event.user == "");
  CHECK(!p.event.latency_ms.has_value());
  CHECK(p.event.cost == "");
  CHECK(p.event.properties == "");

  CHECK(ParseJson(R"({"id":"a","tenant":"t","metric":"m","timestamp":1770215535123})").event.timestamp ==
        1770215535123);  // milliseconds
  CHECK(ParseJson(R"({"id":"a","tenant":"t","metric":"m","timestamp":"2026-02-04T15:32:15+01:00"})")
            .event.timestamp == 1770215535000);
  CHECK(ParseJson(R"({"id":"a","tenant":"t","metric":"m","timestamp":"1770215535"})").event.timestamp ==
        1770215535000);
  CHECK(ParseJson(R"({"id":"a","tenant":"t","metric":"m","timestamp":1,"quantity":"12.25"})")
            .event.quantity_micros == 12250000);  // decimal string
  CHECK(ParseJson(R"({"id":"a","tenant":"t","metric":"m","timestamp":1,"quantity":null})")
            .event.quantity_micros == 1000000);
  CHECK(ParseJson(R"({"id":"a","tenant":"t","metric":"m","timestamp":1,"cost":0.10})").event.cost == "0.1");
  CHECK(ParseJson(R"({"id":7,"tenant":"t","metric":"m","timestamp":1})").event.id == "7");
  // Unknown fields are ignored.
  CHECK(ErrorOf(R"({"id":"a","tenant":"t","metric":"m","timestamp":1,"extra":{"x":[1,2]}})") == "ok");
  // Whitespace between tokens is fine.
  CHECK(ErrorOf(R"( { "id" : "a" , "tenant" : "t" , "metric" : "m" , "timestamp" : 1 } )") == "ok");
}

TEST_CASE("ingest.quantities_stay_exact") {
  struct Case {
    const char* quantity;
    int64_t micros;
  };
  const Case cases[] = {
      {"0.1", 100000},        {"0.000001", 1},          {"123456.789012", 123456789012},
      {"\"0.3\"", 300000},    {"1e3", 1000000000},      {"2.5E-3", 2500},
      {"0", 0},               {"-0", 0},                {"1.500000000", 1500000},
      {"999999999999", 999999999999000000},             {"\"9223372.036854\"", 9223372036854},
  };
  for (const Case& c : cases) {
    CAPTURE(c.quantity);
    Parsed p = ParseJson(std::string(R"({"tenant":"t","metric":"m","timestamp":1,"quantity":)") + c.quantity + "}");
    REQUIRE(p.error == "");
    CHECK(p.event.quantity_micros == c.micros);
  }
}

TEST_CASE("ingest.bad_records_refused_with_one_reason_each") {
  struct Case {
    const char* line;
    const char* reason;
  };
  const Case cases[] = {
      {R"({"tenant":"t","metric":"m"})", "missing required field 'timestamp'"},
      {R"({"metric":"m","timestamp":1})", "missing required field 'tenant'"},
      {R"({"tenant":"t","timestamp":1})", "missing required field 'metric'"},
      {R"({"tenant":null,"metric":"m","timestamp":1})", "missing required field 'tenant'"},
      {R"({"tenant":42,"metric":"m","timestamp":1})", "tenant must be a string"},
      {R"({"tenant":"","metric":"m","timestamp":1})", "tenant must not be empty"},
      {R"({"tenant":"t","metric":["m"],"timestamp":1})", "metric must be a string"},
      {R"({"tenant":"t","metric":"m","timestamp":"2026-13-01"})", "timestamp '2026-13-01' is not a valid time"},
      {R"({"tenant":"t","metric":"m","timestamp":"2026-02-30T10:00:00Z"})",
       "timestamp '2026-02-30T10:00:00Z' is not a valid time"},
      {R"({"tenant":"t","metric":"m","timestamp":"not-a-time"})", "timestamp 'not-a-time' is not a valid time"},
      {R"({"tenant":"t","metric":"m","timestamp":1.5})", "timestamp '1.5' is not a valid time"},
      {R"({"tenant":"t","metric":"m","timestamp":-5})", "timestamp '-5' is not a valid time"},
      {R"({"tenant":"t","metric":"m","timestamp":true})", "timestamp must be an RFC 3339 time or Unix seconds"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"quantity":-1})", "quantity must be non-negative"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"quantity":"-0.5"})", "quantity must be non-negative"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"quantity":"lots"})", "quantity 'lots' is not a number"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"quantity":""})", "quantity '' is not a number"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"quantity":[3]})", "quantity must be a number"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"quantity":true})", "quantity must be a number"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"quantity":0.1234567})",
       "quantity '0.1234567' has more than 6 decimal places"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"quantity":1e30})", "quantity '1e30' is too large"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"latency_ms":"fast"})", "latency_ms 'fast' is not a number"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"latency_ms":-3})", "latency_ms must be non-negative"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"latency_ms":2.5})",
       "latency_ms '2.5' must be a whole number of milliseconds"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"latency_ms":{}})", "latency_ms must be a number"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"cost":"cheap"})", "cost 'cheap' is not a decimal number"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"cost":"-1.00"})", "cost must be non-negative"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"properties":[1]})", "properties must be a JSON object"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"properties":"x"})", "properties must be a JSON object"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"user":{"id":1}})", "user must be a string"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"operation":false})", "operation must be a string"},
      {R"({"tenant":"t","metric":"m","timestamp":1,"status":[]})", "status must be a string"},
      {R"({"id":{"x":1},"tenant":"t","metric":"m","timestamp":1})", "id must be a string"},
      {R"({"id":"","tenant":"t","metric":"m","timestamp":1})", "id must not be empty"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.line);
    CHECK(ErrorOf(c.line) == c.reason);
  }
}

TEST_CASE("ingest.malformed_json_refused") {
  const char* lines[] = {
      R"({"tenant":"t","metric":"m","timestamp":1)",           // truncated
      R"({"tenant":"t","metric":"m","timestamp":1,})",          // trailing comma
      R"({'tenant':'t'})",                                       // single quotes
      R"({"tenant":"t" "metric":"m"})",                          // missing comma
      R"({"tenant":"t","metric":"m","timestamp":1} trailing)",  // text after the object
      R"({"tenant":"t","metric":"m","timestamp":1}{"a":1})",    // two objects
      R"({"tenant":"t","metric":"m","timestamp":tru})",         // bad literal
      R"({"tenant":"t","metric":"m","timestamp":1,"quantity":1.})",  // bad number
      R"({"tenant":"unterminated,"metric":"m","timestamp":1})",
      R"({"tenant":"t","metric":"m","timestamp":1,"properties":{"a":[1,tru]}})",  // nested
      R"({"tenant":"t","metric":"m","timestamp":1,"properties":{"a":01}})",
      "{\"tenant\":\"\xff\",\"metric\":\"m\",\"timestamp\":1}",  // invalid UTF-8
  };
  for (const char* line : lines) {
    CAPTURE(line);
    std::string e = ErrorOf(line);
    CHECK(e.find("malformed JSON") != std::string::npos);
  }
  CHECK(ErrorOf("[1,2,3]") == "record is not a JSON object (found an array)");
  CHECK(ErrorOf("42") == "record is not a JSON object (found a number)");
  CHECK(ErrorOf("\"text\"") == "record is not a JSON object (found a string)");
  CHECK(ErrorOf("null") == "record is not a JSON object (found null)");
}

// Native properties are checked in the record's own pass and kept as the
// span they took up; a malformed object is reported as when it was checked
// in a second pass after the record was read.
TEST_CASE("ingest.native_properties_kept_as_written_and_checked_whole") {
  const std::string head = R"({"tenant":"t","metric":"m","timestamp":1,)";
  CHECK(ParseJson(head + R"("properties" : { "a" : [1, {"b":"x\"y"}] , "c":null }  ,"user":"u"})").event.properties ==
        R"({ "a" : [1, {"b":"x\"y"}] , "c":null })");
  CHECK(ParseJson(head + R"("properties":{"k":{"deep":[true,false]}}})").event.properties ==
        R"({"k":{"deep":[true,false]}})");
  CHECK(ParseJson(head + "\"properties\":{\"x\":1}  \t }").event.properties == R"({"x":1})");
  CHECK(ParseJson(head + R"("properties":{}})").event.properties == "{}");

  std::string deep;
  for (int i = 0; i < 70; ++i) deep += R"({"a":)";
  deep += "1" + std::string(70, '}');
  const std::pair<std::string, std::string> cases[] = {
      {head + R"("properties":{"a":[1,tru]}})",
       "properties: malformed JSON: unexpected character (missing comma, colon or quote?)"},
      {head + R"("properties":{"a":01}})", "properties: malformed JSON: invalid number"},
      {head + R"("properties":{"a":"\x"}})", "properties: malformed JSON: invalid escape in a string"},
      {head + R"("properties":)" + deep + "}", "properties: malformed JSON: nested too deeply"},
      // Broken around the properties too: the record's own reason.
      {R"({"properties":{"a":tru},"tenant":)", "malformed JSON: unexpected end of record (unclosed object or array)"},
      {R"({"properties":{"a":1,"tenant":"t"})", "malformed JSON: unexpected character (missing comma, colon or quote?)"},
      {head + R"("properties":{"a" 1}})", "malformed JSON: unexpected character (missing comma, colon or quote?)"},
      {head + R"("properties":{"a":1}} x)", "malformed JSON: unexpected text after the object"},
  };
  for (const auto& [line, reason] : cases) {
    CAPTURE(line);
    CHECK(ErrorOf(line) == reason);
  }
}

TEST_CASE("ingest.cloudevents_map_to_native_fields") {
  Parsed p = ParseJson(
      R"({"specversion":"1.0","id":"ce_1","source":"/svc/ai","type":"ai_requests","subject":"umbrella",)"
      R"("time":"2026-02-01T17:38:52Z","datacontenttype":"application/json",)"
      R"("data":{"quantity":2,"user":"u2","operation":"email_analysis","status":"success",)"
      R"("latency_ms":590,"cost":"0.002","tokens":12,"model":"x\"y","tags":["a",{"b":null}]}})");
  REQUIRE(p.error == "");
  CHECK(p.raw.format == Format::kCloudEvents);
  CHECK(p.event.id == "ce_1");  // deduplicated by (id, source)
  CHECK(p.event.source == "/svc/ai");
  CHECK(p.event.tenant == "umbrella");
  CHECK(p.event.metric == "ai_requests");
  CHECK(p.event.timestamp == 1769967532000);
  CHECK(p.event.quantity_micros == 2000000);
  CHECK(p.event.user == "u2");
  CHECK(p.event.operation == "email_analysis");
  CHECK(p.event.status == "success");
  CHECK(p.event.latency_ms == 590);
  CHECK(p.event.cost == "0.002");
  // The other data fields become the properties.
  CHECK(p.event.properties == R"({"tokens":12,"model":"x\"y","tags":["a",{"b":null}]})");

  Parsed bare = ParseJson(R"({"specversion":"1.0","id":"1","source":"s","type":"m","subject":"t","time":1})");
  REQUIRE(bare.error == "");
  CHECK(bare.event.quantity_micros == 1000000);
  CHECK(bare.event.properties == "");

  CHECK(ErrorOf(R"({"specversion":"0.3","id":"1","source":"s","type":"m","subject":"t","time":1})") ==
        "unsupported CloudEvents specversion '0.3' (1.0 is supported)");
  CHECK(ErrorOf(R"({"specversion":"1.0","id":"1","source":"s","type":"m","time":1})") ==
        "missing required field 'subject'");
  CHECK(ErrorOf(R"({"specversion":"1.0","id":"1","source":"s","type":"m","subject":"t"})") ==
        "missing required field 'time'");
  CHECK(ErrorOf(R"({"specversion":"1.0","id":"1","source":"s","type":"m","subject":"t","time":1,"data":"x"})") ==
        "data must be a JSON object");
  CHECK(ErrorOf(R"({"specversion":"1.0","id":"1","source":"s","type":"m","subject":"t","time":1,)"
                R"("data":{"quantity":-2}})") == "data.quantity must be non-negative");
  CHECK(ErrorOf(R"({"id":"1","tenant":"t","metric":"m","timestamp":1})", Format::kCloudEvents) ==
        "missing required field 'specversion'");
}

TEST_CASE("ingest.lago_events_map_to_native_fields") {
  Parsed p = ParseJson(
      R"({"transaction_id":"txn_1","external_customer_id":"umbrella","code":"ai_requests",)"
      R"("timestamp":1769964641,"properties":{"quantity":"3.5","user":"u1","operation":"email_analysis",)"
      R"("status":"success","latency_ms":603,"cost":"0.002","region":"eu"}})");
  REQUIRE(p.error == "");
  CHECK(p.raw.format == Format::kLago);
  CHECK(p.event.id == "txn_1");
  CHECK(p.event.tenant == "umbrella");
  CHECK(p.event.metric == "ai_requests");
  CHECK(p.event.timestamp == 1769964641000);
  CHECK(p.event.quantity_micros == 3500000);
  CHECK(p.event.user == "u1");
  CHECK(p.event.operation == "email_analysis");
  CHECK(p.event.latency_ms == 603);
  CHECK(p.event.cost == "0.002");
  CHECK(p.event.properties.find("\"region\":\"eu\"") != std::string::npos);

  Parsed sub = ParseJson(
      R"({"transaction_id":"txn_2","external_subscription_id":"acme","code":"api_calls","timestamp":"2026-02-01T00:00:00Z"})");
  REQUIRE(sub.error == "");
  CHECK(sub.event.tenant == "acme");
  CHECK(sub.event.quantity_micros == 1000000);

  CHECK(ErrorOf(R"({"transaction_id":"x","code":"m","timestamp":1})") ==
        "missing required field 'external_customer_id'");
  CHECK(ErrorOf(R"({"transaction_id":"x","external_customer_id":"t","timestamp":1})") ==
        "missing required field 'code'");
  CHECK(ErrorOf(R"({"transaction_id":"x","external_customer_id":"t","code":"m","timestamp":1,"properties":3})") ==
        "properties must be a JSON object");
  CHECK(ErrorOf(R"({"transaction_id":"x","external_customer_id":"t","code":"m","timestamp":1,)"
                R"("properties":{"quantity":"many"}})") == "properties.quantity 'many' is not a number");
}

TEST_CASE("ingest.event_identity_is_id_and_source") {
  // A CloudEvent's identity is (id, source) whatever characters either holds;
  // every other shape has source "", so no native id can equal a CloudEvent's.
  Parsed a = ParseJson(R"({"specversion":"1.0","id":"y","source":"/svc/a#x","type":"m","subject":"t","time":1})");
  Parsed b = ParseJson(R"({"specversion":"1.0","id":"x#y","source":"/svc/a","type":"m","subject":"t","time":1})");
  Parsed native = ParseJson(R"({"id":"/svc/a#x#y","tenant":"t","metric":"m","timestamp":1})");
  Parsed lago = ParseJson(R"({"transaction_id":"/svc/a#x#y","external_customer_id":"t","code":"m","timestamp":1})");
  REQUIRE(a.error == "");
  REQUIRE(b.error == "");
  REQUIRE(native.error == "");
  REQUIRE(lago.error == "");
  CHECK(std::pair(a.event.id, a.event.source) == std::pair<std::string, std::string>("y", "/svc/a#x"));
  CHECK(std::pair(b.event.id, b.event.source) == std::pair<std::string, std::string>("x#y", "/svc/a"));
  CHECK(std::pair(native.event.id, native.event.source) == std::pair<std::string, std::string>("/svc/a#x#y", ""));
  CHECK(lago.event.source == "");
  // CloudEvents 1.0 requires a source.
  CHECK(ErrorOf(R"({"specversion":"1.0","id":"1","type":"m","subject":"t","time":1})") ==
        "missing required field 'source'");
  CHECK(ErrorOf(R"({"specversion":"1.0","id":"1","source":null,"type":"m","subject":"t","time":1})") ==
        "missing required field 'source'");
  CHECK(ErrorOf(R"({"specversion":"1.0","id":"1","source":"","type":"m","subject":"t","time":1})") ==
        "source must not be empty");
  CHECK(ErrorOf(R"({"specversion":"1.0","id":"1","source":3,"type":"m","subject":"t","time":1})") ==
        "source must be a string");
  // Without an id, a CloudEvent is identified by its content, under its source.
  Parsed content = ParseJson(R"({"specversion":"1.0","source":"/s","type":"m","subject":"t","time":1})");
  REQUIRE(content.error == "");
  CHECK(content.event.id.rfind("sha256:", 0) == 0);
  CHECK(content.event.source == "/s");
}

TEST_CASE("ingest.cloudevents_data_base64_is_read_like_data") {
  // {"quantity":3,"user":"u1","tokens":7}
  const std::string head = R"({"specversion":"1.0","id":"1","source":"s","type":"m","subject":"t","time":1,)";
  for (const char* type : {"", R"("datacontenttype":"application/json",)", R"("datacontenttype":"text/json",)",
                           R"("datacontenttype":"application/vnd.x+json; charset=utf-8",)",
                           R"("datacontenttype":"Application/JSON",)"}) {
    CAPTURE(type);
    Parsed p = ParseJson(head + type + R"("data_base64":"eyJxdWFudGl0eSI6MywidXNlciI6InUxIiwidG9rZW5zIjo3fQ=="})");
    REQUIRE(p.error == "");
    CHECK(p.event.quantity_micros == 3000000);
    CHECK(p.event.user == "u1");
    CHECK(p.event.properties == R"({"tokens":7})");
  }
  CHECK(ErrorOf(head + R"("datacontenttype":"text/plain","data_base64":"aGVsbG8="})") ==
        "data_base64 holds 'text/plain' content (datacontenttype); meter reads only JSON data");
  CHECK(ErrorOf(head + R"("datacontenttype":7,"data_base64":"aGVsbG8="})") ==
        "data_base64 holds '7' content (datacontenttype); meter reads only JSON data");
  CHECK(ErrorOf(head + R"("data_base64":"aGVsbG8"})") == "data_base64 must hold a JSON object");
  CHECK(ErrorOf(head + R"("data_base64":"WzFd"})") == "data_base64 must hold a JSON object");
  CHECK(ErrorOf(head + R"("data_base64":""})") == "data_base64 must hold a JSON object");
  CHECK(ErrorOf(head + R"("data_base64":"a b"})") ==
        "data_base64 is not valid base64 (invalid base64: unexpected character)");
  CHECK(ErrorOf(head + R"("data_base64":{}})") == "data_base64 must be a base64 string");
  CHECK(ErrorOf(head + R"("data_base64":"eyJxdWFudGl0eSI6"})").rfind("data_base64: malformed JSON: ", 0) == 0);
  CHECK(ErrorOf(head + R"("data":{},"data_base64":"e30="})") ==
        "data and data_base64 are both present (a CloudEvent has one or the other)");
  // null is absent: the event has no data at all.
  Parsed none = ParseJson(head + R"("data_base64":null})");
  REQUIRE(none.error == "");
  CHECK(none.event.properties == "");
}

TEST_CASE("ingest.cloudevents_extension_attributes_become_properties") {
  Parsed p = ParseJson(
      R"({"specversion":"1.0","id":"1","source":"s","type":"m","subject":"t","time":1,"region":"eu",)"
      R"("traceparent":"00-ab-cd-01","priority":2,"sampled":false,"skipped":null,"dataschema":"https://x/s",)"
      R"("datacontenttype":"application/json","tenant":"not-the-subject","data":{"quantity":2,"region":"us"}})");
  REQUIRE(p.error == "");
  CHECK(p.event.tenant == "t");  // extensions never map to native fields
  CHECK(p.event.quantity_micros == 2000000);
  // data's fields first; an extension named like one of them yields to it.
  CHECK(p.event.properties == R"({"region":"us","tenant":"not-the-subject","traceparent":"00-ab-cd-01",)"
                              R"("priority":2,"sampled":false})");
  Parsed only = ParseJson(R"({"specversion":"1.0","id":"1","source":"s","type":"m","subject":"t","time":1,"x":"a\"b"})");
  REQUIRE(only.error == "");
  CHECK(only.event.properties == R"({"x":"a\"b"})");
  CHECK(ErrorOf(R"({"specversion":"1.0","id":"1","source":"s","type":"m","subject":"t","time":1,"x":[1]})") ==
        "extension attribute 'x' must be a string, number or boolean (CloudEvents 1.0)");
  // Native and Lago records still ignore fields they do not define.
  CHECK(ParseJson(R"({"tenant":"t","metric":"m","timestamp":1,"region":"eu"})").event.properties == "");
}

TEST_CASE("ingest.lago_envelopes") {
  static JsonRecordParser parser;
  auto parse = [](const std::string& line, Format format, RawRecord* raw) {
    static std::string buf;
    buf = line;
    buf.append(kJsonPadding, '\0');
    return parser.Parse(std::string_view(buf.data(), line.size()), format, raw);
  };
  RawRecord raw;
  Event e;
  for (Format f : {Format::kAuto, Format::kLago}) {
    REQUIRE(parse(R"({"event":{"transaction_id":"a","external_subscription_id":"t","code":"m","timestamp":1}})", f,
                  &raw).ok());
    CHECK(!parser.is_batch());
    REQUIRE(ToEvent(raw, &e).ok());
    CHECK(e.id == "a");
    CHECK(e.tenant == "t");
    CHECK(raw.format == Format::kLago);

    REQUIRE(parse(R"({"events":[{"transaction_id":"b","external_customer_id":"t","code":"m","timestamp":2},)"
                  R"( 7 ,{"transaction_id":"c"}]})", f, &raw).ok());
    REQUIRE(parser.is_batch());
    std::vector<std::string_view> events = parser.batch_events();
    REQUIRE(events.size() == 3);
    CHECK(events[1] == "7");
    REQUIRE(parser.ParseBatchEvent(events[0], &raw).ok());
    REQUIRE(ToEvent(raw, &e).ok());
    CHECK(e.id == "b");
    CHECK(parser.ParseBatchEvent(events[1], &raw).message() == "record is not a JSON object (found a number)");
    REQUIRE(parser.ParseBatchEvent(events[2], &raw).ok());
    CHECK(ToEvent(raw, &e).message() == "missing required field 'external_customer_id'");
    CHECK(parser.batch_events().size() == 3);  // parsing the events keeps the batch

    CHECK(parse(R"({"events":[]})", f, &raw).ok());
    CHECK(parser.is_batch());
    CHECK(parser.batch_events().empty());
    CHECK(parse(R"({"events":{"a":1}})", f, &raw).message() == "events must be a JSON array");
    CHECK(parse(R"({"event":[1]})", f, &raw).message() == "event must be a JSON object");
    // An envelope inside an envelope is a Lago event with no fields of its own.
    REQUIRE(parse(R"({"event":{"event":{"transaction_id":"x"}}})", f, &raw).ok());
    CHECK(ToEvent(raw, &e).message() == "missing required field 'external_customer_id'");
  }
  // A native record that happens to hold an "event" field stays native.
  REQUIRE(parse(R"({"id":"n","tenant":"t","metric":"m","timestamp":1,"event":{"a":1}})", Format::kAuto, &raw).ok());
  CHECK(!parser.is_batch());
  CHECK(raw.format == Format::kNdjson);
  // Forced native or CloudEvents formats do not read Lago envelopes.
  REQUIRE(parse(R"({"events":[]})", Format::kNdjson, &raw).ok());
  CHECK(!parser.is_batch());
  CHECK(ToEvent(raw, &e).message() == "missing required field 'tenant'");
}

TEST_CASE("ingest.lago_timestamps_may_carry_fractions_of_a_second") {
  auto ts = [](const std::string& t) {
    Parsed p = ParseJson(R"({"transaction_id":"x","external_customer_id":"t","code":"m","timestamp":)" + t + "}");
    return p.error.empty() ? std::to_string(p.event.timestamp) : p.error;
  };
  CHECK(ts("1651240791") == "1651240791000");
  CHECK(ts("1651240791.5") == "1651240791500");
  CHECK(ts("\"1651240791.123\"") == "1651240791123");
  CHECK(ts("\"1651240791.1239\"") == "1651240791123");
  CHECK(ts("1651240791.000001") == "1651240791000");
  CHECK(ts("1651240791123") == "1651240791123");       // milliseconds
  CHECK(ts("1651240791123.9") == "1651240791123");     // no sub-millisecond part
  CHECK(ts("\"1651240791.\"") == "timestamp '1651240791.' is not a valid time");
  CHECK(ts("1.6e9") == "timestamp '1.6e9' is not a valid time");
  CHECK(ts("\".5\"") == "timestamp '.5' is not a valid time");
  // Other formats keep to whole seconds or milliseconds.
  CHECK(ErrorOf(R"({"tenant":"t","metric":"m","timestamp":1.5})") == "timestamp '1.5' is not a valid time");
}

TEST_CASE("ingest.auto_detection_per_record") {
  CHECK(ParseJson(R"({"specversion":"1.0","id":"1","source":"s","type":"m","subject":"t","time":1})").raw.format ==
        Format::kCloudEvents);
  CHECK(ParseJson(R"({"transaction_id":"x","external_customer_id":"t","code":"m","timestamp":1})").raw.format ==
        Format::kLago);
  CHECK(ParseJson(R"({"code":"m","external_customer_id":"t","timestamp":1})").raw.format == Format::kLago);
  CHECK(ParseJson(R"({"tenant":"t","metric":"m","timestamp":1})").raw.format == Format::kNdjson);
  // Forced native: a Lago record lacks the native fields.
  CHECK(ErrorOf(R"({"transaction_id":"x","external_customer_id":"t","code":"m","timestamp":1})", Format::kNdjson) ==
        "missing required field 'tenant'");
  CHECK(ErrorOf(R"({"tenant":"t","metric":"m","timestamp":1})", Format::kLago) ==
        "missing required field 'external_customer_id'");
}

TEST_CASE("ingest.content_id_for_records_without_id") {
  Parsed a = ParseJson(R"({"tenant":"t","metric":"m","timestamp":1})");
  Parsed b = ParseJson(R"({"tenant":"t","metric":"m","timestamp":1})");
  Parsed c = ParseJson(R"({"tenant":"t","metric":"m","timestamp":2})");
  REQUIRE(a.error == "");
  CHECK(a.event.id.rfind("sha256:", 0) == 0);
  CHECK(a.event.id.size() == 7 + 32);
  CHECK(a.event.id == b.event.id);
  CHECK(a.event.id != c.event.id);
}

}  // namespace
}  // namespace meter::ingest
