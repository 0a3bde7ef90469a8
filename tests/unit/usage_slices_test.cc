// Usage slices (usage/slices.h): one charge's usage split by its filters
// (first match wins) and group_by, in invoice line order: filters in catalog
// order, the remainder last; groups in byte order with "(none)" last. Many
// requests measured in one pass give, request by request, what each measured
// alone gives.
#include <doctest/doctest.h>

#include "ingest/recorder.h"
#include "support/usage_events.h"
#include "usage/slices.h"

namespace meter::usage {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "tokens", "event": "llm", "value": "properties.tokens"}, {"key": "calls"}],
  "plans": [{"key": "p", "base_price": "0", "charges": [
    {"meter": "tokens", "unit_price": "0.001", "group_by": "properties.project",
     "filters": [{"where": {"properties.model": "gpt"}, "unit_price": "0.01", "group_by": "user"},
                 {"where": {"properties.model": ["claude", "gpt"]}, "unit_price": "0.02"}]},
    {"meter": "calls", "unit_price": "1"}]}],
  "tenants": [{"id": "acme", "plan": "p"}]})";

const Period kFeb{At("2026-02-01T00:00:00Z"), At("2026-03-01T00:00:00Z")};

// "filter/group=quantity(events)" per slice.
std::string Lines(testing::UsageDb& f, const char* meter) {
  auto slices = MeasureSlices(f.db, f.c, "acme", *f.c.FindPlan("p")->FindCharge(meter), kFeb);
  REQUIRE_MESSAGE(slices.ok(), slices.status().message());
  std::string out;
  for (const auto& s : *slices)
    out += (out.empty() ? "" : " ") + std::to_string(s.filter) + "/" + s.group.value_or("-") + "=" +
           s.quantity.ToString() + "(" + std::to_string(s.events) + ")";
  return out;
}

TEST_CASE("usage.slices: filters first match, then groups, in invoice line order") {
  testing::UsageDb f(kCatalog);
  f.Use("llm", "2026-02-02T10:00:00Z", 1, {.user = "zed", .properties = R"({"tokens": 5, "model": "gpt"})"});
  f.Use("llm", "2026-02-02T10:01:00Z", 1, {.user = "amy", .properties = R"({"tokens": 7, "model": "gpt"})"});
  f.Use("llm", "2026-02-02T10:02:00Z", 1, {.properties = R"({"tokens": 1, "model": "gpt"})"});
  f.Use("llm", "2026-02-02T10:03:00Z", 1, {.user = "amy", .properties = R"({"tokens": 3, "model": "gpt"})"});
  f.Use("llm", "2026-02-02T10:04:00Z", 1, {.properties = R"({"tokens": 11, "model": "claude", "project": "b"})"});
  f.Use("llm", "2026-02-02T10:05:00Z", 1, {.properties = R"({"tokens": 13, "model": "mistral", "project": "b"})"});
  f.Use("llm", "2026-02-02T10:06:00Z", 1, {.properties = R"({"tokens": 17, "model": "mistral", "project": "B"})"});
  f.Use("llm", "2026-02-02T10:07:00Z", 1, {.properties = R"({"tokens": 19, "model": "mistral"})"});
  f.Use("llm", "2026-03-02T10:07:00Z", 1, {.properties = R"({"tokens": 23, "model": "gpt"})"});  // March
  // gpt by user ("amy" < "zed", no user last), claude in the second filter
  // by the project it inherits from the charge, the rest by project ("B" <
  // "b" in bytes, none last).
  CHECK(Lines(f, "tokens") == "0/amy=10(2) 0/zed=5(1) 0/(none)=1(1) 1/b=11(1) -1/B=17(1) -1/b=13(1) -1/(none)=19(1)");
}

TEST_CASE("usage.slices: no usage still gives one remainder line; unsliced charges are told apart") {
  testing::UsageDb f(kCatalog);
  CHECK(Lines(f, "tokens") == "-1/-=0(0)");
  CHECK(Lines(f, "calls") == "-1/-=0(0)");
  f.Use("calls", "2026-02-02T10:00:00Z", 4);
  CHECK(Lines(f, "calls") == "-1/-=4(1)");
  CHECK(IsSliced(*f.c.FindPlan("p")->FindCharge("tokens")));
  CHECK(!IsSliced(*f.c.FindPlan("p")->FindCharge("calls")));
  catalog::Charge grouped_only;
  grouped_only.group_by = "user";
  CHECK(IsSliced(grouped_only));
}

// ---- many requests in one pass (invoice generate) ----

// Two plans whose charges have the same meter and filters (one pass for
// both), a third with other filters, and a grouped `max` meter.
constexpr const char* kBatchCatalog = R"({
  "meters": [{"key": "tokens", "event": "llm", "value": "properties.tokens"},
             {"key": "peak", "event": "disk", "aggregation": "max"}],
  "plans": [
    {"key": "usd", "base_price": "0", "charges": [
      {"meter": "tokens", "unit_price": "0.01", "filters": [
        {"name": "Opus", "where": {"properties.model": "opus"}, "group_by": "properties.project"},
        {"name": "Mini", "where": {"properties.model": "mini"}}]},
      {"meter": "peak", "unit_price": "1", "group_by": "properties.tier"}]},
    {"key": "eur", "base_price": "0", "currency": "EUR", "charges": [
      {"meter": "tokens", "unit_price": "0.02", "filters": [
        {"name": "Opus", "where": {"properties.model": "opus"}, "group_by": "properties.project"},
        {"name": "Mini", "where": {"properties.model": "mini"}}]}]},
    {"key": "other", "base_price": "0", "charges": [
      {"meter": "tokens", "unit_price": "0.03", "group_by": "properties.model"}]}],
  "tenants": [{"id": "t0", "plan": "usd"}, {"id": "t1", "plan": "eur"}, {"id": "t2", "plan": "other"},
              {"id": "t3", "plan": "usd"}, {"id": "t4", "plan": "usd"}]})";

