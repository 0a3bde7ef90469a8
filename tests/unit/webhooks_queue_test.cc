// The queue's routing (webhooks/queue.h): which endpoints an event filter and
// tenant select, one delivery per enabled endpoint that wants a message, and
// resend to today's matching endpoints once.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "store/webhook_store.h"
#include "support/temp_db.h"
#include "support/webhooks.h"
#include "webhooks/queue.h"

namespace st = meter::store;
namespace wh = meter::webhooks;
using meter::testing::AddEndpoint;
using meter::testing::Deliveries;
using meter::testing::kT0;
using meter::testing::Outcome;
using TempDb = meter::testing::TempDb;

TEST_CASE("webhooks.queue: event filters select exact names, prefixes and everything") {
  CHECK(wh::EventFilterMatches({}, "invoice.paid"));
  CHECK(wh::EventFilterMatches({"*"}, "invoice.paid"));
  CHECK(wh::EventFilterMatches({"invoice.paid"}, "invoice.paid"));
  CHECK(!wh::EventFilterMatches({"invoice.paid"}, "invoice.paid2"));
  CHECK(wh::EventFilterMatches({"usage.*", "invoice.*"}, "invoice.finalized"));
  CHECK(!wh::EventFilterMatches({"invoice.*"}, "invoices.paid"));
  CHECK(!wh::EventFilterMatches({"invoice.*"}, "invoice"));
  st::WebhookEndpointRecord e;
  e.tenant = "acme";
  e.events = {"invoice.*"};
  CHECK(wh::EndpointWants(e, "invoice.paid", "acme"));
  CHECK(!wh::EndpointWants(e, "invoice.paid", "globex"));
  CHECK(!wh::EndpointWants(e, "invoice.paid", ""));
  CHECK(!wh::EndpointWants(e, "usage.threshold_reached", "acme"));
  e.tenant.reset();
  CHECK(wh::EndpointWants(e, "invoice.paid", "globex"));
  e.enabled = false;
  CHECK(!wh::EndpointWants(e, "invoice.paid", "globex"));
}

TEST_CASE("webhooks.queue: enqueue makes one delivery per enabled endpoint matching tenant and type") {
  TempDb t;
  st::WebhookStore ws(*t.db);
  const int64_t all = AddEndpoint(ws, "http://a.test/");
  const int64_t acme_invoices = AddEndpoint(ws, "http://b.test/", "acme", {"invoice.*"});
  const int64_t globex = AddEndpoint(ws, "http://c.test/", "globex");
  const int64_t off = AddEndpoint(ws, "http://d.test/");
  REQUIRE(ws.SetEndpointEnabled(off, false, "testing").ok());
  REQUIRE(wh::Enqueue(*t.db, "invoice.paid", "acme", {{"n", 1}}, kT0).ok());
  REQUIRE(wh::Enqueue(*t.db, "usage.threshold_reached", "acme", {{"n", 2}}, kT0).ok());
  std::multiset<int64_t> endpoints;
  for (const auto& d : Deliveries(ws)) endpoints.insert(d.endpoint_id);
  CHECK(endpoints == std::multiset<int64_t>{all, all, acme_invoices});
  CHECK(endpoints.count(globex) == 0);
}

TEST_CASE("webhooks.queue: resend queues past messages to today's matching endpoints once") {
  TempDb t;
  st::WebhookStore ws(*t.db);
  const int64_t a = AddEndpoint(ws, "http://a.test/");
  auto paid = wh::Enqueue(*t.db, "invoice.paid", "acme", {}, kT0);
  auto test = wh::EnqueueForEndpoint(*t.db, a, "webhook.test", "", {}, kT0 + 1);
  REQUIRE((paid.ok() && test.ok()));
  auto claimed = *ws.ClaimDue("r", kT0 + 1, kT0 + 1, kT0 + 100, 5);
  std::vector<st::AttemptOutcome> done;
  for (const auto& d : claimed) done.push_back(Outcome(d.id, "delivered"));
  REQUIRE(ws.RecordOutcomes("r", done, kT0 + 2).ok());
  const int64_t b = AddEndpoint(ws, "http://b.test/", "acme", {"invoice.*"});
  AddEndpoint(ws, "http://c.test/", "globex");
  // invoice.paid goes to a and b; webhook.test only back to a.
  CHECK(*wh::Resend(*t.db, {std::nullopt, kT0, std::nullopt}, kT0 + 10) == 3);
  // Already pending: not queued twice.
  CHECK(*wh::Resend(*t.db, {*paid, std::nullopt, std::nullopt}, kT0 + 11) == 0);
  CHECK(*wh::Resend(*t.db, {*paid, std::nullopt, b}, kT0 + 11) == 0);
  CHECK(wh::Resend(*t.db, {"msg_nope", std::nullopt, std::nullopt}, kT0).status().IsNotFound());
  CHECK(Deliveries(ws, "pending").size() == 3);
}
