// The renderers of lib/billing (render.cc, render_html.cc, explain.cc,
// render_credit_note.cc) on documents carrying everything SPEC 11 adds: a
// coupon, tax on the discounted subtotal, prepaid credits, a credit note and
// the amount due, in SPEC 11's order, in every format a person reads.
#include "billing/render.h"

#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "billing/credit_notes.h"
#include "billing/invoice.h"
#include "support/invoice_inputs.h"

namespace meter::billing {
namespace {

catalog::Catalog ProCatalog() {
  catalog::Catalog c;
  c.currency = "USD";
  c.tax = {"VAT", Dec("0.10")};
  c.invoice.net_days = 14;
  c.invoice.seller_name = "Meter <&> \"Co\"";
  c.meters.push_back({"ai_requests", "AI requests", "requests", "ai_requests", {}, catalog::Aggregation::kCount,
                      "quantity"});
  catalog::Plan pro;
  pro.key = "professional";
  pro.name = "Professional";
  pro.base_price = Dec("99.00");
  catalog::Charge ch;
  ch.meter = "ai_requests";
  ch.unit_price = Dec("0.02");
  ch.included = Dec("1000");
  pro.charges = {ch};
  c.plans = {pro};
  return c;
}

// Professional at 1,250 requests: 99.00 + 250 × 0.02 = 104.00; LAUNCH20
// takes 20.80 off (83.20), VAT 10% on that is 8.32, total 91.52; then 10.00
// of prepaid credits and a 5.50 credit note leave 76.02 due.
Invoice Discounted() {
  catalog::Catalog c = ProCatalog();
  InvoiceInputs in;
  in.catalog = &c;
  in.tenant.id = "acme";
  in.tenant.name = "Acme <Rockets> & Sons";
  in.period = *MonthPeriod("2026-02");
  testing::AddSegment(in, *c.FindPlan("professional"), in.period.period, in.period.days, {{"ai_requests", Dec("1250")}});
  catalog::Coupon launch;
  launch.code = "LAUNCH20";
  launch.percent_off = Dec("20");
  launch.duration = catalog::CouponDuration::kForever;
  in.coupons = {{1, launch, std::nullopt}};
  auto inv = BuildInvoice(in);
  REQUIRE(inv.ok());
  inv->number = "INV-2026-000042";
  inv->status = "open";
  inv->credits_applied = Dec("10.00");
  inv->credit_notes = {{"CN-2026-000001", Dec("5.50")}};
  inv->amount_due = Dec("76.02");
  return *inv;
}

// Where each of `wanted` starts in `doc`, which must hold them in this order.
void CheckInOrder(const std::string& doc, const std::vector<std::string>& wanted) {
  size_t at = 0;
  for (const auto& w : wanted) {
    CAPTURE(w);
    size_t found = doc.find(w, at);
    REQUIRE(found != std::string::npos);
    at = found + w.size();
  }
}

TEST_CASE("render: the arithmetic the renderers print (SPEC 11 order)") {
  Invoice inv = Discounted();
  REQUIRE(inv.lines.size() == 3);  // base, usage, coupon
  CHECK(inv.lines[2].kind == LineKind::kCoupon);
  CHECK(inv.lines[2].description == "Coupon LAUNCH20 (20 %)");
  CHECK(inv.subtotal.ToString(2) == "104.00");
  CHECK(inv.discounted_subtotal.ToString(2) == "83.20");
  CHECK(inv.tax.ToString(2) == "8.32");
  CHECK(inv.total.ToString(2) == "91.52");
}

TEST_CASE("render: text shows every step from subtotal to amount due, in order") {
  std::string text = RenderText(Discounted());
  CheckInOrder(text, {"INVOICE", "INV-2026-000042", "From:     Meter <&> \"Co\"", "Bill to:  Acme <Rockets> & Sons (acme)",
                      "Professional", "99.00", "250", "5.00", "Coupon LAUNCH20 (20 %)", "-20.80", "Subtotal", "104.00",
                      "Discounts", "-20.80", "Discounted subtotal", "83.20", "VAT 10%", "8.32", "Total (USD)", "91.52",
                      "Prepaid credits", "-10.00", "Credit note CN-2026-000001", "-5.50", "Amount due (USD)", "76.02",
                      "Please pay", "76.02", "INV-2026-000042"});
  // A draft says it is one; the issued invoice does not.
  CHECK(text.find("DRAFT") == std::string::npos);
  Invoice draft = Discounted();
  draft.number.clear();
  draft.status = "draft";
  CHECK(RenderText(draft).find("DRAFT: not yet issued") != std::string::npos);
}

TEST_CASE("render: markdown and CSV carry the same lines and totals") {
  Invoice inv = Discounted();
  std::string md = RenderMarkdown(inv);
  CheckInOrder(md, {"# Invoice", "| Description | Quantity | Unit price | Amount |", "Coupon LAUNCH20 (20 %)",
                    "**Subtotal**", "**104.00**", "**Discounted subtotal**", "**83.20**", "**Total (USD)**",
                    "**91.52**", "**Prepaid credits**", "**Amount due (USD)**", "**76.02**"});
  // Markdown table cells never carry a raw pipe or angle bracket from a name.
  CHECK(md.find("Acme <Rockets>") == std::string::npos);

  std::string csv = RenderCsv(inv);
  std::vector<std::string> rows;
  for (size_t at = 0, end; (end = csv.find("\r\n", at)) != std::string::npos; at = end + 2)
    rows.push_back(csv.substr(at, end - at));
  REQUIRE(rows.size() == 4);  // header + base, usage, coupon
  CHECK(rows[0] == "line,kind,description,meter,plan,period_start,period_end,quantity,included,billable,unit_price,amount");
  CHECK(rows[2].find("2,usage,") == 0);
  CHECK(rows[2].find(",1250,1000,250,0.02,5.00") != std::string::npos);
  CHECK(rows[3].find("3,coupon,Coupon LAUNCH20 (20 %),") == 0);
  CHECK(rows[3].substr(rows[3].rfind(',') + 1) == "-20.80");
}

TEST_CASE("render: HTML escapes every name and shows the amount due") {
  std::string html = RenderHtml(Discounted());
  CHECK(html.find("<!DOCTYPE html>") == 0);
  CHECK(html.find("Meter &lt;&amp;&gt; &quot;Co&quot;") != std::string::npos);
  CHECK(html.find("Acme &lt;Rockets&gt; &amp; Sons") != std::string::npos);
  CHECK(html.find("<Rockets>") == std::string::npos);
  // The grand rows read "Total USD" and "Amount due USD" on the page.
  CheckInOrder(html, {"Coupon LAUNCH20 (20 %)", "Subtotal", "Discounted subtotal", "83.20", "Total USD", "91.52",
                      "Prepaid credits", "Credit note CN-2026-000001", "Amount due USD", "76.02"});
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("@media print") != std::string::npos);
}

TEST_CASE("render: --explain shows the coupon and tax arithmetic") {
  std::string explain = RenderExplain(Discounted());
  CheckInOrder(explain, {"billable = max(0, 1,250 - 1,000) = 250", "per_unit: 250 × 0.02 = 5", "LAUNCH20",
                         "20.80", "83.20", "8.32", "91.52"});
}

TEST_CASE("render: unknown formats are refused by name") {
  auto r = Render(Discounted(), "pdf");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().message().find("'pdf'") != std::string::npos);
  CHECK(Render(Discounted(), "markdown").ok());
}

