// WebhookStore on a real database: leases, recorded outcomes, retry,
// endpoints sharing a url, rotation, removal.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "store/database.h"
#include "store/webhook_store.h"
#include "support/temp_db.h"
#include "support/webhooks.h"
#include "webhooks/queue.h"

namespace st = meter::store;
namespace wh = meter::webhooks;
using meter::Timestamp;
using meter::testing::AddEndpoint;
using meter::testing::Deliveries;
using meter::testing::kT0;
using meter::testing::Outcome;
using TempDb = meter::testing::TempDb;

TEST_CASE("webhooks.store: a lease keeps a delivery from a second claimer until it expires") {
  TempDb t;
  st::WebhookStore ws(*t.db);
  AddEndpoint(ws, "http://a.test/");
  for (int i = 0; i < 3; ++i) REQUIRE(wh::Enqueue(*t.db, "x.y", "", {{"i", i}}, kT0).ok());
  auto first = ws.ClaimDue("run-a", kT0, kT0, kT0 + 1000, 2);
  REQUIRE(first.ok());
  CHECK(first->size() == 2);
  auto second = ws.ClaimDue("run-b", kT0, kT0 + 10, kT0 + 1010, 10);
  REQUIRE(second->size() == 1);
  CHECK(second->at(0).id != first->at(0).id);
  CHECK(second->at(0).id != first->at(1).id);
  CHECK(ws.ClaimDue("run-c", kT0, kT0 + 999, kT0 + 2000, 10)->empty());
  // run-a died: after its lease ends its deliveries can be claimed again.
  auto retaken = ws.ClaimDue("run-c", kT0, kT0 + 1001, kT0 + 3000, 10);
  CHECK(retaken->size() == 2);
  CHECK(retaken->at(0).data == R"({"i":0})");
  CHECK(retaken->at(0).endpoint.url == "http://a.test/");
}

TEST_CASE("webhooks.store: nothing is claimed before it is due or while its endpoint is disabled") {
  TempDb t;
  st::WebhookStore ws(*t.db);
  const int64_t e = AddEndpoint(ws, "http://a.test/");
  REQUIRE(wh::Enqueue(*t.db, "x.y", "", {}, kT0).ok());
  // Never tried: due at once, even to a run whose clock reads earlier.
  CHECK(*ws.NextClaimableAt() <= std::optional<Timestamp>(kT0 - 5000));
  auto d = ws.ClaimDue("r", kT0 - 5000, kT0 - 5000, kT0 - 4900, 10);
  REQUIRE(d->size() == 1);
  REQUIRE(ws.RecordOutcomes("r", {Outcome(d->at(0).id, "pending", kT0 + 1000)}, kT0).ok());
  CHECK(ws.ClaimDue("r", kT0 + 999, kT0 + 999, kT0 + 2000, 10)->empty());
  CHECK(*ws.NextClaimableAt() == std::optional<Timestamp>(kT0 + 1000));
  REQUIRE(ws.SetEndpointEnabled(e, false, "paused").ok());
  CHECK(ws.ClaimDue("r", kT0 + 1000, kT0 + 1000, kT0 + 1100, 10)->empty());
  CHECK_FALSE(ws.NextClaimableAt()->has_value());
  CHECK(ws.PeekDue(kT0 + 1000, 10)->empty());
  REQUIRE(ws.SetEndpointEnabled(e, true, "").ok());
  CHECK(ws.PeekDue(kT0 + 1000, 10)->size() == 1);
  CHECK(ws.ClaimDue("r", kT0 + 1000, kT0 + 1000, kT0 + 1100, 10)->size() == 1);
  // Leased: claimable again just after the lease ends.
  CHECK(*ws.NextClaimableAt() == std::optional<Timestamp>(kT0 + 1101));
}

TEST_CASE("webhooks.store: outcomes log every attempt and move the delivery on") {
  TempDb t;
  st::WebhookStore ws(*t.db);
  const int64_t e = AddEndpoint(ws, "http://a.test/");
  REQUIRE(wh::Enqueue(*t.db, "x.y", "", {}, kT0).ok());
  auto d = ws.ClaimDue("r", kT0, kT0, kT0 + 100, 1)->at(0);
  REQUIRE(ws.RecordOutcomes("r", {Outcome(d.id, "pending", kT0 + 1000)}, kT0 + 10).ok());
  auto row = Deliveries(ws).at(0);
  CHECK(row.status == "pending");
  CHECK(row.attempts == 1);
  CHECK(row.next_attempt_at == kT0 + 1000);
  CHECK_FALSE(row.lease_until.has_value());
  CHECK(row.last_status == 500);
  REQUIRE(ws.ClaimDue("r", kT0 + 1000, kT0 + 1000, kT0 + 2000, 1)->size() == 1);
  auto gone = Outcome(d.id, "pending", kT0 + 3000);
  gone.status_code = 410;
  gone.disable_endpoint_reason = "410 Gone";
  gone.endpoint_id = e;
  REQUIRE(ws.RecordOutcomes("r", {gone}, kT0 + 1010).ok());
  auto ep = ws.GetEndpoint(e);
  CHECK_FALSE(ep->enabled);
  CHECK(ep->disabled_reason == "410 Gone");
  REQUIRE(ws.SetEndpointEnabled(e, true, "").ok());
  REQUIRE(ws.ClaimDue("r", kT0 + 3000, kT0 + 3000, kT0 + 4000, 1)->size() == 1);
  REQUIRE(ws.RecordOutcomes("r", {Outcome(d.id, "delivered")}, kT0 + 3010).ok());
  row = Deliveries(ws).at(0);
  CHECK(row.status == "delivered");
  CHECK(row.delivered_at == std::optional<Timestamp>(kT0 + 3010));
  REQUIRE(row.attempt_log.size() == 3);
  CHECK(row.attempt_log[0].attempt == 1);
  CHECK(row.attempt_log[1].status_code == 410);
  CHECK(row.attempt_log[2].attempt == 3);
  CHECK_FALSE(ws.NextClaimableAt()->has_value());
}

