#include "report/simulate.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "billing/generate.h"
#include "billing/invoice.h"
#include "report/rollup.h"
#include "store/report_store.h"

namespace meter::report {
namespace {

bool SameWhere(const std::vector<catalog::WhereClause>& a, const std::vector<catalog::WhereClause>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
    return x.field == y.field && x.equals == y.equals;
  });
}

// Candidate meters whose stored counters do not measure what they define.
std::set<std::string> RawMeters(const catalog::Catalog& stored, const catalog::Catalog& candidate) {
  std::set<std::string> out;
  for (const auto& m : candidate.meters) {
    const catalog::Meter* s = stored.FindMeter(m.key);
    if (!s || s->event != m.event || s->aggregation != m.aggregation || s->value != m.value || !SameWhere(s->where, m.where))
      out.insert(m.key);
  }
  return out;
}

// Replaces the counter readings of `raw` meters in each segment by their
// values computed from the tenant's raw events in that segment.
Status Remeasure(store::Database& db, const catalog::Catalog& candidate, const std::set<std::string>& raw,
                 billing::InvoiceInputs& in, int64_t* skipped) {
  for (auto& seg : in.segments) {
    std::vector<std::string> metrics;
    for (const auto& ch : seg.plan.charges)
      if (raw.count(ch.meter)) metrics.push_back(candidate.FindMeter(ch.meter)->event);
    if (metrics.empty()) continue;
    RawRollup rollup(candidate);
    store::EventQuery q{.tenant = in.tenant.id, .period = seg.period, .metrics = metrics};
    METER_RETURN_IF_ERROR(store::ReportStore(db).ForEachEvent(q, [&](const Event& e) {
      rollup.Add(e, "");
      return Status::OK();
    }));
    auto values = rollup.Values();
    for (const auto& ch : seg.plan.charges)
      if (raw.count(ch.meter)) seg.usage[ch.meter] = values[{"", ch.meter}];
    *skipped += rollup.skipped();
  }
  return Status::OK();
}

Result<SimulationRow> SimulateTenant(store::Database& db, const catalog::Catalog& stored,
                                     const catalog::Catalog& candidate, const std::set<std::string>& raw,
                                     const catalog::Tenant& t, const std::string& period, int64_t* skipped) {
  SimulationRow r;
  r.tenant = t.id;
  METER_ASSIGN_OR_RETURN(billing::Invoice current, billing::PreviewInvoice(db, stored, t.id, period));
  r.current_total = current.total;
  r.currency = current.currency;
  auto in = billing::ReadInvoiceInputs(db, candidate, t, period);
  if (!in.ok()) return in.status().WithContext("candidate catalog");
  METER_RETURN_IF_ERROR(Remeasure(db, candidate, raw, *in, skipped));
  METER_ASSIGN_OR_RETURN(billing::Invoice simulated, billing::BuildInvoice(*in));
  r.simulated_total = simulated.total;
  if (simulated.currency != current.currency)
    return Status::InvalidArgument(fmt::format("tenant '{}': the candidate catalog bills it in {}, the stored one in {}; "
                                               "simulate compares one currency per tenant",
                                               t.id, simulated.currency, current.currency));
  METER_ASSIGN_OR_RETURN(r.difference, r.simulated_total.Sub(r.current_total));
  if (!r.current_total.IsZero()) {
    METER_ASSIGN_OR_RETURN(Decimal pct, r.difference.MulDiv(Decimal::FromInt(100), r.current_total, 2,
                                                            Rounding::kHalfAwayFromZero));
    r.percent = pct;
  }
  return r;
}

}  // namespace

Result<Simulation> Simulate(store::Database& db, const catalog::Catalog& stored, const catalog::Catalog& candidate,
                            const std::string& period) {
  METER_RETURN_IF_ERROR(ParseMonth(period).status());
  Simulation s;
  s.period = period;
  std::set<std::string> raw = RawMeters(stored, candidate);
  s.raw_meters.assign(raw.begin(), raw.end());
  for (const auto& t : stored.tenants) {
    METER_ASSIGN_OR_RETURN(SimulationRow r, SimulateTenant(db, stored, candidate, raw, t, period, &s.events_skipped));
    s.rows.push_back(std::move(r));
  }
  std::map<std::string, CurrencyTotals> by;
  for (const auto& r : s.rows) {
    CurrencyTotals& c = by[r.currency];
    c.currency = r.currency;
    METER_ASSIGN_OR_RETURN(c.current_total, c.current_total.Add(r.current_total));
    METER_ASSIGN_OR_RETURN(c.simulated_total, c.simulated_total.Add(r.simulated_total));
  }
  for (auto& [code, c] : by) {
    METER_ASSIGN_OR_RETURN(c.difference, c.simulated_total.Sub(c.current_total));
    s.totals.push_back(c);
  }
  return s;
}

}  // namespace meter::report