bool Same(const std::vector<UsageSlice>& a, const std::vector<UsageSlice>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].filter != b[i].filter || a[i].group != b[i].group || a[i].quantity != b[i].quantity ||
        a[i].events != b[i].events)
      return false;
  return true;
}

TEST_CASE("usage.slices: many tenants' slices measured in one call equal each tenant measured alone") {
  testing::TempDb t;
  catalog::Catalog c = testing::ApplyCatalog(*t.db, kBatchCatalog);
  const char* models[] = {"opus", "mini", "llama"};
  const char* projects[] = {"", "a", "b"};
  std::vector<Event> events;
  int n = 0;
  // t0..t3 use the month (t4 nothing), across the hours and at the edges of
  // a +05:30 month; t3's events fall around a plan segment cut on the 15th.
  for (int tenant = 0; tenant < 4; ++tenant)
    for (int i = 0; i < 40; ++i) {
      int64_t minute = (i * 977 + tenant * 131) % (28 * 24 * 60);
      Event e = testing::UsageAt("e" + std::to_string(++n), "t" + std::to_string(tenant), "llm",
                                 "2026-02-01T00:00:00Z", 1);
      e.timestamp += minute * 60000 - (i % 5 == 0 ? 6 * kMillisPerHour : 0);
      std::string project = projects[i % 3][0] ? std::string(",\"project\":\"") + projects[i % 3] + "\"" : "";
      e.properties = "{\"tokens\":" + std::to_string(10 + i) + ",\"model\":\"" + models[(i + tenant) % 3] + "\"" +
                     project + "}";
      events.push_back(e);
      Event d = testing::UsageAt("d" + std::to_string(n), "t" + std::to_string(tenant), "disk",
                                 "2026-02-01T00:00:00Z", (i * 37 + tenant) % 90);
      d.timestamp += minute * 60000;
      d.properties = i % 4 == 0 ? "{}" : std::string("{\"tier\":\"") + (i % 2 ? "ssd" : "hdd") + "\"}";
      events.push_back(d);
    }
  REQUIRE(t.db->Transaction([&]() -> Status {
    ingest::EventRecorder recorder(*t.db, c);
    for (const Event& e : events) METER_RETURN_IF_ERROR(recorder.Record(e).status());
    return recorder.Flush();
  }).ok());
  Period utc{At("2026-02-01T00:00:00Z"), At("2026-03-01T00:00:00Z")};
  Period kolkata{At("2026-01-31T18:30:00Z"), At("2026-02-28T18:30:00Z")};
  Period before{At("2026-02-01T00:00:00Z"), At("2026-02-15T00:00:00Z")};
  Period after{At("2026-02-15T00:00:00Z"), At("2026-03-01T00:00:00Z")};
  const catalog::Charge& usd_tokens = c.FindPlan("usd")->charges[0];
  const catalog::Charge& usd_peak = c.FindPlan("usd")->charges[1];
  const catalog::Charge& eur_tokens = c.FindPlan("eur")->charges[0];
  const catalog::Charge& other_tokens = c.FindPlan("other")->charges[0];
  std::vector<ChargeSliceRequest> requests = {
      {&usd_tokens, "t0", utc},       {&usd_peak, "t0", utc},      {&eur_tokens, "t1", kolkata},
      {&other_tokens, "t2", utc},     {&usd_tokens, "t3", before}, {&other_tokens, "t3", after},
      {&usd_tokens, "t4", utc},       {&usd_peak, "t3", kolkata},  {&eur_tokens, "t0", before}};
  auto together = MeasureSlices(*t.db, c, requests);
  REQUIRE(together.ok());
  REQUIRE(together->size() == requests.size());
  int sliced_lines = 0;
  for (size_t i = 0; i < requests.size(); ++i) {
    CAPTURE(i);
    auto alone = MeasureSlices(*t.db, c, requests[i].tenant, *requests[i].charge, requests[i].period);
    REQUIRE(alone.ok());
    CHECK(Same((*together)[i], *alone));
    sliced_lines += static_cast<int>(alone->size());
  }
  CHECK(sliced_lines > 2 * static_cast<int>(requests.size()));  // the data does split into filters and groups
  // A tenant without usage still gets its one empty remainder line.
  REQUIRE((*together)[6].size() == 1);
  CHECK((*together)[6][0].events == 0);
}

TEST_CASE("usage.slices: a charge of an unknown meter is refused in a batch as alone") {
  testing::TempDb t;
  catalog::Catalog c = testing::ApplyCatalog(*t.db, kBatchCatalog);
  catalog::Charge ghost = c.FindPlan("usd")->charges[0];
  ghost.meter = "ghost";
  Period utc{At("2026-02-01T00:00:00Z"), At("2026-03-01T00:00:00Z")};
  auto r = MeasureSlices(*t.db, c, {{&c.FindPlan("usd")->charges[0], "t0", utc}, {&ghost, "t0", utc}});
  CHECK(r.status().IsDataError());
}

}  // namespace
}  // namespace meter::usage
