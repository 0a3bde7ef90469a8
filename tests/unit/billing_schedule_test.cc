#include <doctest/doctest.h>

#include "billing/schedule.h"

using namespace meter;
using namespace meter::billing;

namespace {

catalog::Catalog Plans() {
  catalog::Catalog c;
  catalog::Plan free;
  free.key = "free";
  catalog::Plan pro;
  pro.key = "pro";
  pro.base_price = Dec("28");
  pro.trial_days = 14;
  catalog::Plan annual;
  annual.key = "annual";
  annual.interval = "year";
  annual.base_price = Dec("365");
  catalog::Plan annual_trial = annual;
  annual_trial.key = "annual_trial";
  annual_trial.trial_days = 10;
  c.plans = {free, pro, annual, annual_trial};
  return c;
}

Timestamp At(const char* t) { return *ParseTimeArg(t); }

TenantTerms Terms(std::vector<std::pair<const char*, const char*>> history, const char* started_at = "",
                  const char* tz = "", int billing_day = 1) {
  catalog::Tenant t;
  t.id = "acme";
  t.timezone = tz;
  t.billing_day = billing_day;
  t.started_at = started_at;
  std::vector<store::PlanAssignment> h;
  for (auto [plan, from] : history)
    h.push_back({plan, *from ? At(from) : store::kBeginningOfTime, At("2026-01-01")});
  auto terms = TermsOf(t, h);
  REQUIRE_MESSAGE(terms.ok(), terms.status().message());
  return *terms;
}

PeriodSchedule Sched(const TenantTerms& t, const char* month) {
  auto bp = MonthPeriod(month, t.timezone, t.billing_day);
  REQUIRE_MESSAGE(bp.ok(), bp.status().message());
  auto s = Schedule(t, Plans(), *bp);
  REQUIRE_MESSAGE(s.ok(), s.status().message());
  return *s;
}

}  // namespace

TEST_CASE("billing.schedule_whole_period_on_one_plan") {
  auto s = Sched(Terms({{"pro", ""}}), "2026-02");
  REQUIRE(s.segments.size() == 1);
  CHECK(s.segments[0].plan == "pro");
  CHECK(s.segments[0].days == 28);
  CHECK(s.segments[0].paid_days == 28);  // no started_at: no trial on the first plan
  CHECK(!s.segments[0].trial_paid_from);
  CHECK(s.annual_charges.empty());
}

// Lago's proration off by one day: a tenant starting on Feb 10 owes Feb 10
// to Feb 28 inclusive, 19 of 28 days, not 18 or 20.
TEST_CASE("billing.schedule_a_start_mid_period_pays_from_its_day_inclusive") {
  auto s = Sched(Terms({{"free", ""}}, "2026-02-10"), "2026-02");
  REQUIRE(s.segments.size() == 1);
  CHECK(s.segments[0].days == 28);
  CHECK(s.segments[0].paid_days == 19);
  CHECK(Sched(Terms({{"free", ""}}, "2026-02-28"), "2026-02").segments[0].paid_days == 1);
  CHECK(Sched(Terms({{"free", ""}}, "2026-02-01"), "2026-02").segments[0].paid_days == 28);
  CHECK(Sched(Terms({{"free", ""}}, "2026-03-01"), "2026-02").segments[0].paid_days == 0);
  CHECK(Sched(Terms({{"free", ""}}, "2026-01-20"), "2026-02").segments[0].paid_days == 28);
  // In the tenant's zone: Tokyo's Feb 10 starts at 15:00 UTC on Feb 9.
  auto tokyo = Sched(Terms({{"free", ""}}, "2026-02-10", "Asia/Tokyo"), "2026-02");
  CHECK(tokyo.segments[0].paid_days == 19);
  CHECK(FormatRfc3339(tokyo.period.period.start) == "2026-01-31T15:00:00Z");
}

