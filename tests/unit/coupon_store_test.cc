// CouponStore (store/coupon_store.h): coupons applied in order with their
// positions, removal, how many tenants used a code, and redemptions, live
// only while their invoice still bills (open, paid, overdue).
#include <doctest/doctest.h>

#include "billing/generate.h"
#include "billing/lifecycle.h"
#include "store/coupon_store.h"
#include "support/usage_events.h"

namespace meter::store {
namespace {

using testing::At;

using testing::kTwoTenantsCatalog;

TEST_CASE("coupon_store: coupons by position, removal, tenants per code") {
  testing::UsageDb f(kTwoTenantsCatalog);
  CouponStore s(f.db);
  auto insert = [&](const char* tenant, const char* code, const char* month) {
    int64_t position = 0;
    REQUIRE(f.db.Transaction([&]() -> Status {
      METER_ASSIGN_OR_RETURN(position, s.Insert({tenant, 0, code, R"({"percent_off":"10"})", month, 5, {}}));
      return Status::OK();
    }).ok());
    return position;
  };
  CHECK(insert("acme", "WELCOME", "2026-02") == 1);
  CHECK(insert("acme", "SPRING", "2026-03") == 2);
  CHECK(insert("beta", "WELCOME", "2026-02") == 1);  // positions count per tenant
  CHECK(insert("acme", "WELCOME", "2026-04") == 3);
  CHECK(s.TenantsWithCode("WELCOME").value() == 2);
  CHECK(s.TenantsWithCode("NONE").value() == 0);
  REQUIRE(f.db.Transaction([&] { return s.MarkRemoved("acme", 2, 99); }).ok());
  auto acme = s.ForTenant("acme");
  REQUIRE(acme.ok());
  REQUIRE(acme->size() == 3);  // removed ones included
  CHECK((*acme)[0].code == "WELCOME");
  CHECK((*acme)[0].terms == R"({"percent_off":"10"})");
  CHECK((*acme)[0].start_month == "2026-02");
  CHECK((*acme)[0].applied_at == 5);
  CHECK(!(*acme)[0].removed_at);
  CHECK((*acme)[1].code == "SPRING");
  CHECK((*acme)[1].removed_at == 99);
  CHECK((*acme)[2].position == 3);
}

TEST_CASE("coupon_store: redemptions live while their invoice bills") {
  testing::UsageDb f(kTwoTenantsCatalog, At("2026-01-01T00:00:00Z"));
  Timestamp now = At("2026-04-02T00:00:00Z");
  REQUIRE(billing::GenerateInvoices(f.db, f.c, {.month = "2026-02", .tenant = "acme", .finalize = true, .now = now}).ok());
  REQUIRE(billing::GenerateInvoices(f.db, f.c, {.month = "2026-03", .tenant = "acme", .now = now}).ok());  // a draft
  CouponStore s(f.db);
  REQUIRE(f.db.Transaction([&]() -> Status {
    METER_RETURN_IF_ERROR(s.InsertRedemption({"inv_acme_2026-02", "acme", 2, Dec("1.5")}));
    METER_RETURN_IF_ERROR(s.InsertRedemption({"inv_acme_2026-02", "acme", 1, Dec("2")}));
    return s.InsertRedemption({"inv_acme_2026-03", "acme", 1, Dec("4")});
  }).ok());
  auto feb = s.ForInvoice("inv_acme_2026-02");
  REQUIRE(feb->size() == 2);
  CHECK((*feb)[0].position == 1);  // by position
  CHECK((*feb)[0].amount == Dec("2"));
  CHECK((*feb)[1].amount == Dec("1.5"));
  CHECK(s.LiveRedemptions("acme")->size() == 2);  // the draft's does not count
  CHECK(s.LiveRedemptions("beta")->empty());
  auto number = billing::GetInvoice(f.db, "inv_acme_2026-02")->number;
  REQUIRE(billing::VoidInvoice(f.db, number, "wrong", now).ok());
  CHECK(s.LiveRedemptions("acme")->empty());  // a voided invoice gives back what it took
  CHECK(s.ForInvoice("inv_acme_2026-02")->size() == 2);
}

}  // namespace
}  // namespace meter::store
