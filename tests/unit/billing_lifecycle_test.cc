// The invoice lifecycle (billing/lifecycle.h): draft -> open -> paid | void,
// open -> overdue; numbers sequential per prefix and year with no gaps,
// drafts taking none; each transition's webhook message; refusals.
#include <doctest/doctest.h>

#include <map>

#include "billing/generate.h"
#include "billing/lifecycle.h"
#include "store/webhook_store.h"
#include "support/usage_events.h"

namespace meter::billing {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "currency": "USD", "tax": {"rate": "0.10"}, "invoice": {"net_days": 14},
  "meters": [{"key": "api_calls"}],
  "plans": [
    {"key": "basic", "base_price": "10", "charges": [{"meter": "api_calls", "included": 100, "unit_price": "0.01"}]},
    {"key": "pro", "base_price": "50", "charges": [{"meter": "api_calls", "included": 1000, "unit_price": "0.005"}]}],
  "tenants": [{"id": "acme", "plan": "basic"}, {"id": "idle", "plan": "pro"}],
  "webhooks": [{"url": "http://127.0.0.1:9/h", "events": ["invoice.*"]}]})";

struct Fixture : testing::UsageDb {
  Fixture() : UsageDb(kCatalog, At("2026-01-01T00:00:00Z")) {}
  Result<GenerateResult> Generate(const char* month, const char* tenant) {
    return GenerateInvoices(db, c, {.month = month, .tenant = tenant, .now = At("2026-04-02T00:00:00Z")});
  }
  // Queued messages by type: "type=n ...".
  std::string Messages() {
    auto d = store::WebhookStore(db).ListDeliveries({});
    REQUIRE(d.ok());
    std::map<std::string, int> by;
    for (const auto& x : *d) ++by[x.type];
    std::string out;
    for (const auto& [type, n] : by) out += type + "=" + std::to_string(n) + " ";
    return out;
  }
};

TEST_CASE("billing.lifecycle: numbers, transitions and refusals") {
  Fixture f;
  REQUIRE(f.Generate("2026-02", "").ok());
  Timestamp now = At("2026-03-02T00:00:00Z");
  CHECK(MarkPaid(f.db, "inv_acme_2026-02", now, now).status().IsDenied());
  auto open = FinalizeInvoice(f.db, "inv_acme_2026-02", now);
  REQUIRE(open.ok());
  CHECK(open->number == "INV-2026-000001");
  CHECK(FinalizeInvoice(f.db, "INV-2026-000001", now).status().IsDenied());
  CHECK(DeleteDraft(f.db, "INV-2026-000001").IsDenied());
  REQUIRE(DeleteDraft(f.db, "inv_idle_2026-02").ok());
  CHECK(GetInvoice(f.db, "inv_idle_2026-02").status().IsNotFound());
  auto swept = SweepOverdue(f.db, At("2026-03-16T00:00:00Z"));
  REQUIRE(swept.ok());
  REQUIRE(swept->size() == 1);
  CHECK((*swept)[0].status == "overdue");
  CHECK(VoidInvoice(f.db, "INV-2026-000001", "", now).status().IsInvalidArgument());
  auto voided = VoidInvoice(f.db, "INV-2026-000001", "duplicate", now);
  REQUIRE(voided.ok());
  CHECK(voided->void_reason == "duplicate");
  CHECK(MarkPaid(f.db, "INV-2026-000001", now, now).status().message() ==
        "invoice INV-2026-000001 is void; a void invoice cannot be paid");
}

TEST_CASE("billing.lifecycle: numbers in finalizing order without gaps; each transition queues its message") {
  Fixture f;
  Timestamp now = At("2026-03-02T00:00:00Z");
  REQUIRE(f.Generate("2026-02", "").ok());
  REQUIRE(FinalizeInvoice(f.db, "inv_idle_2026-02", now).ok());
  REQUIRE(FinalizeInvoice(f.db, "inv_acme_2026-02", now).ok());
  CHECK(GetInvoice(f.db, "inv_idle_2026-02")->number == "INV-2026-000001");
  CHECK(GetInvoice(f.db, "inv_acme_2026-02")->number == "INV-2026-000002");
  // A deleted draft takes no number.
  REQUIRE(f.Generate("2026-03", "acme").ok());
  REQUIRE(DeleteDraft(f.db, "inv_acme_2026-03").ok());
  REQUIRE(f.Generate("2026-03", "acme").ok());
  auto march = FinalizeInvoice(f.db, "inv_acme_2026-03", At("2026-04-02T00:00:00Z"));
  REQUIRE(march.ok());
  CHECK(march->number == "INV-2026-000003");
  CHECK(march->status == "open");
  CHECK(march->due_date == "2026-04-15");  // issued 1 April, 14 days net
  // Each draft written queues invoice.created: February's two, March's twice.
  CHECK(f.Messages() == "invoice.created=4 invoice.finalized=3 ");
  auto paid = MarkPaid(f.db, "INV-2026-000001", At("2026-03-05T00:00:00Z"), now);
  REQUIRE(paid.ok());
  CHECK(paid->status == "paid");
  CHECK(paid->paid_at == At("2026-03-05T00:00:00Z"));
  CHECK(MarkPaid(f.db, "INV-2026-000001", now, now).status().IsDenied());
  // February's acme invoice was due 15 March; the paid one and March's are not overdue.
  auto swept = SweepOverdue(f.db, At("2026-03-16T00:00:00Z"));
  REQUIRE(swept.ok());
  REQUIRE(swept->size() == 1);
  CHECK((*swept)[0].number == "INV-2026-000002");
  CHECK(SweepOverdue(f.db, At("2026-03-17T00:00:00Z"))->empty());  // once
  REQUIRE(MarkPaid(f.db, "INV-2026-000002", At("2026-03-20T00:00:00Z"), now).ok());  // overdue can be paid
  CHECK(f.Messages() == "invoice.created=4 invoice.finalized=3 invoice.overdue=1 invoice.paid=2 ");
}

}  // namespace
}  // namespace meter::billing
