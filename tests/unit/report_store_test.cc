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

// storage_order over every tenant reads the table by runs of seqs on SQLite
// (the span's seqs from events_ts, then seq ranges): rows of another span
// stored between the span's, voided rows, other metrics and the seq bound
// must stay out, and a stretch of other rows longer than a run absorbs
// splits the read in two. Each query must read what the time-order read does.
TEST_CASE("report_store: storage order reads the events time order reads") {
  Fixture f;                                                              // e1-e6: February 3rd
  for (int i = 0; i < 150; ++i) f.Use("api", "2026-03-05T10:00:00Z", 1);  // e7-e156: March
  f.Use("api", "2026-02-03T10:45:00Z", 1, {.tenant = "beta"});            // e157
  f.Use("api", "2026-03-05T10:00:00Z", 1);                                // e158: March
  f.Use("llm", "2026-02-03T11:30:00Z", 1);                                // e159
  f.MarkVoid("e3");
  auto both = [&](EventQuery q) {
    std::string by_time = f.Ids(q);
    q.storage_order = true;
    CHECK(f.Ids(q) == by_time);
    return by_time;
  };
  CHECK(both({"", kTenToTwelve, {}}) == "e1 e157 e159 e2 e4 e5");
  CHECK(both({"", kTenToTwelve, {"api"}}) == "e1 e157 e5");
  CHECK(both({"", kTenToTwelve, {}, true}) == "e1 e2");
  CHECK(both({"", kTenToTwelve, {}, false, 157}) == "e1 e157 e2 e4 e5");
  std::string march = both({"", {At("2026-03-01T00:00:00Z"), At("2026-04-01T00:00:00Z")}, {"api"}});
  CHECK(std::count(march.begin(), march.end(), ' ') == 150);  // e7-e156 and e158
  CHECK(both({"", {At("2026-05-01T00:00:00Z"), At("2026-06-01T00:00:00Z")}, {}}).empty());
}

}  // namespace
}  // namespace meter::store
