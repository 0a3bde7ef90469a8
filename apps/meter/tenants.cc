// tenants list / show / add / set-plan / suspend / resume.
#include <fmt/format.h>

#include "catalog/catalog.h"
#include "core/local_date.h"
#include "core/format.h"
#include "core/json_util.h"
#include "core/money.h"
#include "context.h"
#include "output.h"
#include "billing/coupons.h"
#include "billing/credits.h"
#include "billing/generate.h"
#include "billing/lifecycle.h"
#include "billing/schedule.h"
#include "store/catalog_store.h"
#include "tenants/tenants.h"
#include "usage/alerts.h"
#include "usage/quota.h"

namespace meter::cli {
namespace {

struct TenantArgs {
  std::string id, plan, name, email, timezone, effective, code, from, started_at;
  int billing_day = 1;
};

nlohmann::json TenantJson(const store::TenantRecord& r) {
  return {{"id", r.tenant.id}, {"name", r.tenant.name}, {"plan", r.tenant.plan},
          {"email", r.tenant.email}, {"timezone", r.tenant.timezone.empty() ? "UTC" : r.tenant.timezone},
          {"status", r.status}, {"created_at", FormatRfc3339(r.created_at)},
          {"billing_day", r.tenant.billing_day},
          {"started_at", r.tenant.started_at.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.tenant.started_at)}};
}

int RunList(const Context& ctx, const std::string& format) {
  auto db = ctx.OpenDbReadOnly();
  if (!db.ok()) return ctx.Fail(db.status());
  auto tenants = store::CatalogStore(**db).ListTenants(Clock::Now());
  if (!tenants.ok()) return ctx.Fail(tenants.status());
  if (ctx.json()) {
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& r : *tenants) rows.push_back(TenantJson(r));
    PrintJson({{"tenants", rows}});
    return kExitOk;
  }
  Table t({"id", "name", "plan", "status", "email"});
  for (const auto& r : *tenants) t.Add({r.tenant.id, r.tenant.name, r.tenant.plan, r.status, r.tenant.email});
  PrintTable(t, format);
  return kExitOk;
}

// What `tenants show` gathers besides the tenant itself.
struct TenantView {
  std::vector<store::PlanAssignment> history;
  std::vector<usage::QuotaRow> limits;
  std::optional<billing::Invoice> current;  // the current period so far
  std::vector<billing::Invoice> open_invoices;
  std::vector<store::AlertRecord> alerts;   // newest first, at most 5
  Decimal credit_balance;                   // SPEC 11: prepaid credits usable now
  std::string currency;
  std::vector<store::TenantCouponRecord> coupons;  // applied, not removed
  std::optional<Timestamp> trial_ends_at;   // the first paid day of a trial running or ahead
  std::string first_paid_day;               // that day, "YYYY-MM-DD" in the tenant's zone
  std::optional<billing::BillingPeriod> period;  // the billing period containing now
};

Status GatherView(store::Database& db, const catalog::Catalog& c, const std::string& id, TenantView* v) {
  Timestamp now = Clock::Now();
  METER_ASSIGN_OR_RETURN(v->history, store::CatalogStore(db).PlanHistory(id));
  for (const auto& t : c.tenants)
    if (t.id == id) {
      METER_ASSIGN_OR_RETURN(billing::TenantTerms terms, billing::TermsOf(t, v->history));
      METER_ASSIGN_OR_RETURN(v->trial_ends_at, billing::TrialEndsAt(terms, c, now));
      if (v->trial_ends_at) {
        METER_ASSIGN_OR_RETURN(CivilDate d, LocalDateOf(*v->trial_ends_at, t.timezone));
        v->first_paid_day = billing::DayText(DaysFromCivil(d.year, d.month, d.day));
      }
      METER_ASSIGN_OR_RETURN(v->period, billing::PeriodContaining(now, t.timezone, t.billing_day));
    }
  METER_ASSIGN_OR_RETURN(v->limits, usage::QuotaStatusFor(db, c, id, now));
  auto current = billing::PreviewCurrentPeriod(db, c, id, now);
  if (current.ok()) v->current = std::move(current).value();
  for (const char* status : {"open", "overdue"}) {
    METER_ASSIGN_OR_RETURN(auto invoices, billing::ListInvoices(db, {id, "", status}));
    for (auto& inv : invoices) v->open_invoices.push_back(std::move(inv));
  }
  METER_ASSIGN_OR_RETURN(v->alerts, usage::ListAlerts(db, id));
  if (v->alerts.size() > 5) v->alerts.resize(5);
  for (const auto& t : c.tenants)
    if (t.id == id) v->currency = billing::TenantCurrency(c, t);
  METER_ASSIGN_OR_RETURN(v->credit_balance, billing::CreditBalance(db, id, v->currency, now));
  METER_ASSIGN_OR_RETURN(v->coupons, billing::TenantCoupons(db, id));
  std::erase_if(v->coupons, [](const auto& r) { return r.removed_at.has_value(); });
  return Status::OK();
}