CreditNote Note() {
  CreditNote n;
  n.number = "CN-2026-000007";
  n.invoice_id = "inv_acme_2026-02";
  n.invoice_number = "INV-2026-000042";
  n.tenant = "acme";
  n.currency = "USD";
  n.lines = {{2, "AI requests <overage>", Dec("5.00")}};
  n.amount = Dec("5.00");
  n.tax_rate = Dec("0.10");
  n.tax = Dec("0.50");
  n.total = Dec("5.50");
  n.reason = "duplicate <import> & retry";
  n.created_at = *ParseRfc3339("2026-03-04T10:00:00Z");
  return n;
}

TEST_CASE("render: a credit note in every format") {
  CreditNote n = Note();
  std::string text = *RenderCreditNote(n, "text");
  CheckInOrder(text, {"CREDIT NOTE CN-2026-000007", "Invoice:  INV-2026-000042", "Issued:   2026-03-04",
                      "Reason:   duplicate <import> & retry", "2. AI requests <overage>", "5.00", "Credited", "5.00",
                      "Tax 10%", "0.50", "Total (USD)", "5.50", "Deducted from the amount due on invoice INV-2026-000042."});
  std::string csv = *RenderCreditNote(n, "csv");
  CHECK(csv == "credit_note,invoice,line,description,amount\r\nCN-2026-000007,INV-2026-000042,2,AI requests <overage>,5.00\r\n");
  std::string md = *RenderCreditNote(n, "md");
  CheckInOrder(md, {"# Credit note CN-2026-000007", "| 2 |", "5.00", "**Total (USD)**", "**5.50**"});
  std::string html = *RenderCreditNote(n, "html");
  CHECK(html.find("duplicate &lt;import&gt; &amp; retry") != std::string::npos);
  CHECK(html.find("AI requests &lt;overage&gt;") != std::string::npos);
  CHECK(html.find("<import>") == std::string::npos);
  auto json = nlohmann::json::parse(*RenderCreditNote(n, "json"));
  CHECK(json["number"] == "CN-2026-000007");
  CHECK(json["total"] == "5.50");
  CHECK_FALSE(RenderCreditNote(n, "pdf").ok());

  // How it was settled: a paid invoice's note became a grant, or a refund.
  n.grant_id = "cred_cn_7";
  CHECK(RenderCreditNote(n, "text")->find("prepaid credit (grant cred_cn_7)") != std::string::npos);
  n.refunded = true;
  CHECK(RenderCreditNote(n, "text")->find("Refunded to the customer.") != std::string::npos);
}

}  // namespace
}  // namespace meter::billing
