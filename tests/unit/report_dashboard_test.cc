#include <doctest/doctest.h>

#include <string>

#include "core/time.h"
#include "report/dashboard.h"

using namespace meter;
using namespace meter::report;

namespace {

size_t Count(const std::string& s, const std::string& needle) {
  size_t n = 0;
  for (size_t i = s.find(needle); i != std::string::npos; i = s.find(needle, i + 1)) ++n;
  return n;
}

DashboardData Sample() {
  DashboardData d;
  d.generated_at = *ParseRfc3339("2026-02-20T12:00:00Z");
  d.month = "2026-02";
  d.tenants = 2;
  for (int i = 0; i < 3; ++i) d.days.push_back(*ParseRfc3339("2026-02-01T00:00:00Z") + i * kMillisPerDay);
  d.usage.push_back({"api_calls", "calls", true, {Dec("100"), Dec("0"), Dec("1234.5")}, ""});
  d.top_tenants.push_back({"acme", "Acme <b>&</b> Co", "pro", Dec("165.00")});
  d.top_tenants.push_back({"beta", "", "basic", Dec("11")});
  MonthInvoices jan;
  jan.month = "2026-01";
  jan.paid = Dec("100");
  jan.open = Dec("20.5");
  jan.count = 2;
  d.invoices.push_back(jan);
  d.quotas.push_back({"acme", "api_calls", "day", Dec("600"), Dec("500"), "hard", "", ""});
  d.quotas.push_back({"beta", "llm_tokens", "month", Dec("1"), std::nullopt, "soft", "", ""});
  return d;
}

}  // namespace

TEST_CASE("report.dashboard_is_self_contained_html_with_charts") {
  std::string html = RenderDashboardHtml(Sample());
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(html.find("</html>") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("http://") == std::string::npos);
  CHECK(html.find("https://") == std::string::npos);
  CHECK(html.find("<link") == std::string::npos);
  CHECK(html.find("url(") == std::string::npos);
  CHECK(Count(html, "<svg class=\"chart usage\"") == 1);
  CHECK(Count(html, "<svg class=\"chart tenants\"") == 1);
  CHECK(Count(html, "<svg class=\"chart invoices\"") == 1);
  CHECK(Count(html, "<svg class=\"bar\"") == 1);  // the unlimited quota gets no bar
  CHECK(Count(html, "<svg") == Count(html, "</svg>"));
}

TEST_CASE("report.dashboard_escapes_text_and_shows_figures") {
  std::string html = RenderDashboardHtml(Sample());
  CHECK(html.find("Acme <b>") == std::string::npos);
  CHECK(html.find("Acme &lt;b&gt;&amp;&lt;/b&gt; Co") != std::string::npos);
  CHECK(html.find("USD 165.00") != std::string::npos);
  CHECK(html.find("1,234.5") != std::string::npos);
  CHECK(html.find("120%") != std::string::npos);      // 600 of 500
  CHECK(html.find("unlimited") != std::string::npos);
  CHECK(html.find("2026-01 paid: USD 100.00") != std::string::npos);
}

TEST_CASE("report.dashboard_empty_sections_say_so") {
  DashboardData d;
  d.month = "2026-03";
  std::string html = RenderDashboardHtml(d);
  CHECK(html.find("No usage recorded this month.") != std::string::npos);
  CHECK(html.find("Nothing billed this month.") != std::string::npos);
  CHECK(html.find("No plan sets limits.") != std::string::npos);
}

TEST_CASE("report.dashboard_axis_ticks_are_round_and_cover_the_peak") {
  struct { double peak; std::vector<double> ticks; } cases[] = {
      {0, {0, 1}},
      {-3, {0, 1}},
      {1, {0, 0.25, 0.5, 0.75, 1}},
      {100, {0, 25, 50, 75, 100}},
      {165, {0, 50, 100, 150, 200}},
      {1234.5, {0, 500, 1000, 1500}},
      {7, {0, 2, 4, 6, 8}},
      {0.03, {0, 0.01, 0.02, 0.03}},
      {2500000, {0, 1000000, 2000000, 3000000}},
  };
  for (const auto& c : cases) {
    std::vector<double> got = AxisTicks(c.peak);
    REQUIRE_MESSAGE(got.size() == c.ticks.size(), c.peak);
    for (size_t i = 0; i < got.size(); ++i) CHECK_MESSAGE(got[i] == doctest::Approx(c.ticks[i]), c.peak);
    CHECK(got.back() >= c.peak);
  }
}

TEST_CASE("report.dashboard_axis_labels") {
  struct { double v; const char* text; } cases[] = {
      {0, "0"},        {250, "250"},       {2500, "2.5k"},  {1000, "1k"},       {1250000, "1.25M"},
      {0.5, "0.5"},    {0.025, "0.025"},   {3e9, "3B"},     {0.1 + 0.2, "0.3"}, {999, "999"},
  };
  for (const auto& c : cases) CHECK_MESSAGE(AxisLabel(c.v) == c.text, c.v);
}