TEST_CASE("billing.schedule_anniversary_periods_count_their_own_days") {
  // billing_day 31: Jan 31 -> Feb 28 is 28 days, Feb 28 -> Mar 31 is 31.
  auto jan = Sched(Terms({{"pro", ""}}, "", "", 31), "2026-01");
  CHECK(jan.period.first_day == "2026-01-31");
  CHECK(jan.period.last_day == "2026-02-27");
  CHECK(jan.period.issue_date == "2026-02-28");
  CHECK(jan.segments[0].days == 28);
  auto feb = Sched(Terms({{"pro", ""}}, "", "", 31), "2026-02");
  CHECK(feb.period.first_day == "2026-02-28");
  CHECK(feb.period.issue_date == "2026-03-31");
  CHECK(feb.segments[0].days == 31);
  // A start on the 30th of a tenant billed on the 31st: Jan 30 is in the
  // period that starts in December.
  auto dec = Sched(Terms({{"free", ""}}, "2026-01-30", "", 31), "2025-12");
  CHECK(dec.segments[0].days == 31);
  CHECK(dec.segments[0].paid_days == 1);
}

TEST_CASE("billing.schedule_trial_from_started_at") {
  // Pro's 14-day trial from Feb 10: Feb 10-23 free, paid from Feb 24 (5 days).
  auto s = Sched(Terms({{"pro", ""}}, "2026-02-10"), "2026-02");
  REQUIRE(s.segments.size() == 1);
  CHECK(s.segments[0].paid_days == 5);
  CHECK(s.segments[0].trial_days == 14);
  CHECK(DayText(*s.segments[0].trial_paid_from) == "2026-02-24");
  // The trial runs on into the next period.
  auto late = Sched(Terms({{"pro", ""}}, "2026-02-20"), "2026-03");
  CHECK(late.segments[0].paid_days == 31 - 5);  // Mar 1-5 still trial
  CHECK(DayText(*late.segments[0].trial_paid_from) == "2026-03-06");
  // Over: no trial in a later period.
  auto after = Sched(Terms({{"pro", ""}}, "2026-01-02"), "2026-02");
  CHECK(after.segments[0].paid_days == 28);
  CHECK(!after.segments[0].trial_paid_from);
}

TEST_CASE("billing.schedule_trial_from_the_first_move_to_a_plan") {
  auto t = Terms({{"free", ""}, {"pro", "2026-02-15"}});
  auto s = Sched(t, "2026-02");
  REQUIRE(s.segments.size() == 2);
  CHECK(s.segments[0].plan == "free");
  CHECK(s.segments[0].days == 14);
  CHECK(s.segments[1].plan == "pro");
  CHECK(s.segments[1].days == 14);
  CHECK(s.segments[1].paid_days == 0);  // all trial: paid from Mar 1
  CHECK(DayText(*s.segments[1].trial_paid_from) == "2026-03-01");
  CHECK(Sched(t, "2026-03").segments[0].paid_days == 31);
  // Moving back to pro later starts no new trial.
  auto back = Terms({{"free", ""}, {"pro", "2026-02-15"}, {"free", "2026-03-10"}, {"pro", "2026-04-10"}});
  auto apr = Sched(back, "2026-04");
  REQUIRE(apr.segments.size() == 2);
  CHECK(apr.segments[1].paid_days == 21);
  CHECK(!apr.segments[1].trial_paid_from);
}

TEST_CASE("billing.schedule_trial_ends_at") {
  auto t = Terms({{"pro", ""}}, "2026-02-10", "Asia/Tokyo");
  auto during = TrialEndsAt(t, Plans(), At("2026-02-12T00:00:00Z"));
  REQUIRE(during.ok());
  REQUIRE(during->has_value());
  CHECK(FormatRfc3339(**during) == "2026-02-23T15:00:00Z");  // local midnight of Feb 24 in Tokyo
  auto ahead = TrialEndsAt(t, Plans(), At("2026-01-01T00:00:00Z"));
  CHECK(ahead->has_value());
  CHECK(!TrialEndsAt(t, Plans(), At("2026-02-24T00:00:00Z"))->has_value());
  CHECK(!TrialEndsAt(Terms({{"pro", ""}}), Plans(), At("2026-02-12T00:00:00Z"))->has_value());
  // A scheduled move to a plan with a trial: ahead.
  auto moving = Terms({{"free", ""}, {"pro", "2026-03-01"}});
  auto next = TrialEndsAt(moving, Plans(), At("2026-02-12T00:00:00Z"));
  CHECK(FormatRfc3339(**next) == "2026-03-15T00:00:00Z");
  // Moving off a plan during its trial: paying starts with the move, or after
  // the next plan's own trial when it has one (never the first plan's trial end).
  auto cut = Terms({{"pro", ""}, {"free", "2026-02-15"}}, "2026-02-10");
  CHECK(FormatRfc3339(**TrialEndsAt(cut, Plans(), At("2026-02-12T00:00:00Z"))) == "2026-02-15T00:00:00Z");
  auto onto_trial = Terms({{"annual_trial", ""}, {"pro", "2026-02-15"}}, "2026-02-10");
  CHECK(FormatRfc3339(**TrialEndsAt(onto_trial, Plans(), At("2026-02-12T00:00:00Z"))) == "2026-03-01T00:00:00Z");
}

