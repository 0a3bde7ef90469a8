#include "billing/schedule.h"

#include <algorithm>
#include <limits>
#include <map>

#include <fmt/format.h>

#include "core/local_date.h"

namespace meter::billing {
namespace {

constexpr int64_t kNoEnd = std::numeric_limits<int64_t>::max();

// The local civil day (days since 1970-01-01) instant `t` falls on.
Result<int64_t> LocalDay(Timestamp t, std::string_view tz) {
  METER_ASSIGN_OR_RETURN(CivilDate d, LocalDateOf(t, tz));
  return DaysFromCivil(d.year, d.month, d.day);
}

// The local day whose midnight is nearest to `t`: a change at 15:00 counts
// from the next day, one at 09:00 from its own.
Result<int64_t> NearestLocalDay(Timestamp t, std::string_view tz) { return LocalDay(t + kMillisPerDay / 2, tz); }

// `day` plus `years` years, the same month and day (Feb 29 becomes Feb 28).
int64_t AddYears(int64_t day, int years) {
  CivilDate c = CivilFromDays(day);
  int y = c.year + years;
  unsigned d = std::min<unsigned>(c.day, static_cast<unsigned>(DaysInMonth(y, c.month)));
  return DaysFromCivil(y, c.month, d);
}

// Days of [a, b) that also lie in [from, to).
int64_t Overlap(int64_t a, int64_t b, int64_t from, int64_t to) {
  return std::max<int64_t>(0, std::min(b, to) - std::max(a, from));
}

// A maximal stretch of the plan history on one plan.
struct Run {
  std::string plan;
  Timestamp start = 0;          // effective_from of its first assignment
  int64_t start_day = 0;        // the day its plan years count from
  Timestamp end = 0;            // next run's start; only valid when `ends`
  bool ends = false;
};

struct Trial {
  int64_t from = 0, to = 0;  // local days [from, to): to is the first paid day
};

// What the whole history implies: runs, each plan's trial, the tenant's start.
struct Timeline {
  std::vector<Run> runs;
  std::map<std::string, Trial> trials;
  std::optional<int64_t> start_day;  // started_at's day
};

Result<Timeline> BuildTimeline(const TenantTerms& t, const catalog::Catalog& c) {
  Timeline tl;
  if (t.history.empty()) return Status::NotFound(fmt::format("tenant '{}' has no plan", t.id));
  if (t.started_at) { METER_ASSIGN_OR_RETURN(tl.start_day, NearestLocalDay(*t.started_at, t.timezone)); }
  std::map<std::string, bool> seen;
  for (size_t i = 0; i < t.history.size(); ++i) {
    const store::PlanAssignment& a = t.history[i];
    int64_t day;
    if (i == 0) {
      // The first plan counts from the start, else (for plan years only) from
      // the day the tenant was added.
      if (tl.start_day) day = *tl.start_day;
      else { METER_ASSIGN_OR_RETURN(day, NearestLocalDay(a.recorded_at, t.timezone)); }
    } else {
      METER_ASSIGN_OR_RETURN(day, NearestLocalDay(a.effective_from, t.timezone));
    }
    // The first start on a plan opens its trial (a first plan only with a
    // known start); moving back later starts none.
    if (!seen[a.plan]) {
      seen[a.plan] = true;
      const catalog::Plan* p = c.FindPlan(a.plan);
      if (p && p->trial_days > 0 && (i > 0 || tl.start_day)) tl.trials[a.plan] = {day, day + p->trial_days};
    }
    if (!tl.runs.empty() && tl.runs.back().plan == a.plan) continue;
    if (!tl.runs.empty()) {
      tl.runs.back().end = a.effective_from;
      tl.runs.back().ends = true;
    }
    tl.runs.push_back({a.plan, i == 0 ? std::numeric_limits<Timestamp>::min() : a.effective_from, day, 0, false});
  }
  return tl;
}

const Run& RunAt(const Timeline& tl, Timestamp t) {
  const Run* in = &tl.runs.front();
  for (const Run& r : tl.runs)
    if (r.start <= t) in = &r;
  return *in;
}

// The day an annual run's first plan year starts: its first day, or the end
// of the plan's trial when the run starts inside it.
int64_t FirstYearStart(const Timeline& tl, const Run& r) {
  int64_t y0 = r.start_day;
  if (auto it = tl.trials.find(r.plan); it != tl.trials.end() && y0 >= it->second.from && y0 < it->second.to)
    y0 = it->second.to;
  if (tl.start_day) y0 = std::max(y0, *tl.start_day);
  return y0;
}

bool IsAnnual(const catalog::Catalog& c, const std::string& plan) {
  const catalog::Plan* p = c.FindPlan(plan);
  return p && p->interval == "year";
}

// The plan years of run `r` that start in the period (and while on the plan).
Status AddAnnualCharges(const Timeline& tl, const Run& r, int64_t run_end, const BillingPeriod& bp,
                        PeriodSchedule& s) {
  int64_t y0 = FirstYearStart(tl, r);
  int64_t d0 = bp.start_day, d1 = bp.start_day + bp.days;
  if (y0 >= d1 || y0 >= run_end) return Status::OK();
  int k = std::max<int64_t>(0, (d0 - y0) / 366 - 1);
  for (int guard = 0; guard < 1000; ++guard, ++k) {
    int64_t yk = AddYears(y0, k);
    if (yk >= d1 || yk >= run_end) break;
    if (yk >= d0) s.annual_charges.push_back({r.plan, yk, AddYears(y0, k + 1), 0});
  }
  return Status::OK();
}

// When annual run `r` ends in the period: the unused days of the plan year
// the change falls in.
void AddAnnualCredit(const Timeline& tl, const Run& r, int64_t change_day, PeriodSchedule& s) {
  int64_t y0 = FirstYearStart(tl, r);
  if (change_day <= y0) return;  // no year had started: nothing was charged
  int k = std::max<int64_t>(0, (change_day - y0) / 366 - 1);
  for (int guard = 0; guard < 1000 && AddYears(y0, k + 1) < change_day; ++guard) ++k;
  int64_t start = AddYears(y0, k), end = AddYears(y0, k + 1);
  if (end > change_day) s.annual_credits.push_back({r.plan, change_day, start, end});
}

Result<PlanSegment> MakeSegment(const Timeline& tl, const std::string& plan, Period p, int64_t a, int64_t b,
                                const catalog::Catalog& c) {
  PlanSegment seg;
  seg.plan = plan;
  seg.period = p;
  seg.start_day = a;
  seg.days = static_cast<int>(b - a);
  int64_t paid_from = tl.start_day.value_or(std::numeric_limits<int64_t>::min() / 2);
  int64_t paid = Overlap(a, b, paid_from, kNoEnd);
  if (auto it = tl.trials.find(plan); it != tl.trials.end()) {
    const Trial& trial = it->second;
    if (Overlap(a, b, trial.from, trial.to) > 0) {
      paid -= Overlap(a, b, std::max(trial.from, paid_from), trial.to);
      seg.trial_days = c.FindPlan(plan)->trial_days;
      seg.trial_paid_from = trial.to;
    }
  }
  seg.paid_days = static_cast<int>(paid);
  return seg;
}

}  // namespace

std::string DayText(int64_t day) {
  return FormatCivilDate(CivilFromDays(day));
}

std::string AddDays(std::string_view date, int days) {
  int y = std::stoi(std::string(date.substr(0, 4)));
  unsigned m = static_cast<unsigned>(std::stoi(std::string(date.substr(5, 2))));
  unsigned d = static_cast<unsigned>(std::stoi(std::string(date.substr(8, 2))));
  return DayText(DaysFromCivil(y, m, d) + days);
}

Result<BillingPeriod> MonthPeriod(std::string_view month, std::string_view tz, int billing_day) {
  METER_ASSIGN_OR_RETURN(Period p, BillingPeriodStartingIn(month, tz, billing_day));
  BillingPeriod bp;
  bp.month = std::string(month);
  bp.timezone = std::string(tz);
  bp.billing_day = billing_day;
  bp.period = p;
  METER_ASSIGN_OR_RETURN(bp.start_day, LocalDay(p.start, tz));
  METER_ASSIGN_OR_RETURN(int64_t end_day, LocalDay(p.end, tz));
  bp.days = static_cast<int>(end_day - bp.start_day);
  bp.first_day = DayText(bp.start_day);
  bp.last_day = DayText(end_day - 1);
  bp.issue_date = DayText(end_day);
  return bp;
}

Result<BillingPeriod> PeriodContaining(Timestamp t, std::string_view tz, int billing_day) {
  METER_ASSIGN_OR_RETURN(Period p, BillingPeriodOf(t, tz, billing_day));
  return MonthPeriod(FormatMonth(p.start, tz), tz, billing_day);
}

Result<TenantTerms> TermsOf(const catalog::Tenant& t, std::vector<store::PlanAssignment> history) {
  TenantTerms terms{t.id, t.timezone, t.billing_day, std::nullopt, std::move(history)};
  if (!t.started_at.empty()) {
    auto s = ParseTimeIn(t.started_at, t.timezone);
    if (!s.ok()) return Status::InvalidArgument(fmt::format("tenant '{}': started_at: {}", t.id, s.status().message()));
    terms.started_at = *s;
  }
  return terms;
}

Result<PeriodSchedule> Schedule(const TenantTerms& terms, const catalog::Catalog& catalog, const BillingPeriod& bp) {
  METER_ASSIGN_OR_RETURN(Timeline tl, BuildTimeline(terms, catalog));
  PeriodSchedule s;
  s.period = bp;
  const Period& p = bp.period;
  int64_t d0 = bp.start_day, d1 = bp.start_day + bp.days;
  std::vector<Timestamp> cuts = {p.start};
  for (const Run& r : tl.runs)
    if (r.start > p.start && r.start < p.end) cuts.push_back(r.start);
  cuts.push_back(p.end);
  for (size_t i = 0; i + 1 < cuts.size(); ++i) {
    int64_t a = d0, b = d1;
    if (i > 0) { METER_ASSIGN_OR_RETURN(a, NearestLocalDay(cuts[i], bp.timezone)); }
    if (i + 2 < cuts.size()) { METER_ASSIGN_OR_RETURN(b, NearestLocalDay(cuts[i + 1], bp.timezone)); }
    a = std::clamp(a, d0, d1);
    b = std::clamp(b, a, d1);
    const Run& run = RunAt(tl, cuts[i]);
    METER_ASSIGN_OR_RETURN(PlanSegment seg, MakeSegment(tl, run.plan, {cuts[i], cuts[i + 1]}, a, b, catalog));
    s.segments.push_back(std::move(seg));
  }
  for (const Run& r : tl.runs) {
    if (!IsAnnual(catalog, r.plan)) continue;
    int64_t run_end = kNoEnd;
    if (r.ends) { METER_ASSIGN_OR_RETURN(run_end, NearestLocalDay(r.end, bp.timezone)); }
    METER_RETURN_IF_ERROR(AddAnnualCharges(tl, r, run_end, bp, s));
    if (r.ends && p.Contains(r.end)) AddAnnualCredit(tl, r, run_end, s);
  }
  return s;
}

PeriodSchedule WholePeriodOn(const catalog::Plan& plan, const BillingPeriod& bp) {
  PeriodSchedule s;
  s.period = bp;
  PlanSegment seg;
  seg.plan = plan.key;
  seg.period = bp.period;
  seg.start_day = bp.start_day;
  seg.days = seg.paid_days = bp.days;
  s.segments.push_back(seg);
  if (plan.interval == "year")
    s.annual_charges.push_back({plan.key, bp.start_day, AddYears(bp.start_day, 1), bp.days});
  return s;
}

Result<std::optional<Timestamp>> TrialEndsAt(const TenantTerms& terms, const catalog::Catalog& catalog,
                                             Timestamp now) {
  METER_ASSIGN_OR_RETURN(Timeline tl, BuildTimeline(terms, catalog));
  // The plan in force now, then those the history moves to later.
  std::vector<const Run*> candidates = {&RunAt(tl, now)};
  for (const Run& r : tl.runs)
    if (r.start > now) candidates.push_back(&r);
  auto in_trial_from_its_start = [&](const Run& r) {
    auto it = tl.trials.find(r.plan);
    return it != tl.trials.end() && r.start_day >= it->second.from && r.start_day < it->second.to;
  };
  for (size_t i = 0; i < candidates.size(); ++i) {
    const Run* r = candidates[i];
    auto it = tl.trials.find(r->plan);
    if (it == tl.trials.end()) continue;
    METER_ASSIGN_OR_RETURN(Timestamp ends, LocalMidnight(it->second.to, terms.timezone));
    if (ends <= now) continue;
    // A move off the plan before its trial ends: the first paid day is the
    // move's, unless the next plan's own trial starts with it.
    if (r->ends && r->end < ends) {
      if (i + 1 < candidates.size() && in_trial_from_its_start(*candidates[i + 1])) continue;
      METER_ASSIGN_OR_RETURN(int64_t move_day, NearestLocalDay(r->end, terms.timezone));
      METER_ASSIGN_OR_RETURN(ends, LocalMidnight(move_day, terms.timezone));
    }
    return std::optional<Timestamp>(ends);
  }
  return std::optional<Timestamp>();
}

}  // namespace meter::billing
