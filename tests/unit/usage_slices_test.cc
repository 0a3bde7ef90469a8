// Usage slices (usage/slices.h): one charge's usage split by its filters
// (first match wins) and group_by, in invoice line order: filters in catalog
// order, the remainder last; groups in byte order with "(none)" last.
#include <doctest/doctest.h>

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

}  // namespace
}  // namespace meter::usage