TEST_CASE("webhooks.store: a run that lost its lease logs its attempt but leaves the state alone") {
  TempDb t;
  st::WebhookStore ws(*t.db);
  AddEndpoint(ws, "http://a.test/");
  REQUIRE(wh::Enqueue(*t.db, "x.y", "", {}, kT0).ok());
  auto d = ws.ClaimDue("old", kT0, kT0, kT0 + 100, 1)->at(0);
  REQUIRE(ws.ClaimDue("new", kT0, kT0 + 200, kT0 + 300, 1)->size() == 1);
  REQUIRE(ws.RecordOutcomes("old", {Outcome(d.id, "failed")}, kT0 + 250).ok());
  auto row = Deliveries(ws).at(0);
  CHECK(row.status == "pending");
  CHECK(row.attempt_log.size() == 1);
  REQUIRE(ws.RecordOutcomes("new", {Outcome(d.id, "delivered")}, kT0 + 260).ok());
  row = Deliveries(ws).at(0);
  CHECK(row.status == "delivered");
  CHECK(row.attempt_log.size() == 2);
}

TEST_CASE("webhooks.store: retry puts failed deliveries back with a fresh budget - delivered ones refuse") {
  TempDb t;
  st::WebhookStore ws(*t.db);
  AddEndpoint(ws, "http://a.test/");
  REQUIRE(wh::Enqueue(*t.db, "x.y", "", {}, kT0).ok());
  REQUIRE(wh::Enqueue(*t.db, "x.y", "", {}, kT0).ok());
  auto claimed = *ws.ClaimDue("r", kT0, kT0, kT0 + 100, 2);
  REQUIRE(ws.RecordOutcomes("r", {Outcome(claimed[0].id, "failed"), Outcome(claimed[1].id, "delivered")}, kT0).ok());
  CHECK(ws.RetryDelivery(claimed[1].id, kT0 + 5).IsDenied());
  CHECK(ws.RetryDelivery(999, kT0 + 5).IsNotFound());
  CHECK(*ws.RetryFailed(std::nullopt, kT0 + 5) == 1);
  auto again = ws.ClaimDue("r", kT0 + 5, kT0 + 5, kT0 + 100, 5)->at(0);
  CHECK(again.id == claimed[0].id);
  CHECK(again.attempts == 1);
  CHECK(again.retry_base == 1);
  CHECK(*ws.RetryFailed(std::nullopt, kT0 + 6) == 0);
}


TEST_CASE("webhooks.store: endpoints may share a url - rotate keeps the old secret - remove takes deliveries") {
  TempDb t;
  st::WebhookStore ws(*t.db);
  const int64_t a = AddEndpoint(ws, "http://a.test/");
  CHECK(ws.AddEndpoint("http://a.test/", std::nullopt, {"invoice.*"}, "k", kT0).ok());
  CHECK(ws.AddEndpoint("http://a.test/", std::string("acme"), {}, "k", kT0).ok());
  REQUIRE(wh::Enqueue(*t.db, "x.y", "acme", {}, kT0).ok());
  CHECK(Deliveries(ws).size() == 2);
  REQUIRE(ws.RotateSecret(a, "whsec_bmV3", kT0 + 1000).ok());
  auto ep = *ws.GetEndpoint(a);
  CHECK(ep.secret == "whsec_bmV3");
  CHECK(ep.previous_secret == std::optional<std::string>("whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="));
  CHECK(ep.previous_secret_until == kT0 + 1000);
  REQUIRE(ws.RemoveEndpoint(a).ok());
  CHECK(ws.RemoveEndpoint(a).IsNotFound());
  CHECK(ws.GetEndpoint(a).status().IsNotFound());
  CHECK(Deliveries(ws).size() == 1);
  CHECK(ws.SetEndpointEnabled(a, true, "").IsNotFound());
  CHECK(ws.ListEndpoints()->size() == 2);
}