TEST_CASE("billing.schedule_annual_base_falls_due_once_a_plan_year") {
  auto t = Terms({{"annual", ""}}, "2026-02-10");
  auto feb = Sched(t, "2026-02");
  REQUIRE(feb.annual_charges.size() == 1);
  CHECK(DayText(feb.annual_charges[0].year_start) == "2026-02-10");
  CHECK(DayText(feb.annual_charges[0].year_end) == "2027-02-10");
  CHECK(Sched(t, "2026-03").annual_charges.empty());
  CHECK(Sched(t, "2027-01").annual_charges.empty());
  auto next_year = Sched(t, "2027-02");
  REQUIRE(next_year.annual_charges.size() == 1);
  CHECK(DayText(next_year.annual_charges[0].year_start) == "2027-02-10");
  // A trial delays the year's start to the first paid day.
  auto trial = Terms({{"annual_trial", ""}}, "2026-02-25");
  CHECK(Sched(trial, "2026-02").annual_charges.empty());
  auto mar = Sched(trial, "2026-03");
  REQUIRE(mar.annual_charges.size() == 1);
  CHECK(DayText(mar.annual_charges[0].year_start) == "2026-03-07");
  // Feb 29 years: the anniversary is Feb 28 in other years.
  auto leap = Terms({{"annual", ""}}, "2028-02-29");
  auto y2029 = Sched(leap, "2029-02");
  REQUIRE(y2029.annual_charges.size() == 1);
  CHECK(DayText(y2029.annual_charges[0].year_start) == "2029-02-28");
  CHECK(DayText(Sched(leap, "2032-02").annual_charges[0].year_start) == "2032-02-29");
}

TEST_CASE("billing.schedule_leaving_an_annual_plan_credits_the_unused_days") {
  auto t = Terms({{"annual", ""}, {"pro", "2026-05-10"}}, "2026-02-10");
  auto may = Sched(t, "2026-05");
  REQUIRE(may.annual_credits.size() == 1);
  const AnnualCredit& c = may.annual_credits[0];
  CHECK(DayText(c.change_day) == "2026-05-10");
  CHECK(c.year_days() == 365);
  CHECK(c.unused_days() == 276);  // May 10, 2026 to Feb 10, 2027
  CHECK(Sched(t, "2026-04").annual_credits.empty());
  // Moving back starts a new plan year, charged at once.
  auto back = Terms({{"annual", ""}, {"pro", "2026-05-10"}, {"annual", "2026-06-15"}}, "2026-02-10");
  auto jun = Sched(back, "2026-06");
  REQUIRE(jun.annual_charges.size() == 1);
  CHECK(DayText(jun.annual_charges[0].year_start) == "2026-06-15");
  // Leaving during a trial: no year had started, nothing to credit.
  auto trial = Terms({{"annual_trial", ""}, {"pro", "2026-02-15"}}, "2026-02-10");
  CHECK(Sched(trial, "2026-02").annual_credits.empty());
}

TEST_CASE("billing.schedule_refuses_an_empty_history") {
  TenantTerms t;
  t.id = "x";
  auto bp = MonthPeriod("2026-02");
  CHECK(Schedule(t, Plans(), *bp).status().IsNotFound());
}
