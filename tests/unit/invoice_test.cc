#include "billing/invoice.h"

#include <string>

#include <doctest/doctest.h>

#include "billing/invoice_record.h"
#include "billing/render.h"
#include "support/invoice_inputs.h"

namespace meter::billing {
namespace {

using catalog::Charge;
using catalog::ChargeModel;

Timestamp At(const char* rfc3339) { return *ParseRfc3339(rfc3339); }

Charge PerUnit(const char* meter, const char* price, const char* included = "0") {
  Charge c;
  c.meter = meter;
  c.unit_price = Dec(price);
  c.included = Dec(included);
  return c;
}

catalog::Catalog TestCatalog() {
  catalog::Catalog c;
  c.currency = "USD";
  c.tax = {"VAT", Dec("0.10")};
  c.invoice.net_days = 14;
  for (const char* m : {"email_analysis", "video_understanding", "audio_transcription", "text_to_speech",
                        "ai_requests"})
    c.meters.push_back({m, m, "", "ai_requests", {}, catalog::Aggregation::kCount, "quantity"});
  catalog::Plan ai;
  ai.key = "ai_usage";
  ai.name = "AI Usage";
  ai.charges = {PerUnit("email_analysis", "0.002"), PerUnit("video_understanding", "0.05"),
                PerUnit("audio_transcription", "0.001"), PerUnit("text_to_speech", "0.003")};
  catalog::Plan pro;
  pro.key = "professional";
  pro.name = "Professional";
  pro.base_price = Dec("99.00");
  pro.charges = {PerUnit("ai_requests", "0.02", "1000")};
  catalog::Plan free;
  free.key = "free";
  free.name = "Free";
  free.overage = false;
  c.plans = {free, ai, pro};
  return c;
}

InvoiceInputs Inputs(const catalog::Catalog& c, const char* plan, std::map<std::string, Decimal> usage) {
  InvoiceInputs in;
  in.catalog = &c;
  in.tenant.id = "umbrella";
  in.tenant.name = "Umbrella Corporation";
  in.period = *MonthPeriod("2026-02");
  testing::AddSegment(in, *c.FindPlan(plan), in.period.period, in.period.days, std::move(usage));
  return in;
}

TEST_CASE("invoice: the SPEC worked example") {
  catalog::Catalog c = TestCatalog();
  auto inv = BuildInvoice(Inputs(c, "ai_usage", {{"email_analysis", Dec("5000")}, {"video_understanding", Dec("200")},
                                                 {"audio_transcription", Dec("1000")}, {"text_to_speech", Dec("500")}}));
  REQUIRE(inv.ok());
  REQUIRE(inv->lines.size() == 4);  // no base price, no base line
  CHECK(inv->lines[0].amount.ToString(2) == "10.00");
  CHECK(inv->lines[1].amount.ToString(2) == "10.00");
  CHECK(inv->lines[2].amount.ToString(2) == "1.00");
  CHECK(inv->lines[3].amount.ToString(2) == "1.50");
  CHECK(inv->subtotal.ToString(2) == "22.50");
  CHECK(inv->tax.ToString(2) == "2.25");
  CHECK(inv->total.ToString(2) == "24.75");
  CHECK(inv->issue_date == "2026-03-01");
  CHECK(inv->due_date == "2026-03-15");
  CHECK(inv->id == "inv_umbrella_2026-02");
  CHECK(inv->status == "draft");
  nlohmann::json j = InvoiceToJson(*inv);
  CHECK(j["subtotal"] == "22.50");
  CHECK(j["total"] == "24.75");
  CHECK(j["tax_rate"] == "0.10");
  CHECK(j["number"].is_null());
  CHECK(j["lines"][0]["quantity"] == 5000);
  CHECK(j["lines"][0]["unit_price"] == "0.002");
  CHECK(j["lines"][0]["amount"] == "10.00");
  CHECK(j["lines"][0]["tiers"].is_array());
}

TEST_CASE("invoice: Professional with 1,250 requests bills 99.00 + 5.00") {
  catalog::Catalog c = TestCatalog();
  auto inv = BuildInvoice(Inputs(c, "professional", {{"ai_requests", Dec("1250")}}));
  REQUIRE(inv.ok());
  REQUIRE(inv->lines.size() == 2);
  CHECK(inv->lines[0].kind == LineKind::kBase);
  CHECK(inv->lines[0].amount.ToString(2) == "99.00");
  CHECK(inv->lines[1].amount.ToString(2) == "5.00");
  CHECK(inv->lines[1].priced.billable == Dec("250"));
  CHECK(inv->subtotal.ToString(2) == "104.00");
  CHECK(inv->tax.ToString(2) == "10.40");
  CHECK(inv->total.ToString(2) == "114.40");
}

TEST_CASE("invoice: tenant tax override, zero allowed") {
  catalog::Catalog c = TestCatalog();
  InvoiceInputs in = Inputs(c, "professional", {});
  in.tenant.overrides.tax_rate = Dec("0");
  auto inv = BuildInvoice(in);
  REQUIRE(inv.ok());
  CHECK(inv->tax.IsZero());
  CHECK(inv->total.ToString(2) == "99.00");
  CHECK(InvoiceToJson(*inv)["tax_rate"] == "0.00");
  in.tenant.overrides.tax_rate = Dec("0.19");
  CHECK(BuildInvoice(in)->tax.ToString(2) == "18.81");
}

TEST_CASE("invoice: a plan without overage bills only its base") {
  catalog::Catalog c = TestCatalog();
  c.plans[0].charges = {PerUnit("ai_requests", "0.02", "10")};
  auto inv = BuildInvoice(Inputs(c, "free", {{"ai_requests", Dec("500")}}));
  REQUIRE(inv.ok());
  REQUIRE(inv->lines.size() == 1);
  CHECK(inv->lines[0].amount.IsZero());
  CHECK(inv->total.IsZero());
}

TEST_CASE("invoice: months, issue and due dates") {
  auto feb = MonthPeriod("2026-02");
  REQUIRE(feb.ok());
  CHECK(feb->days == 28);
  CHECK(feb->first_day == "2026-02-01");
  CHECK(feb->last_day == "2026-02-28");
  CHECK(feb->issue_date == "2026-03-01");
  CHECK(feb->period.start == At("2026-02-01T00:00:00Z"));
  CHECK(feb->period.end == At("2026-03-01T00:00:00Z"));
  auto dec = MonthPeriod("2026-12");
  CHECK(dec->issue_date == "2027-01-01");
  CHECK(MonthPeriod("2028-02")->days == 29);
  auto berlin = MonthPeriod("2026-02", "Europe/Berlin");
  CHECK(berlin->period.start == At("2026-01-31T23:00:00Z"));
  CHECK(AddDays("2026-03-01", 14) == "2026-03-15");
  CHECK(AddDays("2026-12-25", 30) == "2027-01-24");
  for (const char* bad : {"2026-13", "2026-2", "26-02", "2026/02", ""}) {
    CAPTURE(bad);
    CHECK_FALSE(MonthPeriod(bad).ok());
  }
}

std::vector<store::PlanAssignment> History(std::vector<std::pair<const char*, Timestamp>> changes) {
  std::vector<store::PlanAssignment> h;
  for (auto& [plan, from] : changes) h.push_back({plan, from, 0});
  return h;
}

TEST_CASE("invoice: plan spans split the month at plan changes") {
  BillingPeriod feb = *MonthPeriod("2026-02");
  auto one = PlanSpans(History({{"free", 0}}), feb);
  REQUIRE(one.ok());
  REQUIRE(one->size() == 1);
  CHECK((*one)[0].days == 28);
  // A change on the 15th of a 28-day month: 14 days each.
  auto two = PlanSpans(History({{"free", 0}, {"pro", At("2026-02-15T00:00:00Z")}}), feb);
  REQUIRE(two->size() == 2);
  CHECK((*two)[0].plan == "free");
  CHECK((*two)[0].days == 14);
  CHECK((*two)[0].period.end == At("2026-02-15T00:00:00Z"));
  CHECK((*two)[1].plan == "pro");
  CHECK((*two)[1].days == 14);
  // Mid-day changes count from the nearest midnight for the base price, but
  // usage still splits at the instant.
  auto late = PlanSpans(History({{"free", 0}, {"pro", At("2026-02-15T14:00:00Z")}}), feb);
  CHECK((*late)[0].days == 15);
  CHECK((*late)[1].period.start == At("2026-02-15T14:00:00Z"));
  // Changes outside the month, and changes back to the same plan.
  auto before = PlanSpans(History({{"free", 0}, {"pro", At("2026-01-10T00:00:00Z")}}), feb);
  REQUIRE(before->size() == 1);
  CHECK((*before)[0].plan == "pro");
  auto same = PlanSpans(History({{"pro", 0}, {"pro", At("2026-02-10T00:00:00Z")}}), feb);
  REQUIRE(same->size() == 1);
  CHECK((*same)[0].days == 28);
  CHECK(PlanSpans({}, feb).status().IsNotFound());
}

TEST_CASE("invoice: proration on a change on the 15th of February") {
  catalog::Catalog c = TestCatalog();
  c.plans[1].base_price = Dec("29.00");  // ai_usage
  InvoiceInputs in = Inputs(c, "ai_usage", {{"email_analysis", Dec("1000")}});
  Timestamp mid = At("2026-02-15T00:00:00Z");
  in.segments[0].period.end = mid;
  in.segments[0].days = 14;
  testing::AddSegment(in, *c.FindPlan("professional"), {mid, in.period.period.end}, 14, {{"ai_requests", Dec("1250")}});
  auto inv = BuildInvoice(in);
  REQUIRE(inv.ok());
  // Base lines first: 29 x 14/28 and 99 x 14/28; then each segment's charges.
  REQUIRE(inv->lines.size() == 2 + 4 + 1);
  CHECK(inv->lines[0].amount.ToString(2) == "14.50");
  CHECK(inv->lines[0].description.find("14 of 28 days") != std::string::npos);
  CHECK(inv->lines[1].amount.ToString(2) == "49.50");
  CHECK(inv->lines[2].amount.ToString(2) == "2.00");     // 1,000 x 0.002 under ai_usage
  CHECK(inv->lines[6].amount.ToString(2) == "5.00");     // full included amount in the segment
  CHECK(inv->lines[6].description.find("Professional") != std::string::npos);
  CHECK(inv->subtotal.ToString(2) == "71.00");
}

TEST_CASE("invoice: late usage line re-prices under the billed line's terms") {
  catalog::Catalog c = TestCatalog();
  auto feb = BuildInvoice(Inputs(c, "professional", {{"ai_requests", Dec("1250")}}));
  REQUIRE(feb.ok());
  feb->number = "INV-2026-000001";
  auto none = LateUsageLine(*feb, 1, Dec("1250"), Dec("5.00"), Dec("1250"));
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());
  auto adj = LateUsageLine(*feb, 1, Dec("1250"), Dec("5.00"), Dec("1260"));
  REQUIRE(adj.ok());
  REQUIRE(adj->has_value());
  const InvoiceLine& l = **adj;
  CHECK(l.kind == LineKind::kAdjustment);
  CHECK(l.description == "Late usage adjustment for 2026-02: ai_requests +10");
  // Voided events (SPEC 11): the same line in reverse, labelled as such.
  auto voided = LateUsageLine(*feb, 1, Dec("1250"), Dec("5.00"), Dec("1240"));
  REQUIRE(voided.ok());
  REQUIRE(voided->has_value());
  CHECK((*voided)->description == "Voided events adjustment for 2026-02: ai_requests -10");
  CHECK((*voided)->amount.ToString(2) == "-0.20");
  CHECK(l.quantity == Dec("10"));
  CHECK(l.amount.ToString(2) == "0.20");
  CHECK(l.adjusts->invoice_number == "INV-2026-000001");
  CHECK(l.adjusts->line == 1);
  // Within the included amount the adjustment is on record at 0.00.
  auto free = LateUsageLine(*feb, 1, Dec("900"), Dec("0"), Dec("950"));
  CHECK((*free)->amount.IsZero());
}

TEST_CASE("invoice: stored rows read back exactly") {
  catalog::Catalog c = TestCatalog();
  catalog::Plan& pro = c.plans[2];
  Charge tiers;
  tiers.meter = "email_analysis";
  tiers.model = ChargeModel::kGraduated;
  tiers.tiers = {{Dec("100"), Dec("0"), Dec("0")}, {std::nullopt, Dec("0.5"), Dec("1")}};
  pro.charges.push_back(tiers);
  auto inv = BuildInvoice(Inputs(c, "professional", {{"ai_requests", Dec("1250.5")}, {"email_analysis", Dec("131.5")}}));
  REQUIRE(inv.ok());
  auto adj = LateUsageLine(*inv, 1, Dec("1250.5"), inv->lines[1].amount, Dec("1300"));
  inv->lines.push_back(**adj);
  nlohmann::json j = InvoiceToJson(*inv);
  auto back = InvoiceFromRecord(InvoiceToRecord(*inv, 0, 0));
  REQUIRE(back.ok());
  CHECK(InvoiceToJson(*back) == j);
  CHECK(j["lines"][1]["quantity"] == 1250.5);
  CHECK(j["lines"][2]["tiers"].size() == 2);
  CHECK(j["lines"][2]["tiers"][1]["amount"] == "16.75");
  CHECK_FALSE(InvoiceFromRecord(store::InvoiceRecord{}).ok());
}

TEST_CASE("invoice: overflow is refused with a DataError naming the line") {
  catalog::Catalog c = TestCatalog();
  c.plans[1].charges[0].unit_price = Dec("1000000000");
  auto inv = BuildInvoice(Inputs(c, "ai_usage", {{"email_analysis", Dec("1000000000000")}}));
  REQUIRE_FALSE(inv.ok());
  CHECK(inv.status().IsDataError());
  CHECK(inv.status().message().find("umbrella 2026-02: email_analysis") != std::string::npos);
  CHECK(inv.status().message().find("amount out of range") != std::string::npos);
}

TEST_CASE("invoice: renderers show what a person needs") {
  catalog::Catalog c = TestCatalog();
  c.invoice.seller_name = "Meter & Co";
  auto inv = BuildInvoice(Inputs(c, "professional", {{"ai_requests", Dec("1250")}}));
  REQUIRE(inv.ok());
  inv->number = "INV-2026-000007";
  inv->status = "open";
  std::string text = RenderText(*inv);
  for (const char* want : {"INV-2026-000007", "Umbrella Corporation", "2026-02-01 to 2026-02-28", "2026-03-15",
                           "104.00", "10.40", "114.40", "1,250 used, 1,000 included, 250 billable", "VAT 10%"}) {
    CAPTURE(want);
    CHECK(text.find(want) != std::string::npos);
  }
  std::string html = RenderHtml(*inv);
  CHECK(html.find("<!DOCTYPE html>") == 0);
  CHECK(html.find("Meter &amp; Co") != std::string::npos);
  CHECK(html.find("114.40") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http") == std::string::npos);  // nothing fetched from the network
  std::string md = RenderMarkdown(*inv);
  CHECK(md.find("| Description | Quantity | Unit price | Amount |") != std::string::npos);
  std::string csv = RenderCsv(*inv);
  CHECK(csv.find("line,kind,description") == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 3);
  std::string explain = RenderExplain(*inv);
  CHECK(explain.find("billable = max(0, 1,250 - 1,000) = 250") != std::string::npos);
  CHECK(explain.find("per_unit: 250 × 0.02 = 5") != std::string::npos);
  CHECK(explain.find("total = 104.00 + 10.40 = USD 114.40") != std::string::npos);
  CHECK_FALSE(Render(*inv, "pdf").ok());
}

// ---- pricing depth (SPEC section 10): trials, commitments, annual plans,
// currencies, negative subtotals ----

catalog::Catalog DepthCatalog() {
  catalog::Catalog c = TestCatalog();
  catalog::Plan& pro = c.plans[2];  // professional: 99.00, ai_requests 0.02 beyond 1,000
  pro.trial_days = 14;
  catalog::Plan committed;
  committed.key = "committed";
  committed.name = "Committed";
  committed.minimum_commitment = Dec("300.00");
  committed.charges = {PerUnit("ai_requests", "0.10")};
  catalog::Plan cent = committed;
  cent.key = "cent";
  cent.minimum_commitment = Dec("0.01");
  catalog::Plan cent2 = cent;
  cent2.key = "cent2";
  catalog::Plan annual;
  annual.key = "annual";
  annual.name = "Annual";
  annual.interval = "year";
  annual.base_price = Dec("365.00");
  catalog::Plan yen;
  yen.key = "yen";
  yen.name = "Yen";
  yen.currency = "JPY";
  yen.base_price = Dec("1000");
  yen.charges = {PerUnit("ai_requests", "0.5")};
  catalog::Plan dinar = yen;
  dinar.key = "dinar";
  dinar.currency = "KWD";
  dinar.base_price = Dec("10");
  dinar.charges = {PerUnit("ai_requests", "0.0015")};
  c.plans.insert(c.plans.end(), {committed, cent, cent2, annual, yen, dinar});
  return c;
}

TEST_CASE("invoice: a trial is one base line prorated to the paid days, naming the trial") {
  catalog::Catalog c = DepthCatalog();
  InvoiceInputs in = Inputs(c, "professional", {{"ai_requests", Dec("1250")}});
  in.segments[0].paid_days = 5;
  in.segments[0].trial_days = 14;
  in.segments[0].trial_paid_from = DaysFromCivil(2026, 2, 24);
  auto inv = BuildInvoice(in);
  REQUIRE_MESSAGE(inv.ok(), inv.status().message());
  REQUIRE(inv->lines.size() == 2);
  CHECK(inv->lines[0].description == "Professional plan, base price (5 of 28 days; 14-day trial, paid from 2026-02-24)");
  CHECK(inv->lines[0].amount.ToString(2) == "17.68");  // 99 x 5/28 = 17.678...
  CHECK(inv->lines[1].amount.ToString(2) == "5.00");   // usage is charged as usual
  // All of the period in trial: a zero line still names it.
  in.segments[0].paid_days = 0;
  auto all = BuildInvoice(in);
  CHECK(all->lines[0].amount.IsZero());
  CHECK(all->lines[0].description.find("0 of 28 days; 14-day trial") != std::string::npos);
  // Before the tenant started (no trial): no base line at all.
  in.segments[0].trial_paid_from.reset();
  CHECK(BuildInvoice(in)->lines.size() == 1);
}

TEST_CASE("invoice: minimum commitment true-up") {
  catalog::Catalog c = DepthCatalog();
  // 1,200 x 0.10 = 120 of a 300 commitment: 180 more.
  auto inv = BuildInvoice(Inputs(c, "committed", {{"ai_requests", Dec("1200")}}));
  REQUIRE_MESSAGE(inv.ok(), inv.status().message());
  REQUIRE(inv->lines.size() == 2);
  CHECK(inv->lines[1].kind == LineKind::kCommitment);
  CHECK(inv->lines[1].description == "Minimum commitment true-up");
  CHECK(inv->lines[1].amount.ToString(2) == "180.00");
  CHECK(inv->subtotal.ToString(2) == "300.00");
  // Usage beyond the commitment: no true-up line.
  CHECK(BuildInvoice(Inputs(c, "committed", {{"ai_requests", Dec("3000")}}))->lines.size() == 1);
  CHECK(BuildInvoice(Inputs(c, "committed", {{"ai_requests", Dec("3000")}}))->subtotal.ToString(2) == "300.00");
  // Prorated by day like the base price: 14 paid days of 28 owe 150.
  InvoiceInputs half = Inputs(c, "committed", {{"ai_requests", Dec("1200")}});
  half.segments[0].paid_days = 14;
  CHECK(BuildInvoice(half)->lines[1].amount.ToString(2) == "30.00");
  // Late-usage adjustments never re-open a true-up.
  InvoiceInputs late = Inputs(c, "committed", {{"ai_requests", Dec("1200")}});
  InvoiceLine adj;
  adj.kind = LineKind::kAdjustment;
  adj.amount = Dec("500");
  late.adjustments.push_back(adj);
  auto with_late = BuildInvoice(late);
  REQUIRE(with_late->lines.size() == 3);
  CHECK(with_late->lines[2].amount.ToString(2) == "180.00");
}

// The commitment in force is kept exact across plan segments and only the
// true-up is rounded: two half-periods of a 0.01 commitment owe 0.005 each,
// 0.01 together; rounding each half first would bill 0.02.
TEST_CASE("invoice: commitment across plan segments is rounded once") {
  catalog::Catalog c = DepthCatalog();
  InvoiceInputs in = Inputs(c, "cent", {});
  Timestamp mid = At("2026-02-15T00:00:00Z");
  in.segments[0].period.end = mid;
  in.segments[0].days = 14;
  testing::AddSegment(in, *c.FindPlan("cent2"), {mid, in.period.period.end}, 14);
  auto inv = BuildInvoice(in);
  REQUIRE_MESSAGE(inv.ok(), inv.status().message());
  REQUIRE(inv->lines.back().kind == LineKind::kCommitment);
  CHECK(inv->lines.back().amount.ToString(2) == "0.01");
}

TEST_CASE("invoice: annual base once a year, unused days credited, negative subtotal carried as credit") {
  catalog::Catalog c = DepthCatalog();
  InvoiceInputs in = Inputs(c, "annual", {});
  int64_t y0 = DaysFromCivil(2026, 2, 10);
  in.annual_charges.push_back({"annual", y0, DaysFromCivil(2027, 2, 10), 0});
  auto inv = BuildInvoice(in);
  REQUIRE_MESSAGE(inv.ok(), inv.status().message());
  REQUIRE(inv->lines.size() == 1);
  CHECK(inv->lines[0].description == "Annual plan, annual base price (2026-02-10 to 2027-02-09)");
  CHECK(inv->lines[0].amount.ToString(2) == "365.00");
  // No annual charge due: no base line in the other periods.
  CHECK(BuildInvoice(Inputs(c, "annual", {}))->lines.empty());
  // Leaving on May 10 credits 276 unused days of 365: 276.00 on a 365.00 year.
  InvoiceInputs leave = Inputs(c, "annual", {});
  leave.annual_credits.push_back({"annual", DaysFromCivil(2026, 5, 10), y0, DaysFromCivil(2027, 2, 10)});
  auto credit = BuildInvoice(leave);
  REQUIRE(credit->lines.size() == 1);
  CHECK(credit->lines[0].kind == LineKind::kAnnualCredit);
  CHECK(credit->lines[0].amount.ToString(2) == "-276.00");
  CHECK(credit->lines[0].description == "Annual plan, unused days credited (276 of 365 days from 2026-05-10)");
  // The lines add up to less than zero: the invoice bills 0 and carries the rest.
  CHECK(credit->subtotal.IsZero());
  CHECK(credit->tax.IsZero());
  CHECK(credit->total.IsZero());
  CHECK(credit->carried_credit.ToString(2) == "276.00");
}

TEST_CASE("invoice: a plan's currency and its minor unit") {
  catalog::Catalog c = DepthCatalog();
  InvoiceInputs in = Inputs(c, "yen", {{"ai_requests", Dec("3")}});
  in.segments[0].paid_days = 13;
  auto inv = BuildInvoice(in);
  REQUIRE_MESSAGE(inv.ok(), inv.status().message());
  CHECK(inv->currency == "JPY");
  CHECK(inv->lines[0].amount == Dec("464"));  // 1000 x 13/28 = 464.28...
  CHECK(inv->lines[1].amount == Dec("2"));    // 3 x 0.5 = 1.5 -> 2
  CHECK(inv->tax == Dec("47"));               // 466 x 0.10 = 46.6
  InvoiceInputs kwd = Inputs(c, "dinar", {{"ai_requests", Dec("3")}});
  auto dinar = BuildInvoice(kwd);
  CHECK(dinar->currency == "KWD");
  CHECK(dinar->lines[1].amount.ToString(3) == "0.005");  // 0.0045 -> 0.005
  // Plans of two currencies in one period are refused.
  InvoiceInputs mixed = Inputs(c, "yen", {});
  testing::AddSegment(mixed, *c.FindPlan("professional"), in.period.period, 0);
  auto refused = BuildInvoice(mixed);
  REQUIRE(!refused.ok());
  CHECK(refused.status().message().find("bill in JPY and USD") != std::string::npos);
}

}  // namespace
}  // namespace meter::billing

