// report usage (report/usage_report.h): per meter, per time bucket (UTC hours
// and days, months in the tenant's zone), per operation and user from the raw
// events, zero rows left out; periods and --by refused when malformed.
#include <doctest/doctest.h>

#include "report/usage_report.h"
#include "support/usage_events.h"

namespace meter::report {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "api_calls", "unit": "call"}, {"key": "gb", "aggregation": "max"}],
  "plans": [{"key": "p", "base_price": "0"}],
  "tenants": [{"id": "acme", "plan": "p"}, {"id": "tokyo", "plan": "p", "timezone": "Asia/Tokyo"}]})";

struct Fixture : testing::UsageDb {
  Fixture() : UsageDb(kCatalog) {
    Use("api_calls", "2026-02-03T10:05:00Z", 5, {.user = "u1", .operation = "search"});
    Use("api_calls", "2026-02-03T10:40:00Z", 3, {.user = "u2"});
    Use("api_calls", "2026-02-04T09:00:00Z", 2, {.user = "u1", .operation = "search"});
    Use("api_calls", "2026-03-01T00:00:00Z", 100);  // March
    Use("api_calls", "2026-01-31T16:00:00Z", 1, {.tenant = "tokyo"});  // 1 February in Tokyo
    Use("api_calls", "2026-02-28T15:30:00Z", 9, {.tenant = "tokyo"});  // 1 March in Tokyo
  }
  // "tenant meter bucket=quantity" per row.
  std::string Rows(const char* tenant, const char* period, UsageBy by) {
    auto rows = BuildUsageReport(db, c, {tenant, period, by, At("2026-02-11T00:00:00Z")});
    REQUIRE_MESSAGE(rows.ok(), rows.status().message());
    std::string out;
    for (const auto& r : *rows)
      out += (out.empty() ? "" : ", ") + r.tenant + " " + r.meter + " " + r.bucket + "=" + r.quantity.ToString();
    return out;
  }
};

TEST_CASE("report.usage_report: per meter, each tenant over its own month") {
  Fixture f;
  CHECK(f.Rows("", "2026-02", UsageBy::kMeter) == "acme api_calls api_calls=10, tokyo api_calls api_calls=1");
  // The current month when no period is given.
  CHECK(f.Rows("acme", "", UsageBy::kMeter) == "acme api_calls api_calls=10");
  CHECK(f.Rows("acme", "2026-02-03", UsageBy::kMeter) == "acme api_calls api_calls=8");
  auto rows = BuildUsageReport(f.db, f.c, {"acme", "2026-02", UsageBy::kMeter, 0});
  REQUIRE(rows.ok());
  CHECK((*rows)[0].unit == "call");
}

TEST_CASE("report.usage_report: hours and days in UTC, months in the tenant's zone") {
  Fixture f;
  CHECK(f.Rows("acme", "2026-02", UsageBy::kDay) ==
        "acme api_calls 2026-02-03T00:00:00Z=8, acme api_calls 2026-02-04T00:00:00Z=2");
  CHECK(f.Rows("acme", "2026-02", UsageBy::kHour) ==
        "acme api_calls 2026-02-03T10:00:00Z=8, acme api_calls 2026-02-04T09:00:00Z=2");
  CHECK(f.Rows("tokyo", "2026-02", UsageBy::kMonth) == "tokyo api_calls 2026-01-31T15:00:00Z=1");
}

TEST_CASE("report.usage_report: operations and users from the raw events, (none) for a missing one") {
  Fixture f;
  CHECK(f.Rows("acme", "2026-02", UsageBy::kOperation) ==
        "acme api_calls (none)=3, acme api_calls search=7");
  CHECK(f.Rows("", "2026-02", UsageBy::kUser) ==
        "acme api_calls u1=7, acme api_calls u2=3, tokyo api_calls (none)=1");
}

TEST_CASE("report.usage_report: --by, periods and tenants refused when unknown or malformed") {
  Fixture f;
  CHECK(ParseUsageBy("day").value() == UsageBy::kDay);
  CHECK(ParseUsageBy("week").status().code() == Status::Code::kInvalidArgument);
  CHECK(BuildUsageReport(f.db, f.c, {"acme", "2026-13", UsageBy::kMeter, 0}).status().code() ==
        Status::Code::kInvalidArgument);
  CHECK(BuildUsageReport(f.db, f.c, {"nobody", "2026-02", UsageBy::kMeter, 0}).status().IsNotFound());
}

}  // namespace
}  // namespace meter::report
