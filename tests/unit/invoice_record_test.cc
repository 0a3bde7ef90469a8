#include "billing/invoice_record.h"

#include <string>

#include <doctest/doctest.h>

#include "core/json_util.h"

namespace meter::billing {
namespace {

using nlohmann::json;

// An invoice with one line of each kind, the usage line graduated, written by
// hand so the test does not depend on the builder.
Invoice Sample() {
  Invoice inv;
  inv.id = "inv_acme_2026-02";
  inv.tenant = "acme";
  inv.tenant_name = "Acme Inc";
  inv.tenant_email = "ap@acme.test";
  inv.period = *MonthPeriod("2026-02", "Asia/Kolkata");
  inv.currency = "USD";
  inv.issue_date = "2026-03-01";
  inv.due_date = "2026-03-15";
  inv.tax_name = "VAT";
  inv.tax_rate = Dec("0.075");
  inv.seller_name = "Meter & Co";
  inv.seller_address = "1 Way";

  InvoiceLine base;
  base.kind = LineKind::kBase;
  base.description = "Pro plan, base price (14 of 28 days)";
  base.plan = "pro";
  base.period = inv.period.period;
  base.quantity = Dec("1");
  base.unit_price = Dec("99");
  base.base_price = Dec("99");
  base.amount = Dec("49.5");
  base.days = 14;
  base.days_in_period = 28;

  InvoiceLine usage;
  usage.kind = LineKind::kUsage;
  usage.description = "Storage";
  usage.meter = "storage_gb";
  usage.plan = "pro";
  usage.period = inv.period.period;
  usage.quantity = Dec("3328.325063");
  usage.charge.meter = "storage_gb";
  usage.charge.model = catalog::ChargeModel::kGraduated;
  usage.charge.included = Dec("10.5");
  usage.charge.tiers = {{Dec("100"), Dec("0"), Dec("0")}, {std::nullopt, Dec("0.000012"), Dec("2")}};
  usage.priced.quantity = usage.quantity;
  usage.priced.included = usage.charge.included;
  usage.priced.billable = Dec("3317.825063");
  usage.priced.tiers = {{Dec("0"), Dec("100"), Dec("100"), Dec("0"), Dec("0"), true, Dec("0")},
                        {Dec("100"), std::nullopt, Dec("3217.825063"), Dec("0.000012"), Dec("2"), true,
                         Dec("2.038613900756")}};
  usage.priced.exact_amount = Dec("2.038613900756");
  usage.priced.amount = Dec("2.04");
  usage.amount = Dec("2.04");
  usage.source = "maximum of quantity of 'storage_gb' events";

  InvoiceLine adj = usage;
  adj.kind = LineKind::kAdjustment;
  adj.description = "Late usage adjustment for 2026-01: storage_gb +0.000001";
  adj.quantity = Dec("0.000001");
  adj.amount = Dec("0");
  adj.priced.tiers.clear();
  adj.adjusts = AdjustmentRef{"inv_acme_2026-01", "INV-2026-000001", "2026-01", 1, Dec("1"), Dec("1.000001"),
                              Dec("0"), Dec("0")};

  inv.lines = {base, usage, adj};
  inv.subtotal = Dec("51.54");
  inv.tax = Dec("3.87");
  inv.total = Dec("55.41");
  return inv;
}

TEST_CASE("invoice_record: an invoice reads back from its rows as it was") {
  Invoice inv = Sample();
  store::InvoiceRecord r = InvoiceToRecord(inv, 10, 20);
  auto back = InvoiceFromRecord(r);
  REQUIRE(back.ok());
  CHECK(DumpJson(InvoiceToJson(*back)) == DumpJson(InvoiceToJson(inv)));
  CHECK(back->lines[1].quantity == Dec("3328.325063"));
  CHECK(back->lines[1].priced.tiers[1].amount == Dec("2.038613900756"));
  CHECK(back->lines[1].charge.tiers[1].unit_price == Dec("0.000012"));
  CHECK(back->lines[2].adjusts->quantity_after == Dec("1.000001"));
  CHECK(back->period.timezone == "Asia/Kolkata");
  CHECK(back->seller_name == "Meter & Co");
}

TEST_CASE("invoice_record: an adjustment of a slice the invoice did not bill reads back as line -1") {
  Invoice inv = Sample();
  inv.lines[2].adjusts->line = -1;
  inv.lines[2].group = "beta";
  nlohmann::json doc = InvoiceToJson(inv);
  CHECK(doc["lines"][2]["adjusts"]["line"].is_null());
  auto back = InvoiceFromRecord(InvoiceToRecord(inv, 10, 20));
  REQUIRE(back.ok());
  CHECK(back->lines[2].adjusts->line == -1);
  CHECK(back->lines[2].group == "beta");
  CHECK(DumpJson(InvoiceToJson(*back)) == DumpJson(doc));
}

TEST_CASE("invoice_record: typed columns, attributes for the rest, lifecycle once") {
  Invoice inv = Sample();
  inv.number = "INV-2026-000007";
  inv.status = "paid";
  inv.finalized_at = 1000;
  inv.paid_at = 2000;
  store::InvoiceRecord r = InvoiceToRecord(inv, 10, 20);
  CHECK(r.month == "2026-02");
  CHECK(r.timezone == "Asia/Kolkata");
  CHECK(r.subtotal == "51.54");
  CHECK(r.tax_rate == "0.075");
  CHECK(r.issue_date == *ParseTimeArg("2026-03-01"));
  CHECK(r.status == "paid");
  CHECK(r.paid_at == 2000);
  REQUIRE(r.lines.size() == 3);
  CHECK(r.lines[0].kind == "base");
  CHECK(r.lines[0].meter.empty());
  CHECK(r.lines[1].quantity == "3328.325063");
  CHECK(r.lines[1].unit_price == std::nullopt);
  CHECK(r.lines[1].amount == "2.04");
  // Lifecycle fields and column fields are never repeated in attributes.
  json header = *ParseJsonExact(r.attributes);
  for (const char* key : {"status", "number", "paid_at", "finalized_at", "total", "lines"})
    CHECK_FALSE(header.contains(key));
  CHECK(header["seller"]["name"] == "Meter & Co");
  json usage = *ParseJsonExact(r.lines[1].attributes);
  for (const char* key : {"quantity", "amount", "description", "kind", "meter"}) CHECK_FALSE(usage.contains(key));
  CHECK(usage["pricing"]["model"] == "graduated");
  CHECK(r.lines[1].attributes.find("\"billable\":3317.825063") != std::string::npos);
  json base = *ParseJsonExact(r.lines[0].attributes);
  CHECK(base["days"] == 14);
  CHECK_FALSE(base.contains("pricing"));
}

TEST_CASE("invoice_record: rows written before an attribute existed read with its default") {
  store::InvoiceRecord r = InvoiceToRecord(Sample(), 10, 20);
  r.attributes = "{}";
  r.lines[1].attributes = R"({"pricing":{"model":"per_unit","included":0,"overage":true,"unit_price":"0.5"}})";
  auto back = InvoiceFromRecord(r);
  REQUIRE(back.ok());
  CHECK(back->seller_name.empty());
  CHECK(back->lines[1].charge.unit_price == Dec("0.5"));
  CHECK(back->lines[1].priced.exact_amount == back->lines[1].amount);  // the rounded amount stands in
  CHECK(back->lines[1].priced.tiers.empty());
}

TEST_CASE("invoice_record: an unreadable row is a DataError naming the invoice") {
  const auto unreadable = [](const std::function<void(store::InvoiceRecord&)>& spoil) {
    store::InvoiceRecord r = InvoiceToRecord(Sample(), 10, 20);
    spoil(r);
    auto back = InvoiceFromRecord(r);
    REQUIRE_FALSE(back.ok());
    CHECK(back.status().IsDataError());
    CHECK(back.status().message().starts_with("invoice inv_acme_2026-02: stored invoice is unreadable: "));
  };
  unreadable([](store::InvoiceRecord& r) { r.lines[0].kind = "bonus"; });
  unreadable([](store::InvoiceRecord& r) { r.lines[1].quantity = "1e3"; });
  unreadable([](store::InvoiceRecord& r) { r.lines[1].attributes = "[1]"; });
  unreadable([](store::InvoiceRecord& r) { r.lines[1].attributes = R"({"pricing":{"model":"flat"}})"; });
  unreadable([](store::InvoiceRecord& r) { r.month = "2026-13"; });
  unreadable([](store::InvoiceRecord& r) { r.total = "twelve"; });
}

}  // namespace
}  // namespace meter::billing