nlohmann::json ViewJson(const store::TenantRecord& r, const TenantView& v) {
  nlohmann::json j = TenantJson(r);
  j["plan_history"] = nlohmann::json::array();
  for (const auto& a : v.history)
    j["plan_history"].push_back({{"plan", a.plan}, {"effective_from", a.effective_from == store::kBeginningOfTime
                                                                          ? nlohmann::json(nullptr)
                                                                          : nlohmann::json(FormatRfc3339(a.effective_from))}});
  j["limits"] = nlohmann::json::array();
  for (const auto& q : v.limits)
    j["limits"].push_back({{"meter", q.meter}, {"used", JsonNumber(q.used)},
                           {"limit", q.limit.limit ? JsonNumber(*q.limit.limit) : nlohmann::json(nullptr)},
                           {"percent", q.percent ? nlohmann::json(q.percent->ToString()) : nlohmann::json(nullptr)},
                           {"period_start", FormatRfc3339(q.period.start)}, {"period_end", FormatRfc3339(q.period.end)}});
  j["trial_ends_at"] = v.trial_ends_at ? nlohmann::json(FormatRfc3339(*v.trial_ends_at)) : nlohmann::json(nullptr);
  if (v.period)
    j["billing_period"] = {{"month", v.period->month}, {"start", FormatRfc3339(v.period->period.start)},
                           {"end", FormatRfc3339(v.period->period.end)}};
  if (v.current)
    j["current_period"] = {{"month", v.current->period.month},
                           {"subtotal", MoneyString(v.current->subtotal, v.current->currency)},
                           {"total", MoneyString(v.current->total, v.current->currency)}, {"currency", v.current->currency}};
  j["open_invoices"] = nlohmann::json::array();
  for (const auto& inv : v.open_invoices)
    j["open_invoices"].push_back({{"id", inv.id}, {"number", inv.number}, {"status", inv.status},
                                  {"total", MoneyString(inv.total, inv.currency)}, {"due_date", inv.due_date}});
  j["credit_balance"] = MoneyString(v.credit_balance, v.currency);
  j["currency"] = v.currency;
  j["coupons"] = nlohmann::json::array();
  for (const auto& k : v.coupons)
    j["coupons"].push_back({{"code", k.code}, {"from", k.start_month}, {"applied_at", FormatRfc3339(k.applied_at)}});
  j["recent_alerts"] = nlohmann::json::array();
  for (const auto& a : v.alerts) j["recent_alerts"].push_back(usage::AlertJson(a));
  return j;
}