namespace meter::billing {
namespace {

// SPEC section 10: a sliced charge prices each filter and group on its own,
// one line each, described `<meter> · <filter> · <field>=<value>`, carrying
// `filter` and `group`; the remainder is described by the meter alone.
TEST_CASE("invoice: filter and group lines price each slice with its own terms") {
  catalog::Catalog c = TestCatalog();
  catalog::Plan& pro = c.plans[2];  // ai_requests 0.02 beyond 1,000
  catalog::ChargeFilter big;
  big.name = "Big";
  big.where = {{"properties.model", {"big-1"}}};
  big.charge = pro.charges[0];
  big.charge.unit_price = Dec("1.00");
  big.charge.included = Dec("0");
  big.charge.group_by = "properties.project";
  pro.charges[0].filters = {big};
  pro.base_price = Dec("0");
  InvoiceInputs in = Inputs(c, "professional", {});
  in.segments[0].slices[0] = {{0, "alpha", Dec("3"), 2}, {0, usage::kNoGroupValue, Dec("1"), 1}, {-1, std::nullopt, Dec("1500"), 4}};
  auto inv = BuildInvoice(in);
  REQUIRE_MESSAGE(inv.ok(), inv.status().message());
  REQUIRE(inv->lines.size() == 3);
  CHECK(inv->lines[0].description == "ai_requests · Big · project=alpha");
  CHECK(inv->lines[0].amount.ToString(2) == "3.00");
  CHECK(inv->lines[0].filter == std::optional<std::string>("Big"));
  CHECK(inv->lines[0].group == std::optional<std::string>("alpha"));
  CHECK(inv->lines[1].description == "ai_requests · Big · project=(none)");
  CHECK(inv->lines[2].description == "ai_requests");  // the remainder: the charge's own terms
  CHECK(inv->lines[2].amount.ToString(2) == "10.00");  // (1500 - 1000) x 0.02
  CHECK_FALSE(inv->lines[2].filter.has_value());
  // Stored and read back, the slice fields survive.
  auto back = InvoiceFromRecord(InvoiceToRecord(*inv, 0, 0));
  REQUIRE(back.ok());
  CHECK(back->lines[0].filter == inv->lines[0].filter);
  CHECK(back->lines[0].group == inv->lines[0].group);
  CHECK(back->lines[0].events == 2);
  CHECK(InvoiceToJson(*back)["lines"][2]["filter"].is_null());
}

}  // namespace
}  // namespace meter::billing
