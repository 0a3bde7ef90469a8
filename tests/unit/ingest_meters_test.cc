// MeterEvaluator (ingest/meters.h): which meters an event feeds, with what
// value, and the values it refuses.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "ingest/meters.h"
#include "support/ingest_catalog.h"

namespace meter::ingest {
namespace {

using testing::MakeEvent;
using testing::TestCatalog;

std::string Contributions(const Event& e) {
  static MeterEvaluator eval(TestCatalog());
  std::vector<Contribution> out;
  Status st = eval.Evaluate(e, &out);
  if (!st.ok()) return "error: " + st.message();
  std::string s;
  for (const Contribution& c : out)
    s += c.meter->key + "=" + (c.unique.empty() ? std::to_string(c.micros) : c.unique) + " ";
  return s;
}

TEST_CASE("ingest.meters_contributions") {
  Event api = MakeEvent("1", "acme", "api_calls", 0, 2500000);
  api.user = "u1";
  CHECK(Contributions(api) == "api_calls=2500000 users=u1 ");
  api.latency_ms = 500;
  CHECK(Contributions(api) == "api_calls=2500000 users=u1 slow=1000000 ");
  api.user = "";  // no value: no contribution to the unique_count meter
  CHECK(Contributions(api) == "api_calls=2500000 slow=1000000 ");

  Event ai = MakeEvent("2", "acme", "ai", 0, 3000000);
  CHECK(Contributions(ai) == "requests=1000000 ");  // count ignores the quantity
  ai.operation = "email";
  CHECK(Contributions(ai) == "requests=1000000 emails=1000000 ");

  Event llm = MakeEvent("3", "acme", "llm", 0);
  CHECK(Contributions(llm) == "");  // no properties: no value for any llm meter
  llm.properties = R"({"tokens":150,"model":"gpt-4","usage":{"total":"7.5"}})";
  CHECK(Contributions(llm) == "gpt4_tokens=150000000 tokens=150000000 deep=7500000 ");
  llm.properties = R"({"tokens":"12","model":"claude"})";
  CHECK(Contributions(llm) == "tokens=12000000 ");
  llm.properties = R"({"tokens":null})";
  CHECK(Contributions(llm) == "");

  CHECK(Contributions(MakeEvent("4", "acme", "unknown", 0)) == "");
}

TEST_CASE("ingest.meters_refuse_unusable_values") {
  Event llm = MakeEvent("3", "acme", "llm", 0);
  llm.properties = R"({"tokens":"abc"})";
  CHECK(Contributions(llm) == "error: properties.tokens 'abc' is not a number (read by meter 'tokens')");
  llm.properties = R"({"tokens":-4})";
  CHECK(Contributions(llm) == "error: properties.tokens must be non-negative (read by meter 'tokens')");
  llm.properties = R"({"tokens":[1]})";
  CHECK(Contributions(llm) == "error: properties.tokens must be a number (read by meter 'tokens')");
  llm.properties = R"({"tokens":true})";
  CHECK(Contributions(llm) == "error: properties.tokens must be a number (read by meter 'tokens')");
  llm.properties = R"({"tokens":1.0000001})";
  CHECK(Contributions(llm) ==
        "error: properties.tokens '1.0000001' has more than 6 decimal places (read by meter 'tokens')");
}

}  // namespace
}  // namespace meter::ingest