TEST_CASE("report.dashboard_charts_have_value_axes_with_units") {
  std::string html = RenderDashboardHtml(Sample());
  // api_calls peaks at 1,234.5: ticks 0, 500, 1k, 1.5k, and its unit.
  CHECK(html.find(">1.5k</text>") != std::string::npos);
  CHECK(html.find("<text class=\"unit\" x=\"2\" y=\"9\">calls</text>") != std::string::npos);
  // Money axes carry the currency.
  CHECK(Count(html, ">USD</text>") == 2);
}

TEST_CASE("report.dashboard_names_meters_and_units") {
  DashboardData d = Sample();
  d.usage[0].name = "API calls";
  d.quotas[0].name = "API calls";
  d.quotas[0].unit = "calls";
  std::string html = RenderDashboardHtml(d);
  CHECK(html.find("<b>API calls</b>") != std::string::npos);
  CHECK(html.find("<td>API calls</td>") != std::string::npos);
  CHECK(html.find("600 calls") != std::string::npos);
  CHECK(html.find("<td>llm_tokens</td>") != std::string::npos);  // no name: the key
}

TEST_CASE("report.dashboard_unlimited_limit_reads_unlimited_not_hard") {
  DashboardData d = Sample();
  d.quotas[1].enforcement = "hard";  // what the catalog says of an unlimited limit
  std::string html = RenderDashboardHtml(d);
  size_t row = html.find("<td>llm_tokens</td>");
  REQUIRE(row != std::string::npos);
  std::string tr = html.substr(row, html.find("</tr>", row) - row);
  CHECK(tr.find("hard") == std::string::npos);
  CHECK(tr.find("unlimited") != std::string::npos);
}

TEST_CASE("report.dashboard_invoice_chart_shows_the_months_with_invoices") {
  DashboardData d = Sample();
  std::string one = RenderDashboardHtml(d);
  CHECK(one.find("one month of invoices so far (2026-01)") != std::string::npos);
  // Six months collected, invoices in two of them: the chart spans those two.
  d.invoices.clear();
  for (const char* m : {"2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02"}) {
    MonthInvoices mi;
    mi.month = m;
    d.invoices.push_back(mi);
  }
  d.invoices[3].paid = Dec("10");
  d.invoices[3].count = 1;
  d.invoices[5].draft = Dec("5");
  d.invoices[5].count = 1;
  std::string html = RenderDashboardHtml(d);
  size_t chart = html.find("<svg class=\"chart invoices\"");
  std::string svg = html.substr(chart, html.find("</svg>", chart) - chart);
  CHECK(svg.find(">2025-11<") == std::string::npos);
  CHECK(svg.find(">2025-12<") != std::string::npos);
  CHECK(svg.find(">2026-01<") != std::string::npos);  // a gap between data months stays
  CHECK(svg.find(">2026-02<") != std::string::npos);
  CHECK(html.find("so far") == std::string::npos);
  d.invoices.clear();
  CHECK(RenderDashboardHtml(d).find("No invoices yet.") != std::string::npos);
}

TEST_CASE("report.dashboard_money_per_currency_never_summed") {
  // SPEC 10: a USD and a JPY tenant; the page shows each currency's figures
  // and charts on their own and never 165 + 1,500.
  DashboardData d = Sample();
  d.billed = {{"USD", Dec("176.00")}, {"JPY", Dec("1500")}};
  d.top_tenants.push_back({"nak", "Nakatomi", "jp", Dec("1500"), "JPY"});
  MonthInvoices jp;
  jp.month = "2026-01";
  jp.open = Dec("1500");
  jp.count = 1;
  jp.currency = "JPY";
  d.invoices.push_back(jp);
  std::string html = RenderDashboardHtml(d);
  CHECK(Count(html, "<svg class=\"chart tenants\"") == 2);
  CHECK(Count(html, "<svg class=\"chart invoices\"") == 2);
  CHECK(html.find("<h2>Top tenants by amount billed this month (USD)</h2>") <
        html.find("<h2>Top tenants by amount billed this month (JPY)</h2>"));
  CHECK(html.find("<h2>Invoice totals per month (JPY)</h2>") != std::string::npos);
  CHECK(html.find("<b>USD 176.00<br>JPY 1,500</b>") != std::string::npos);  // billed
  CHECK(html.find("<b>USD 20.50<br>JPY 1,500</b>") != std::string::npos);   // open and overdue
  CHECK(html.find("1,676") == std::string::npos);
  CHECK(html.find("1,520") == std::string::npos);
  CHECK(Count(html, ">JPY</text>") == 2);  // each JPY chart's money axis
  // One currency: headings as before, without a currency.
  std::string one = RenderDashboardHtml(Sample());
  CHECK(one.find("<h2>Top tenants by amount billed this month</h2>") != std::string::npos);
}
