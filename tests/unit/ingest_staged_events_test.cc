// StagedEvents (ingest/staged_events.h): events and their contributions held
// in one arena read back field for field, and the insert order by id.
#include <doctest/doctest.h>

#include "ingest/staged_events.h"

namespace meter::ingest {
namespace {

Event Sample(const char* id) {
  Event e;
  e.id = id;
  e.source = "/svc";
  e.tenant = "acme";
  e.metric = "api";
  e.timestamp = 1770000000000;
  e.quantity_micros = 2500000;
  e.user = "u1";
  e.operation = "search";
  e.status = "ok";
  e.latency_ms = 42;
  e.cost = "0.125";
  e.properties = R"({"region":"eu"})";
  return e;
}

TEST_CASE("ingest.staged_events: every field and contribution reads back as added") {
  catalog::Meter users;
  users.key = "users";
  StagedEvents s;
  Event a = Sample("e1");
  Event b = Sample("e2");
  b.latency_ms.reset();
  b.user = "";
  s.Add(ViewOf(a), 7, {{&users, 1000000, "u1"}, {&users, 3, "u2"}}, {4, 11});
  s.Add(ViewOf(b), 9, {}, {});
  REQUIRE(s.size() == 2);
  EventView va = s.View(s.event(0));
  CHECK(va.id == "e1");
  CHECK(va.source == "/svc");
  CHECK(va.tenant == "acme");
  CHECK(va.metric == "api");
  CHECK(va.timestamp == 1770000000000);
  CHECK(va.quantity_micros == 2500000);
  CHECK(va.user == "u1");
  CHECK(va.operation == "search");
  CHECK(va.status == "ok");
  CHECK(va.latency_ms == 42);
  CHECK(va.cost == "0.125");
  CHECK(va.properties == R"({"region":"eu"})");
  CHECK(s.event(0).tag == 7);
  REQUIRE(s.event(0).end_contribution - s.event(0).first_contribution == 2);
  const auto& second = s.contribution(s.event(0).first_contribution + 1);
  CHECK(second.meter == &users);
  CHECK(second.micros == 3);
  CHECK(second.slot == 11);
  EventView vb = s.View(s.event(1));
  CHECK(vb.id == "e2");
  CHECK(!vb.latency_ms);
  CHECK(vb.user.empty());
  CHECK(s.event(1).tag == 9);
  CHECK(s.event(1).first_contribution == s.event(1).end_contribution);
  s.Clear();
  CHECK(s.size() == 0);
  CHECK(s.bytes() == 0);
}

TEST_CASE("ingest.staged_events: by id, equal ids in staging order, past a long shared prefix") {
  StagedEvents s;
  // Ids that agree beyond the 8 bytes of a sort key after their common
  // prefix, one that is a prefix of another, and a repeated id.
  for (const char* id : {"evt_b", "evt_aaaaaaaaaaZ", "evt_a", "evt_aaaaaaaaaaA", "evt_a", "evt_"})
    s.Add(ViewOf(Sample(id)), 0, {}, {});
  CHECK(s.ById() == std::vector<uint32_t>{5, 2, 4, 3, 1, 0});
  StagedEvents none;
  CHECK(none.ById().empty());
}

}  // namespace
}  // namespace meter::ingest
