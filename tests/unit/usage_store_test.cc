// The stores of lib/usage (store/usage_store.h): reservations found by id
// and refused twice, alerts once per tenant, meter, threshold and period
// (newest first), rate-limit buckets put, listed and deleted.
#include <doctest/doctest.h>

#include "store/usage_store.h"
#include "support/temp_db.h"

namespace meter::store {
namespace {

TEST_CASE("usage_store: a reservation is found by its id and recorded once") {
  testing::TempDb t;
  ReservationStore s(*t.db);
  CHECK(!s.Find("r1").value());
  ReservationRecord r{"r1", "acme", "api", 2500000, true, R"({"allowed":true})", 1000};
  REQUIRE(t.db->Transaction([&] { return s.Insert(r); }).ok());
  auto found = s.Find("r1");
  REQUIRE(found.ok());
  REQUIRE(found->has_value());
  CHECK((*found)->tenant == "acme");
  CHECK((*found)->meter == "api");
  CHECK((*found)->amount_micros == 2500000);
  CHECK((*found)->allowed);
  CHECK((*found)->decision == R"({"allowed":true})");
  CHECK((*found)->created_at == 1000);
  r.allowed = false;
  CHECK(!t.db->Transaction([&] { return s.Insert(r); }).ok());
  CHECK((*s.Find("r1"))->allowed);
}

TEST_CASE("usage_store: an alert once per tenant, meter, threshold and period start") {
  testing::TempDb t;
  AlertStore s(*t.db);
  AlertRecord a{0, "acme", "api", 80, 100, 200, 80000000, 100000000, "", 150};
  std::optional<int64_t> first, again, next;
  REQUIRE(t.db->Transaction([&]() -> Status {
    METER_ASSIGN_OR_RETURN(first, s.InsertIfNew(a));
    METER_ASSIGN_OR_RETURN(again, s.InsertIfNew(a));
    a.threshold = 100;
    a.created_at = 160;
    METER_ASSIGN_OR_RETURN(next, s.InsertIfNew(a));
    a.tenant = "beta";
    METER_RETURN_IF_ERROR(s.InsertIfNew(a).status());
    return s.SetMessage(*first, "msg_1");
  }).ok());
  REQUIRE(first);
  CHECK(!again);
  REQUIRE(next);
  CHECK(*next != *first);
  auto listed = s.List("acme");
  REQUIRE(listed.ok());
  REQUIRE(listed->size() == 2);
  CHECK((*listed)[0].threshold == 100);  // newest first
  CHECK((*listed)[1].threshold == 80);
  CHECK((*listed)[1].message_id == "msg_1");
  CHECK((*listed)[1].used_micros == 80000000);
  CHECK((*listed)[1].limit_micros == 100000000);
  CHECK((*listed)[1].period_start == 100);
  CHECK((*listed)[1].period_end == 200);
  CHECK(s.List("").value().size() == 3);
}

TEST_CASE("usage_store: rate buckets put, replaced, listed by tenant and key, deleted") {
  testing::TempDb t;
  RateBucketStore s(*t.db);
  CHECK(!s.Get("acme", "api").value());
  auto put = [&](RateBucketRecord b) { REQUIRE(t.db->Transaction([&] { return s.Put(b); }).ok()); };
  put({"acme", "api", 5000000, 3, 10, 10000000, 1000000, 1000000});
  put({"acme", "api", 4000000, 7, 20, 10000000, 1000000, 1000000});  // replaces
  put({"acme", "batch", 1, 0, 5, 2, 1, 1});
  put({"beta", "api", 2, 0, 5, 2, 1, 1});
  auto b = s.Get("acme", "api");
  REQUIRE(b->has_value());
  CHECK((*b)->tokens_micros == 4000000);
  CHECK((*b)->remainder == 7);
  CHECK((*b)->updated_us == 20);
  CHECK((*b)->capacity_micros == 10000000);
  auto acme = s.List("acme");
  REQUIRE(acme->size() == 2);
  CHECK((*acme)[0].key == "api");
  CHECK((*acme)[1].key == "batch");
  CHECK(s.List("").value().size() == 3);
  int64_t deleted = 0;
  REQUIRE(t.db->Transaction([&]() -> Status {
    METER_ASSIGN_OR_RETURN(deleted, s.Delete("acme", ""));
    return Status::OK();
  }).ok());
  CHECK(deleted == 2);
  CHECK(!s.Get("acme", "batch").value());
  CHECK(s.Get("beta", "api").value());
}

}  // namespace
}  // namespace meter::store
