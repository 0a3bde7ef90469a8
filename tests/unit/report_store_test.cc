// ReportStore (store/report_store.h): the raw events a report reads, narrowed
// by period (half-open), tenant, metrics, finished operations and seq;
// voided events never returned.
#include <doctest/doctest.h>

#include <algorithm>

#include "store/report_store.h"
#include "support/usage_events.h"
#include "usage/events.h"

namespace meter::store {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "api"}, {"key": "llm"}, {"key": "operation_start"}],
  "plans": [{"key": "p", "base_price": "0"}],
  "tenants": [{"id": "acme", "plan": "p"}, {"id": "beta", "plan": "p"}]})";

struct Fixture : testing::UsageDb {
  Fixture() : UsageDb(kCatalog) {
    Use("api", "2026-02-03T10:00:00Z", 1, {.operation = "search", .status = "ok"});        // e1
    Use("llm", "2026-02-03T10:30:00Z", 1, {.operation = "chat"});                          // e2
    Use("api", "2026-02-03T11:00:00Z", 1, {.operation = "search", .status = "started"});   // e3
    Use("operation_start", "2026-02-03T11:10:00Z", 1, {.operation = "search"});            // e4
    Use("api", "2026-02-03T11:20:00Z", 1, {.tenant = "beta"});                             // e5
    Use("api", "2026-02-03T12:00:00Z", 1);                                                 // e6: at the end
  }
  std::string Ids(const EventQuery& q) {
    std::vector<std::string> ids;
    REQUIRE(ReportStore(db).ForEachEvent(q, [&](const Event& e) {
      ids.push_back(e.id);
      return Status::OK();
    }).ok());
    std::sort(ids.begin(), ids.end());  // no particular order is promised
    std::string out;
    for (const auto& id : ids) out += (out.empty() ? "" : " ") + id;
    return out;
  }
};

const Period kTenToTwelve{At("2026-02-03T10:00:00Z"), At("2026-02-03T12:00:00Z")};

TEST_CASE("report_store: events narrowed by period, tenant, metric, operations and seq") {
  Fixture f;
  CHECK(f.Ids({"", kTenToTwelve, {}}) == "e1 e2 e3 e4 e5");
  CHECK(f.Ids({"acme", kTenToTwelve, {}}) == "e1 e2 e3 e4");
  CHECK(f.Ids({"", kTenToTwelve, {"llm", "operation_start"}}) == "e2 e4");
  // Finished operations: an operation, not started, not an operation_start event.
  CHECK(f.Ids({"", kTenToTwelve, {}, true}) == "e1 e2");
  CHECK(f.Ids({"", kTenToTwelve, {}, false, 2}) == "e1 e2");
  CHECK(f.Ids({"", {At("2026-02-03T12:00:00Z"), At("2026-02-03T12:00:00.001Z")}, {}}) == "e6");
}

TEST_CASE("report_store: a voided event is never read; a failing callback stops the read") {
  Fixture f;
  REQUIRE(usage::VoidEvents(f.db, f.c, {"e2"}, "test", [] { return At("2026-02-04T00:00:00Z"); }).ok());
  CHECK(f.Ids({"acme", kTenToTwelve, {}}) == "e1 e3 e4");
  int calls = 0;
  Status st = ReportStore(f.db).ForEachEvent({"", kTenToTwelve, {}}, [&](const Event&) {
    ++calls;
    return Status::DataError("stop");
  });
  CHECK(st.message() == "stop");
  CHECK(calls == 1);
}

}  // namespace
}  // namespace meter::store