void PrintView(const Context& ctx, const catalog::Catalog& c, const store::TenantRecord& r, const TenantView& v) {
  fmt::print("{} ({})  {}\n", Colored(ctx, "bold", r.tenant.name), r.tenant.id, r.status);
  fmt::print("plan      {}\nemail     {}\ntimezone  {}\n", r.tenant.plan, r.tenant.email.empty() ? "-" : r.tenant.email,
             r.tenant.timezone.empty() ? "UTC" : r.tenant.timezone);
  if (v.period)
    fmt::print("period    {} to {} (billing day {}){}\n", v.period->first_day, v.period->last_day, r.tenant.billing_day,
               r.tenant.started_at.empty() ? "" : fmt::format("; started {}", r.tenant.started_at));
  if (v.trial_ends_at) fmt::print("trial     first paid day {}\n", v.first_paid_day);
  fmt::print("\nplan history\n");
  for (const auto& a : v.history)
    fmt::print("  {:<32} {}\n", a.effective_from == store::kBeginningOfTime ? "from the start" : "from " + FormatRfc3339(a.effective_from), a.plan);
  fmt::print("\nlimits (current period)\n");
  if (v.limits.empty()) fmt::print("  none\n");
  for (const auto& q : v.limits) {
    MeterLabel label = LabelOf(c, q.meter);
    std::string limit = q.limit.limit ? WithUnit(Thousands(*q.limit.limit), label.unit) : "unlimited";
    std::string bar = q.limit.limit ? UsageBar(q.used, *q.limit.limit) : "";
    std::string pct = q.limit.limit ? Percent(q.used, *q.limit.limit) : "-";
    std::string color = !q.percent ? "green" : *q.percent >= Decimal::FromInt(100) ? "red" : *q.percent >= Decimal::FromInt(80) ? "yellow" : "green";
    fmt::print("  {:<22} {:>14} / {:<18} {:>5} {} per {}\n", label.name, Thousands(q.used), limit, pct,
               Colored(ctx, color, bar), catalog::LimitPeriodName(q.limit.period));
  }
  if (v.current)
    fmt::print("\ncost of {} so far: {} {} before tax ({} with tax)\n", v.current->period.month,
               MoneyText(v.current->subtotal, v.current->currency), v.current->currency,
               MoneyText(v.current->total, v.current->currency));
  fmt::print("\ncredit balance: {}\n", CurrencyAmount(v.credit_balance, v.currency));
  if (!v.coupons.empty()) {
    fmt::print("coupons:");
    for (const auto& k : v.coupons) fmt::print(" {} (from {})", k.code, k.start_month);
    fmt::print("\n");
  }
  fmt::print("\nopen invoices\n");
  if (v.open_invoices.empty()) fmt::print("  none\n");
  for (const auto& inv : v.open_invoices)
    fmt::print("  {:<20} {:<8} {:>12} due {}\n", inv.number, inv.status, MoneyString(inv.total, inv.currency), inv.due_date);
  fmt::print("\nrecent alerts\n");
  if (v.alerts.empty()) fmt::print("  none\n");
  for (const auto& a : v.alerts)
    fmt::print("  {}  {} reached {}% of its limit (period from {})\n", FormatRfc3339(a.created_at),
               LabelOf(c, a.meter).name, a.threshold, FormatRfc3339(a.period_start));
}

int RunShow(const Context& ctx, const std::string& id) {
  auto db = ctx.OpenDbReadOnly();
  if (!db.ok()) return ctx.Fail(db.status());
  store::CatalogStore cs(**db);
  auto r = cs.GetTenant(id, Clock::Now());
  if (!r.ok()) return ctx.Fail(r.status());
  auto c = cs.Load(Clock::Now());
  if (!c.ok()) return ctx.Fail(c.status());
  TenantView v;
  if (Status st = GatherView(**db, *c, id, &v); !st.ok()) return ctx.Fail(st);
  if (ctx.json()) PrintJson(ViewJson(*r, v));
  else PrintView(ctx, *c, *r, v);
  return kExitOk;
}

int RunAdd(const Context& ctx, const TenantArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  catalog::Tenant t;
  t.id = a.id;
  t.name = a.name.empty() ? a.id : a.name;
  t.plan = a.plan;
  t.email = a.email;
  t.timezone = a.timezone;
  t.billing_day = a.billing_day;
  t.started_at = a.started_at;
  if (Status st = tenants::Add(**db, t, Clock::Now()); !st.ok()) return ctx.Fail(st);
  ctx.Info(fmt::format("tenant {} added on plan {}", a.id, a.plan));
  return kExitOk;
}

int RunSetPlan(const Context& ctx, const TenantArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  Timestamp effective = Clock::Now();
  if (!a.effective.empty()) {
    auto t = tenants::TenantTime(**db, a.id, a.effective, Clock::Now());  // a date: local midnight
    if (!t.ok() && t.status().IsInvalidArgument())
      return ctx.Fail(Status::InvalidArgument("--effective: " + t.status().message()));
    if (!t.ok()) return ctx.Fail(t.status());
    effective = *t;
  }
  if (Status st = tenants::SetPlan(**db, a.id, a.plan, effective, Clock::Now()); !st.ok()) return ctx.Fail(st);
  ctx.Info(fmt::format("tenant {} moves to plan {} from {}", a.id, a.plan, FormatRfc3339(effective)));
  return kExitOk;
}

int RunSetStatus(const Context& ctx, const std::string& id, const std::string& status) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  if (Status st = tenants::SetStatus(**db, id, status); !st.ok()) return ctx.Fail(st);
  ctx.Info(fmt::format("tenant {} is {}", id, status));
  return kExitOk;
}

