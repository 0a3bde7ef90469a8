// report analytics (report/analytics.h): only finished operations count;
// counts, success rate, nearest-rank latency percentiles and the exact sum
// of costs per hour, operation and user, computed by hand.
#include <doctest/doctest.h>

#include "report/analytics.h"
#include "support/usage_events.h"

namespace meter::report {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "api_calls"}, {"key": "operation_start"}],
  "plans": [{"key": "p", "base_price": "0"}],
  "tenants": [{"id": "acme", "plan": "p"}, {"id": "beta", "plan": "p"}]})";

struct Fixture : testing::UsageDb {
  Fixture() : UsageDb(kCatalog) {}
  void Op(const char* ts, const char* op, const char* status, std::optional<int64_t> latency, const char* cost,
          const char* user, const char* metric = "api_calls", const char* tenant = "acme") {
    Event e = testing::UsageAt("e" + std::to_string(++n), tenant, metric, ts);
    e.operation = op;
    e.status = status;
    e.latency_ms = latency;
    e.cost = cost;
    e.user = user;
    testing::Record(db, c, e);
  }
  std::vector<AnalyticsRow> Report(AnalyticsBy by) {
    auto rows = BuildAnalyticsReport(db, {"acme", {At("2026-02-03T00:00:00Z"), At("2026-02-04T00:00:00Z")}, by});
    REQUIRE_MESSAGE(rows.ok(), rows.status().message());
    return *rows;
  }
};

void Sample(Fixture& f) {
  f.Op("2026-02-03T10:05:00Z", "search", "ok", 100, "0.10", "u1");
  f.Op("2026-02-03T10:20:00Z", "search", "failed", 300, "0.05", "u2");
  f.Op("2026-02-03T10:50:00Z", "embed", "", std::nullopt, "", "u1");
  f.Op("2026-02-03T11:10:00Z", "search", "error", 200, "1", "u1");
  // Not finished operations, or not acme's, or outside the period: none counts.
  f.Op("2026-02-03T11:30:00Z", "", "ok", 5, "7", "u1");
  f.Op("2026-02-03T11:40:00Z", "search", "started", 5, "7", "u1");
  f.Op("2026-02-03T11:45:00Z", "search", "ok", 5, "7", "u1", "operation_start");
  f.Op("2026-02-03T10:10:00Z", "search", "ok", 5, "7", "u1", "api_calls", "beta");
  f.Op("2026-02-04T00:00:00Z", "search", "ok", 5, "7", "u1");
}

TEST_CASE("report.analytics: per hour") {
  Fixture f;
  Sample(f);
  auto rows = f.Report(AnalyticsBy::kHour);
  REQUIRE(rows.size() == 2);
  const AnalyticsRow& ten = rows[0];
  CHECK(ten.bucket == "2026-02-03T10:00:00Z");
  CHECK(ten.total == 3);
  CHECK(ten.succeeded == 2);  // "ok" and no status
  CHECK(ten.failed == 1);
  CHECK(ten.success_rate == doctest::Approx(2.0 / 3.0));
  CHECK(ten.latency_avg_ms == doctest::Approx(200));  // of the two that carry one
  CHECK(ten.latency_p50_ms == 100);
  CHECK(ten.latency_p95_ms == 300);
  CHECK(ten.cost == Dec("0.15"));
  const AnalyticsRow& eleven = rows[1];
  CHECK(eleven.bucket == "2026-02-03T11:00:00Z");
  CHECK(eleven.total == 1);
  CHECK(eleven.failed == 1);  // "error" fails too
  CHECK(eleven.success_rate == 0);
  CHECK(eleven.latency_p95_ms == 200);
  CHECK(eleven.cost == Dec("1"));
}

TEST_CASE("report.analytics: per operation and per user, in name order") {
  Fixture f;
  Sample(f);
  auto ops = f.Report(AnalyticsBy::kOperation);
  REQUIRE(ops.size() == 2);
  CHECK(ops[0].bucket == "embed");
  CHECK(ops[0].total == 1);
  CHECK(!ops[0].latency_avg_ms);
  CHECK(!ops[0].latency_p50_ms);
  CHECK(ops[0].cost == Dec("0"));
  CHECK(ops[1].bucket == "search");
  CHECK(ops[1].total == 3);
  CHECK(ops[1].succeeded == 1);
  CHECK(ops[1].latency_p50_ms == 200);
  CHECK(ops[1].latency_p95_ms == 300);
  CHECK(ops[1].cost == Dec("1.15"));
  auto users = f.Report(AnalyticsBy::kUser);
  REQUIRE(users.size() == 2);
  CHECK(users[0].bucket == "u1");
  CHECK(users[0].total == 3);
  CHECK(users[0].cost == Dec("1.1"));
  CHECK(users[1].bucket == "u2");
  CHECK(users[1].failed == 1);
}

TEST_CASE("report.analytics: a cost that is not a decimal is refused, naming the event") {
  Fixture f;
  f.Op("2026-02-03T10:05:00Z", "search", "ok", 100, "ten", "u1");
  auto rows = BuildAnalyticsReport(f.db, {"acme", {At("2026-02-03T00:00:00Z"), At("2026-02-04T00:00:00Z")},
                                          AnalyticsBy::kHour});
  REQUIRE(!rows.ok());
  CHECK(rows.status().code() == Status::Code::kDataError);
  CHECK(rows.status().message().find("'e1'") != std::string::npos);
}

TEST_CASE("report.analytics: nearest rank is the value at rank ceil(p/100 * n)") {
  std::vector<int64_t> twenty;
  for (int64_t i = 1; i <= 20; ++i) twenty.push_back(i * 10);
  CHECK(NearestRank(twenty, 50) == 100);   // rank 10
  CHECK(NearestRank(twenty, 95) == 190);   // rank 19
  CHECK(NearestRank(twenty, 96) == 200);   // rank ceil(19.2) = 20
  CHECK(NearestRank(twenty, 100) == 200);
  CHECK(NearestRank({7}, 1) == 7);
  CHECK(ParseAnalyticsBy("user").value() == AnalyticsBy::kUser);
  CHECK(!ParseAnalyticsBy("day").ok());
}

}  // namespace
}  // namespace meter::report
