// Schedule: what a tenant owes in one billing period apart from its usage
// (SPEC section 10): its billing period, the plan segments in force, how many
// of each segment's days are paid (a start mid-period, a trial), the annual
// base prices that fall due and the credits for leaving an annual plan early.
// Pure functions of the tenant, its plan history and the catalog's plans, so
// invoices, previews, forecast and `tenants show` all agree.
//
// Days are the tenant's local calendar days. A plan change, a tenant's start
// and a trial count from the nearest local midnight (a bare date given for a
// tenant is exactly local midnight, core/time.h ParseLocalTimeArg).
//
// Choices where the SPEC is silent:
// * A tenant with `started_at` is not billed base price or commitment for the
//   days before it; periods ending before it have no base line (usage in
//   them, if any, is still billed).
// * An annual plan's years run from the tenant's first day on it: its
//   `started_at` for the first plan, else the day the tenant was added (the
//   first plan-history row's recorded_at); a later plan's from the
//   `--effective` day that moved the tenant to it; a trial delays the start to
//   the first paid day. Year k starts on the same month and day k years later
//   (Feb 29 becomes Feb 28 in other years).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "core/status.h"
#include "core/time.h"
#include "store/catalog_store.h"

namespace meter::billing {

// One billing period of one tenant: the period that starts in local calendar
// month `month`, anchored on its billing day (core/time.h).
struct BillingPeriod {
  std::string month;       // "2026-02": the local month the period starts in
  std::string timezone;    // the tenant's zone ("" = UTC)
  int billing_day = 1;
  Period period;           // half-open instants
  int64_t start_day = 0;   // local civil day of period.start (days since 1970-01-01)
  int days = 0;            // local calendar days in the period
  std::string first_day;   // "2026-02-01"
  std::string last_day;    // "2026-02-28"
  std::string issue_date;  // the day the period ends: "2026-03-01"
};

// The period of a tenant with zone `tz` and `billing_day` that starts in
// "YYYY-MM"; InvalidArgument for other text, a bad zone or billing day.
Result<BillingPeriod> MonthPeriod(std::string_view month, std::string_view tz = "", int billing_day = 1);

// The tenant's period containing instant `t`.
Result<BillingPeriod> PeriodContaining(Timestamp t, std::string_view tz, int billing_day);

// "YYYY-MM-DD" of a local civil day (days since 1970-01-01).
std::string DayText(int64_t day);

// "YYYY-MM-DD" plus `days` days ("2026-03-01" + 14 = "2026-03-15").
std::string AddDays(std::string_view date, int days);

// A stretch of a period during which one plan was in force.
struct PlanSegment {
  std::string plan;        // plan key
  Period period;           // usage in it is priced under `plan`
  int64_t start_day = 0;   // local days [start_day, start_day + days)
  int days = 0;            // days of the period its base price and commitment are prorated over
  int paid_days = 0;       // of those, the days after the tenant's start and outside the plan's trial
  // The plan's trial when it overlaps the segment: its length and the first
  // paid day after it.
  int trial_days = 0;
  std::optional<int64_t> trial_paid_from;
};

// An annual plan's base price falling due in the period (charged whole).
struct AnnualCharge {
  std::string plan;
  int64_t year_start = 0;  // local days [year_start, year_end)
  int64_t year_end = 0;
  // 0: the whole base price (an invoice). > 0: only this many days' share of
  // it (what-if pricing of a period, WholePeriodOn).
  int share_days = 0;
};

// Leaving an annual plan before its year ends: the unused days are credited.
struct AnnualCredit {
  std::string plan;
  int64_t change_day = 0;  // the first day off the plan
  int64_t year_start = 0;
  int64_t year_end = 0;
  int unused_days() const { return static_cast<int>(year_end - change_day); }
  int year_days() const { return static_cast<int>(year_end - year_start); }
};

// Everything about a tenant the schedule reads.
struct TenantTerms {
  std::string id;
  std::string timezone;
  int billing_day = 1;
  std::optional<Timestamp> started_at;             // resolved in `timezone`
  std::vector<store::PlanAssignment> history;      // oldest first, as CatalogStore::PlanHistory returns it
};

// The tenant's terms: `started_at` resolved in its zone. InvalidArgument for a
// start the catalog would refuse.
Result<TenantTerms> TermsOf(const catalog::Tenant& t, std::vector<store::PlanAssignment> history);

struct PeriodSchedule {
  BillingPeriod period;
  std::vector<PlanSegment> segments;  // in time order; adjacent same-plan stretches merged
  std::vector<AnnualCharge> annual_charges;
  std::vector<AnnualCredit> annual_credits;
};

// The schedule of `terms` for `bp`. Plans are looked up in `catalog` for their
// trials and intervals; a plan it lacks counts as monthly without a trial.
// NotFound when the history is empty (the tenant has no plan).
Result<PeriodSchedule> Schedule(const TenantTerms& terms, const catalog::Catalog& catalog, const BillingPeriod& bp);

// The schedule for `plan` in force all period, as if the tenant had always
// been on it: every day paid, no trial; an annual plan's base price counts
// the period's days' share of a year. For what-if pricing (recommend).
PeriodSchedule WholePeriodOn(const catalog::Plan& plan, const BillingPeriod& bp);

// The instant the trial running or ahead at `now` ends (local midnight of the
// first paid day), or nullopt when none is (SPEC section 10, `tenants show`).
Result<std::optional<Timestamp>> TrialEndsAt(const TenantTerms& terms, const catalog::Catalog& catalog,
                                             Timestamp now);

}  // namespace meter::billing
