// Threshold alerts: recorded once per tenant, meter, threshold and period,
// each queued as a usage.threshold_reached webhook message.
#include <doctest/doctest.h>

#include "store/webhook_store.h"
#include "support/temp_db.h"
#include "support/usage_events.h"
#include "usage/alerts.h"

namespace meter::usage {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "api_calls"}, {"key": "gb", "aggregation": "max"}],
  "plans": [
    {"key": "pro", "base_price": "0", "limits": [{"meter": "api_calls", "limit": 100, "period": "day"},
                                                 {"meter": "gb", "limit": null}]},
    {"key": "odd", "base_price": "0", "alert_thresholds": [50],
     "limits": [{"meter": "api_calls", "limit": 0, "period": "month"}, {"meter": "gb", "limit": 10}]}],
  "tenants": [{"id": "acme", "plan": "pro"}, {"id": "zero", "plan": "odd"}],
  "webhooks": [{"url": "http://127.0.0.1:9/hooks", "events": ["usage.*"], "secret": "whsec_dGVzdA=="}]})";

struct Fixture : testing::UsageDb {
  Fixture() : UsageDb(kCatalog, At("2026-02-04T12:00:00Z")) {}
  void Use(const char* tenant, const char* metric, int64_t units, const char* ts = "2026-02-04T10:00:00Z") {
    UsageDb::Use(metric, ts, units, {.tenant = tenant});
  }
  std::vector<int> Scan(const char* now = "2026-02-04T12:00:00Z") {
    auto created = ScanAlerts(db, c, At(now));
    REQUIRE(created.ok());
    std::vector<int> out;
    for (const auto& a : *created) out.push_back(a.threshold);
    return out;
  }
  size_t Messages() {
    auto d = store::WebhookStore(db).ListDeliveries({});
    REQUIRE(d.ok());
    size_t count = 0;
    for (const auto& x : *d) count += x.type == "usage.threshold_reached";
    return count;
  }
};

TEST_CASE("alerts: each threshold once per period, each with one webhook message") {
  Fixture f;
  f.Use("acme", "api_calls", 79);
  CHECK(f.Scan().empty());
  f.Use("acme", "api_calls", 1);  // exactly 80 %
  CHECK(f.Scan() == std::vector<int>{80});
  for (int i = 0; i < 4; ++i) CHECK(f.Scan().empty());
  f.Use("acme", "api_calls", 50);  // 130: both remaining thresholds at once
  CHECK(f.Scan() == std::vector<int>{100, 120});
  CHECK(f.Scan().empty());
  CHECK(f.Messages() == 3);
  // the next day is a new period
  f.Use("acme", "api_calls", 85, "2026-02-05T01:00:00Z");
  CHECK(f.Scan("2026-02-05T12:00:00Z") == std::vector<int>{80});
  CHECK(f.Messages() == 4);

  auto listed = ListAlerts(f.db, "acme");
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 4);
  const store::AlertRecord& newest = (*listed)[0];
  CHECK(newest.period_start == At("2026-02-05T00:00:00Z"));
  CHECK(newest.message_id.starts_with("msg_"));
  auto data = AlertMessageData(newest);
  CHECK(data == nlohmann::json{{"tenant", "acme"}, {"meter", "api_calls"}, {"threshold", 80}, {"used", 85},
                               {"limit", 100}, {"period_start", "2026-02-05T00:00:00Z"},
                               {"period_end", "2026-02-06T00:00:00Z"}});
  CHECK(AlertJson(newest)["id"] == newest.id);
  CHECK(ListAlerts(f.db, "zero")->empty());
}

TEST_CASE("alerts: unlimited meters never alert; a limit of 0 alerts only on usage") {
  Fixture f;
  f.Use("acme", "gb", 1000000);
  f.Use("zero", "gb", 4);
  CHECK(f.Scan().empty());  // unlimited for acme; 40 % of 10 for zero
  f.Use("zero", "gb", 5);
  CHECK(f.Scan() == std::vector<int>{50});
  f.Use("zero", "api_calls", 1);
  CHECK(f.Scan() == std::vector<int>{50});  // 1 of 0
  CHECK(f.Scan().empty());
}

}  // namespace
}  // namespace meter::usage
