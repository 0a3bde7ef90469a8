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
  d.usage.push_back({"api_calls", "calls", true, {Dec("100"), Dec("0"), Dec("1234.5")}});
  d.top_tenants.push_back({"acme", "Acme <b>&</b> Co", "pro", Dec("165.00")});
  d.top_tenants.push_back({"beta", "", "basic", Dec("11")});
  MonthInvoices jan;
  jan.month = "2026-01";
  jan.paid = Dec("100");
  jan.open = Dec("20.5");
  jan.count = 2;
  d.invoices.push_back(jan);
  d.quotas.push_back({"acme", "api_calls", "day", Dec("600"), Dec("500"), "hard"});
  d.quotas.push_back({"beta", "llm_tokens", "month", Dec("1"), std::nullopt, "soft"});
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