int RunApplyCoupon(const Context& ctx, const TenantArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  Timestamp now = Clock::Now();
  auto c = store::CatalogStore(**db).LoadForTenant(a.id, now);
  if (!c.ok()) return ctx.Fail(c.status());
  const catalog::Tenant& t = c->tenants.front();
  Timestamp from = now;
  if (!a.from.empty()) {
    auto f = ParseTimeIn(a.from, t.timezone);
    if (!f.ok()) return ctx.Fail(Status::InvalidArgument("--from: " + f.status().message()));
    from = *f;
  }
  auto r = billing::ApplyCoupon(**db, *c, t, a.code, from, now);
  if (!r.ok()) return ctx.Fail(r.status());
  if (ctx.json()) PrintJson({{"tenant", r->tenant}, {"code", r->code}, {"from", r->start_month}, {"position", r->position}});
  else fmt::print("coupon {} applied to {} from its {} invoice on\n", r->code, r->tenant, r->start_month);
  return kExitOk;
}

int RunRemoveCoupon(const Context& ctx, const TenantArgs& a) {
  auto db = ctx.OpenDb();
  if (!db.ok()) return ctx.Fail(db.status());
  if (Status st = billing::RemoveCoupon(**db, a.id, a.code, Clock::Now()); !st.ok()) return ctx.Fail(st);
  ctx.Info(fmt::format("coupon {} removed from {}: the next drafts no longer apply it", a.code, a.id));
  return kExitOk;
}

}  // namespace

void RegisterTenantCommands(CLI::App& app, Context& ctx) {
  static TenantArgs a;
  static std::string format = "text";
  auto* t = app.add_subcommand("tenants", "Customers and their plans");
  t->require_subcommand(1);
  auto* list = AddCommand(*t, ctx, "list", "List tenants", [&ctx] { return RunList(ctx, format); });
  list->add_option("--format", format, "text or csv")->check(CLI::IsMember({"text", "csv"}));
  auto* show = AddCommand(*t, ctx, "show", "One-screen view of a tenant", [&ctx] { return RunShow(ctx, a.id); });
  show->add_option("id", a.id, "Tenant id")->required()->type_name(kTenantValue);
  auto* add = AddCommand(*t, ctx, "add", "Add a tenant", [&ctx] { return RunAdd(ctx, a); });
  add->add_option("id", a.id, "Tenant id")->required()->type_name("ID");
  add->add_option("--plan", a.plan, "Plan key")->required();
  add->add_option("--name", a.name, "Display name");
  add->add_option("--email", a.email, "Billing email");
  add->add_option("--timezone", a.timezone, "IANA time zone or +HH:MM for monthly periods");
  add->add_option("--started-at", a.started_at,
                  "When the tenant started (date = local midnight, or RFC 3339): a partial first period, and "
                  "its plan's trial");
  add->add_option("--billing-day", a.billing_day, "Day of the month its billing periods start (1-31, default 1)");
  auto* sp = AddCommand(*t, ctx, "set-plan", "Move a tenant to another plan", [&ctx] { return RunSetPlan(ctx, a); });
  sp->add_option("id", a.id, "Tenant id")->required()->type_name(kTenantValue);
  sp->add_option("plan", a.plan, "Plan key")->required()->type_name(kPlanValue);
  sp->add_option("--effective", a.effective, "When the change takes effect (date or RFC 3339; default now)");
  auto* su = AddCommand(*t, ctx, "suspend", "Suspend a tenant", [&ctx] { return RunSetStatus(ctx, a.id, "suspended"); });
  su->add_option("id", a.id, "Tenant id")->required()->type_name(kTenantValue);
  auto* re = AddCommand(*t, ctx, "resume", "Resume a suspended tenant", [&ctx] { return RunSetStatus(ctx, a.id, "active"); });
  re->add_option("id", a.id, "Tenant id")->required()->type_name(kTenantValue);
  auto* ac = AddCommand(*t, ctx, "apply-coupon", "Apply a catalog coupon to a tenant",
                        [&ctx] { return RunApplyCoupon(ctx, a); });
  ac->add_option("id", a.id, "Tenant id")->required()->type_name(kTenantValue);
  ac->add_option("code", a.code, "Coupon code")->required();
  ac->add_option("--from", a.from, "First day it applies (its billing period on; default now)");
  auto* rc = AddCommand(*t, ctx, "remove-coupon", "Stop a coupon from the next draft on",
                        [&ctx] { return RunRemoveCoupon(ctx, a); });
  rc->add_option("id", a.id, "Tenant id")->required()->type_name(kTenantValue);
  rc->add_option("code", a.code, "Coupon code")->required();
}

}  // namespace meter::cli
