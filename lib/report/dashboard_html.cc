// The dashboard page: HTML with inline CSS and inline SVG charts. No script,
// no external resource, so it opens offline, prints, and cannot fail to load
// anything. Chart geometry uses double (pixels); figures shown as text come
// from the exact decimals.
#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "billing/format.h"
#include "core/format.h"
#include "report/dashboard.h"

namespace meter::report {
namespace {

// Text and figures are written as the invoice renderers write them.
std::string Esc(std::string_view s) { return billing::HtmlEscape(s); }

// A quantity with thousands separators, every digit kept: what ingest accepted
// prints exactly (SPEC 1).
std::string Num(const Decimal& d) { return Thousands(d); }

// A figure for a chart label, at most `places` decimals.
std::string Num(const Decimal& d, int places) {
  auto r = d.Round(places);
  return Thousands(r.ok() ? *r : d);
}

std::string Money(const Decimal& d, const std::string& currency) { return CurrencyAmount(d, currency); }

double Px(const Decimal& d) { return std::stod(d.ToString()); }

const std::string& CurrencyOf(const DashboardData& d, const std::string& currency) {
  return currency.empty() ? d.currency : currency;
}

// The currencies the page shows money in: the catalog's first, then those of
// the amounts billed and the invoices, by code. SPEC 10: money is never added
// up or charted across currencies.
std::vector<std::string> Currencies(const DashboardData& d) {
  std::set<std::string> others;
  for (const auto& t : d.top_tenants) others.insert(CurrencyOf(d, t.currency));
  for (const auto& m : d.invoices) others.insert(CurrencyOf(d, m.currency));
  for (const auto& [currency, amount] : d.billed) others.insert(currency);
  others.erase(d.currency);
  std::vector<std::string> out = {d.currency};
  out.insert(out.end(), others.begin(), others.end());
  return out;
}

// The items of `items` in `currency`.
template <typename T>
std::vector<const T*> In(const DashboardData& d, const std::vector<T>& items, const std::string& currency) {
  std::vector<const T*> out;
  for (const T& item : items)
    if (CurrencyOf(d, item.currency) == currency) out.push_back(&item);
  return out;
}

// A section heading, naming the currency when the page shows several.
std::string Heading(const std::string& title, const std::string& currency, bool several) {
  return fmt::format("<h2>{}{}</h2>", title, several ? " (" + Esc(currency) + ")" : "");
}

constexpr const char* kCss = R"(
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2933;background:#f3f5f8}
header{background:#1f3a5f;color:#fff;padding:18px 32px}
header h1{margin:0;font-size:22px;font-weight:600}
header p{margin:4px 0 0;opacity:.85}
main{max-width:1320px;margin:0 auto;padding:20px 32px 40px}
.kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:16px;margin-bottom:20px}
.kpi{background:#fff;border-radius:8px;padding:14px 18px;box-shadow:0 1px 2px rgba(0,0,0,.08)}
.kpi b{display:block;font-size:24px;font-weight:600}
.kpi span{color:#52606d;font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:20px}
.card{background:#fff;border-radius:8px;padding:16px 20px;box-shadow:0 1px 2px rgba(0,0,0,.08);min-width:0}
.card.wide{grid-column:1/-1}
.card h2{margin:0 0 12px;font-size:16px;font-weight:600}
.multiples{display:grid;grid-template-columns:repeat(auto-fill,minmax(290px,1fr));gap:14px}
figure{margin:0}
figcaption{font-size:13px;margin-bottom:2px}
figcaption small{color:#52606d}
svg{display:block;width:100%;height:auto}
svg text{font:11px system-ui,Arial,sans-serif;fill:#52606d}
svg text.tick,svg text.unit{font-size:10px;fill:#7b8794}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #e4e7eb;font-size:13px;white-space:nowrap}
th{color:#52606d;font-weight:600}
th.n,td.n{text-align:right;font-variant-numeric:tabular-nums}
.legend span{display:inline-block;margin-right:14px;font-size:12px}
.legend i{display:inline-block;width:10px;height:10px;margin-right:4px;border-radius:2px}
.empty{color:#7b8794;font-style:italic}
.over{color:#b42318;font-weight:600}
)";

std::string Header(const DashboardData& d) {
  return fmt::format("<header><h1>meter dashboard</h1><p>Month {} &middot; generated {} &middot; {} tenants &middot; {}</p></header>\n",
                     Esc(d.month), Esc(FormatRfc3339(d.generated_at)), d.tenants,
                     Esc(fmt::format("{}", fmt::join(Currencies(d), ", "))));
}

std::string Kpis(const DashboardData& d) {
  // One figure per currency, each on its own line.
  std::string billed, open;
  for (const std::string& currency : Currencies(d)) {
    auto it = d.billed.find(currency);
    billed += (billed.empty() ? "" : "<br>") + Esc(Money(it == d.billed.end() ? Decimal() : it->second, currency));
    Decimal sum;
    for (const MonthInvoices* m : In(d, d.invoices, currency)) sum = sum + m->open + m->overdue;
    open += (open.empty() ? "" : "<br>") + Esc(Money(sum, currency));
  }
  int over = 0;
  for (const auto& q : d.quotas) over += (q.limit && q.used > *q.limit) ? 1 : 0;
  auto card = [](const std::string& v, const char* label) {
    return fmt::format("<div class=\"kpi\"><b>{}</b><span>{}</span></div>", v, label);
  };
  return "<section class=\"kpis\">" + card(std::to_string(d.tenants), "tenants") +
         card(billed, "billed this month, all tenants") + card(open, "open and overdue invoices") +
         card(std::to_string(over), "limits exceeded now") + "</section>\n";
}

// A horizontal grid line and its label for each tick of a vertical value
// axis running from `bottom` (0) up `height` pixels; the unit above the axis.
std::string VerticalAxis(const std::vector<double>& ticks, double left, double right, double bottom, double height,
                         std::string_view unit) {
  std::string out;
  for (double t : ticks) {
    double y = bottom - t / ticks.back() * height;
    out += fmt::format("<line x1=\"{}\" y1=\"{:.1f}\" x2=\"{}\" y2=\"{:.1f}\" stroke=\"{}\"{}/>", left, y, right, y,
                       t == 0 ? "#cbd2d9" : "#e4e7eb", t == 0 ? "" : " stroke-dasharray=\"3 3\"");
    out += fmt::format("<text class=\"tick\" x=\"{}\" y=\"{:.1f}\" text-anchor=\"end\">{}</text>", left - 4, y + 3.5,
                       AxisLabel(t));
  }
  if (!unit.empty())
    out += fmt::format("<text class=\"unit\" x=\"2\" y=\"9\">{}</text>", Esc(unit));
  return out;
}

std::string MeterName(const std::string& key, const std::string& name) { return name.empty() ? key : name; }

// One meter's daily bars on a value axis with round ticks and the unit, and
// day labels every seventh day.
std::string MeterChart(const MeterSeries& s, const std::vector<Timestamp>& days) {
  const double w = 320, h = 132, left = 40, right = 8, top = 16, bottom = 18, chart_h = h - top - bottom;
  Decimal peak, total;
  for (const auto& v : s.values) {
    peak = std::max(peak, v);
    total = total + v;
  }
  std::vector<double> ticks = AxisTicks(Px(peak));
  double max = ticks.back();
  double slot = (w - left - right) / std::max<size_t>(1, s.values.size());
  std::string name = MeterName(s.meter, s.name);
  std::string svg = fmt::format("<svg class=\"chart usage\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"daily {}\">", w,
                                h, Esc(name));
  svg += VerticalAxis(ticks, left, w - right, top + chart_h, chart_h, s.unit);
  for (size_t i = 0; i < s.values.size(); ++i) {
    double bh = Px(s.values[i]) / max * chart_h;
    svg += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#3e7cb1\"><title>{}: {}</title></rect>",
                       left + i * slot + 0.5, top + chart_h - bh, std::max(1.0, slot - 1), bh,
                       FormatDate(days[i]), Esc(Num(s.values[i])));
    if (i % 7 == 0)
      svg += fmt::format("<text x=\"{:.1f}\" y=\"{}\">{}</text>", left + i * slot, h - 4, FormatDate(days[i]).substr(5));
  }
  svg += "</svg>";
  std::string unit = s.unit.empty() ? "" : " " + Esc(s.unit);
  std::string month = s.additive ? fmt::format(" &middot; month {}{}", Esc(Num(total)), unit) : "";
  return fmt::format("<figure><figcaption><b>{}</b> <small>peak day {}{}{}</small></figcaption>{}</figure>",
                     Esc(name), Esc(Num(peak)), unit, month, svg);
}

std::string UsageSection(const DashboardData& d) {
  std::string out = "<section class=\"card wide\"><h2>Usage per meter, per day (all tenants, UTC days)</h2>";
  if (d.usage.empty()) return out + "<p class=\"empty\">No usage recorded this month.</p></section>\n";
  out += "<div class=\"multiples\">";
  for (const auto& s : d.usage) out += MeterChart(s, d.days);
  return out + "</div></section>\n";
}

// Horizontal bars on a money axis (round ticks, the currency) below them, for
// one currency.
std::string TopTenantsChart(const std::vector<const TenantAmount*>& tenants, const std::string& currency,
                            const std::string& heading) {
  std::string out = "<section class=\"card\">" + heading;
  if (tenants.empty()) return out + "<p class=\"empty\">Nothing billed this month.</p></section>\n";
  const double w = 560, row = 26, label_w = 170, value_w = 110, axis_h = 22, bar_w = w - label_w - value_w;
  double bars_h = row * tenants.size() + 4, h = bars_h + axis_h;
  std::vector<double> ticks = AxisTicks(Px(tenants.front()->amount));
  double max = ticks.back();
  out += fmt::format("<svg class=\"chart tenants\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"top tenants\">", w, h);
  for (double t : ticks) {
    double x = label_w + t / max * bar_w;
    out += fmt::format("<line x1=\"{0:.1f}\" y1=\"0\" x2=\"{0:.1f}\" y2=\"{1}\" stroke=\"{2}\"{3}/>", x, bars_h,
                       t == 0 ? "#cbd2d9" : "#e4e7eb", t == 0 ? "" : " stroke-dasharray=\"3 3\"");
    out += fmt::format("<text class=\"tick\" x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", x, bars_h + 14,
                       AxisLabel(t));
  }
  out += fmt::format("<text class=\"unit\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>", label_w - 8, bars_h + 14,
                     Esc(currency));
  for (size_t i = 0; i < tenants.size(); ++i) {
    const auto& t = *tenants[i];
    double y = i * row + 2, bw = Px(t.amount) / max * bar_w;
    out += fmt::format("<text x=\"0\" y=\"{:.1f}\">{}</text>", y + 16, Esc((t.name.empty() ? t.tenant : t.name).substr(0, 28)));
    out += fmt::format("<rect x=\"{}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{}\" rx=\"3\" fill=\"#2f9e72\"><title>{} ({}, plan {})</title></rect>",
                       label_w, y + 3, std::max(1.0, bw), row - 8, Esc(t.tenant), Esc(Money(t.amount, currency)), Esc(t.plan));
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>", label_w + bw + 6, y + 16, Esc(Money(t.amount, currency)));
  }
  return out + "</svg></section>\n";
}


// The months from the first to the last that has invoices.
std::vector<const MonthInvoices*> MonthsWithInvoices(const std::vector<const MonthInvoices*>& all) {
  size_t first = all.size(), last = 0;
  for (size_t i = 0; i < all.size(); ++i)
    if (all[i]->count > 0) {
      first = std::min(first, i);
      last = i;
    }
  std::vector<const MonthInvoices*> out;
  for (size_t i = first; i < all.size() && i <= last; ++i) out.push_back(all[i]);
  return out;
}

// Stacked bars per month (paid, open, overdue, draft) on a money axis, for
// one currency.
std::string InvoicesChart(const std::vector<const MonthInvoices*>& series, const std::string& currency,
                          const std::string& heading) {
  struct Part { const char* name; const char* color; Decimal MonthInvoices::*field; };
  const Part parts[] = {{"paid", "#2f9e72", &MonthInvoices::paid}, {"open", "#3e7cb1", &MonthInvoices::open},
                        {"overdue", "#d64545", &MonthInvoices::overdue}, {"draft", "#9aa5b1", &MonthInvoices::draft}};
  std::string out = "<section class=\"card\">" + heading;
  std::vector<const MonthInvoices*> months = MonthsWithInvoices(series);
  if (months.empty()) return out + "<p class=\"empty\">No invoices yet.</p></section>\n";
  const double w = 560, h = 200, left = 56, top = 20, bottom = 22, chart_h = h - top - bottom;
  Decimal peak;
  for (const MonthInvoices* m : months) peak = std::max(peak, m->paid + m->open + m->overdue + m->draft);
  std::vector<double> ticks = AxisTicks(Px(peak));
  double max = ticks.back();
  double slot = std::min((w - left) / months.size(), 110.0);
  out += "<div class=\"legend\">";
  for (const auto& p : parts) out += fmt::format("<span><i style=\"background:{}\"></i>{}</span>", p.color, p.name);
  if (months.size() == 1)
    out += fmt::format("<span class=\"empty\">one month of invoices so far ({})</span>", Esc(months.front()->month));
  out += fmt::format("</div><svg class=\"chart invoices\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"invoice totals\">", w, h);
  out += VerticalAxis(ticks, left, w, top + chart_h, chart_h, currency);
  for (size_t i = 0; i < months.size(); ++i) {
    const MonthInvoices& m = *months[i];
    double x = left + i * slot, y = top + chart_h;
    for (const auto& p : parts) {
      double bh = Px(m.*p.field) / max * chart_h;
      if (bh <= 0) continue;
      y -= bh;
      out += fmt::format("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\"><title>{} {}: {}</title></rect>",
                         x + slot * 0.2, y, slot * 0.6, bh, p.color, m.month, p.name, Esc(Money(m.*p.field, currency)));
    }
    Decimal sum = m.paid + m.open + m.overdue + m.draft;
    out += fmt::format("<text x=\"{:.1f}\" y=\"{}\" text-anchor=\"middle\">{}</text>", x + slot / 2, h - 6, m.month);
    if (!sum.IsZero())
      out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>", x + slot / 2,
                         std::max(12.0, y - 4), Esc(Num(sum, 0)));
  }
  return out + "</svg></section>\n";
}

// Per currency, side by side: its top tenants and its invoice totals.
std::string MoneySections(const DashboardData& d) {
  std::vector<std::string> currencies = Currencies(d);
  bool several = currencies.size() > 1;
  std::string out;
  for (const std::string& c : currencies)
    out += TopTenantsChart(In(d, d.top_tenants, c), c, Heading("Top tenants by amount billed this month", c, several)) +
           InvoicesChart(In(d, d.invoices, c), c, Heading("Invoice totals per month", c, several));
  return out;
}

std::string QuotaBar(const QuotaLine& q) {
  if (!q.limit) return "";
  double limit = Px(*q.limit), used = Px(q.used);
  double frac = limit <= 0 ? (used > 0 ? 1.2 : 0) : used / limit;
  const char* color = frac > 1 ? "#d64545" : frac >= 0.8 ? "#e0a100" : "#2f9e72";
  return fmt::format("<svg class=\"bar\" viewBox=\"0 0 200 12\" width=\"200\" height=\"12\" role=\"img\" aria-label=\"{:.0f}%\">"
                     "<rect width=\"200\" height=\"12\" rx=\"3\" fill=\"#e4e7eb\"/>"
                     "<rect width=\"{:.1f}\" height=\"12\" rx=\"3\" fill=\"{}\"/></svg>",
                     frac * 100, std::min(1.0, frac) * 200, color);
}

// "1,234.5 GB": a quantity with its unit.
std::string Quantity(const Decimal& d, const std::string& unit) {
  return unit.empty() ? Esc(Num(d)) : Esc(Num(d)) + " " + Esc(unit);
}

std::string QuotaSection(const DashboardData& d) {
  std::string out = "<section class=\"card wide\"><h2>Quota status now</h2>";
  if (d.quotas.empty()) return out + "<p class=\"empty\">No plan sets limits.</p></section>\n";
  std::vector<const QuotaLine*> lines;
  for (const auto& q : d.quotas) lines.push_back(&q);
  auto frac = [](const QuotaLine* q) { return q->limit && !q->limit->IsZero() ? Px(q->used) / Px(*q->limit) : -1.0; };
  std::stable_sort(lines.begin(), lines.end(), [&](auto a, auto b) { return frac(a) > frac(b); });
  out += "<table><thead><tr><th>tenant</th><th>meter</th><th>period</th><th class=\"n\">used</th><th class=\"n\">limit</th>"
         "<th class=\"n\">%</th><th></th><th>enforcement</th></tr></thead><tbody>";
  for (const QuotaLine* q : lines) {
    double f = frac(q);
    std::string pct = f < 0 ? "-" : fmt::format("{:.0f}%", f * 100);
    // An unlimited limit enforces nothing: it reads "unlimited", never "hard".
    std::string enforcement = q->limit ? Esc(q->enforcement) : "unlimited";
    out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n{}\">{}</td><td>{}</td><td>{}</td></tr>",
                       Esc(q->tenant), Esc(MeterName(q->meter, q->name)), q->period, Quantity(q->used, q->unit),
                       q->limit ? Quantity(*q->limit, q->unit) : "unlimited", f > 1 ? " over" : "", pct, QuotaBar(*q),
                       enforcement);
  }
  return out + "</tbody></table></section>\n";
}

}  // namespace

std::vector<double> AxisTicks(double peak) {
  if (!(peak > 0)) return {0, 1};
  double raw = peak / 4, magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double norm = raw / magnitude;
  double step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * magnitude;
  int n = static_cast<int>(std::ceil(peak / step - 1e-9));
  std::vector<double> ticks;
  for (int i = 0; i <= std::max(1, n); ++i) ticks.push_back(i * step);
  return ticks;
}

std::string AxisLabel(double value) {
  const char* suffix = "";
  double v = value;
  if (std::fabs(v) >= 1e9) v /= 1e9, suffix = "B";
  else if (std::fabs(v) >= 1e6) v /= 1e6, suffix = "M";
  else if (std::fabs(v) >= 1e3) v /= 1e3, suffix = "k";
  std::string text = fmt::format("{:.6f}", v);
  while (text.back() == '0') text.pop_back();
  if (text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return text + suffix;
}

std::string RenderDashboardHtml(const DashboardData& d) {
  std::string html = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  html += fmt::format("<title>meter dashboard {}</title><style>{}</style></head><body>\n", Esc(d.month), kCss);
  html += Header(d) + "<main>\n" + Kpis(d) + "<div class=\"grid\">\n";
  html += UsageSection(d) + MoneySections(d) + QuotaSection(d);
  return html + "</div></main></body></html>\n";
}

}  // namespace meter::report
