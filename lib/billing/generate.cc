#include "billing/generate.h"

#include <algorithm>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "billing/credits.h"
#include "billing/invoice_record.h"
#include "billing/lifecycle.h"
#include "store/catalog_store.h"
#include "usage/quantity.h"
#include "usage/slices.h"
#include "webhooks/queue.h"

namespace meter::billing {
namespace {

Result<const catalog::Plan*> ResolvePlan(const catalog::Catalog& c, const std::string& key,
                                         const std::string& tenant) {
  const catalog::Plan* p = c.FindPlan(key);
  if (!p)
    return Status::DataError(fmt::format("tenant '{}' is on plan '{}', which the catalog does not define", tenant, key));
  return p;
}

// The usage of each of the plan's charge meters over `p`.
Result<std::map<std::string, Decimal>> MeasureUsage(store::Database& db, const catalog::Catalog& c,
                                                    const std::string& tenant, const catalog::Plan& plan,
                                                    const Period& p) {
  std::map<std::string, Decimal> usage;
  for (const auto& ch : plan.charges) {
    if (usage.count(ch.meter)) continue;
    const catalog::Meter* m = c.FindMeter(ch.meter);
    if (!m) return Status::DataError(fmt::format("plan '{}' charges unknown meter '{}'", plan.key, ch.meter));
    METER_ASSIGN_OR_RETURN(usage[ch.meter], usage::MeterQuantity(db, tenant, *m, p));
  }
  return usage;
}

// A tenant's month before its usage is read: the billing period and plan
// segments, and the slices of its sliced charges when MeasureAhead measured
// them with every other tenant's (per segment; charge index -> slices).
struct MonthPlan {
  PeriodSchedule schedule;
  std::vector<std::map<size_t, std::vector<usage::UsageSlice>>> slices;
};

Result<MonthPlan> PlanMonth(store::Database& db, const catalog::Catalog& catalog, const catalog::Tenant& tenant,
                            std::string_view month, const catalog::Plan* plan_override) {
  METER_ASSIGN_OR_RETURN(BillingPeriod bp, MonthPeriod(month, tenant.timezone, tenant.billing_day));
  MonthPlan out;
  if (plan_override) {
    out.schedule = WholePeriodOn(*plan_override, bp);
    return out;
  }
  METER_ASSIGN_OR_RETURN(auto history, store::CatalogStore(db).PlanHistory(tenant.id));
  METER_ASSIGN_OR_RETURN(TenantTerms terms, TermsOf(tenant, std::move(history)));
  auto s = Schedule(terms, catalog, bp);
  if (!s.ok()) return s.status().WithContext(fmt::format("tenant '{}'", tenant.id));
  out.schedule = std::move(s).value();
  return out;
}

// The sliced charges of every planned month in `plans` (nullopt: a tenant
// not built) measured in one pass over the events per meter and filters
// (usage/slices.h), instead of one pass per tenant, into each MonthPlan.
// Charges of plans or meters the catalog lacks are left to ReadInputs, which
// refuses them in tenant order.
Status MeasureAhead(store::Database& db, const catalog::Catalog& catalog,
                    const std::vector<const catalog::Tenant*>& tenants, std::vector<std::optional<MonthPlan>>& plans) {
  struct Slot {
    size_t tenant, segment, charge;
  };
  std::vector<usage::ChargeSliceRequest> requests;
  std::vector<Slot> slots;
  for (size_t i = 0; i < plans.size(); ++i) {
    if (!plans[i]) continue;
    const auto& segments = plans[i]->schedule.segments;
    for (size_t s = 0; s < segments.size(); ++s) {
      const catalog::Plan* plan = catalog.FindPlan(segments[s].plan);
      for (size_t k = 0; plan && k < plan->charges.size(); ++k) {
        const catalog::Charge& ch = plan->charges[k];
        if (!usage::IsSliced(ch) || !catalog.FindMeter(ch.meter)) continue;
        requests.push_back({&ch, tenants[i]->id, segments[s].period});
        slots.push_back({i, s, k});
      }
    }
  }
  if (requests.empty()) return Status::OK();
  METER_ASSIGN_OR_RETURN(auto measured, usage::MeasureSlices(db, catalog, requests));
  for (size_t r = 0; r < requests.size(); ++r) {
    MonthPlan& mp = *plans[slots[r].tenant];
    mp.slices.resize(mp.schedule.segments.size());
    mp.slices[slots[r].segment][slots[r].charge] = std::move(measured[r]);
  }
  return Status::OK();
}

// ReadInvoiceInputs from the planned month: usage of each segment, slices
// taken from `mp` when measured ahead, else measured now.
Result<InvoiceInputs> ReadInputs(store::Database& db, const catalog::Catalog& catalog, const catalog::Tenant& tenant,
                                 MonthPlan mp, const catalog::Plan* plan_override) {
  PeriodSchedule& schedule = mp.schedule;
  InvoiceInputs in;
  in.catalog = &catalog;
  in.tenant = tenant;
  in.period = schedule.period;
  in.annual_charges = std::move(schedule.annual_charges);
  in.annual_credits = std::move(schedule.annual_credits);
  for (size_t s = 0; s < schedule.segments.size(); ++s) {
    const PlanSegment& seg = schedule.segments[s];
    const catalog::Plan* plan = plan_override;
    if (!plan) { METER_ASSIGN_OR_RETURN(plan, ResolvePlan(catalog, seg.plan, tenant.id)); }
    METER_ASSIGN_OR_RETURN(auto usage, MeasureUsage(db, catalog, tenant.id, *plan, seg.period));
    UsageSegment& u = in.segments.emplace_back();
    u.plan = *plan;
    u.period = seg.period;
    u.days = seg.days;
    u.usage = std::move(usage);
    u.paid_days = seg.paid_days;
    u.trial_days = seg.trial_days;
    u.trial_paid_from = seg.trial_paid_from;
    for (size_t i = 0; i < plan->charges.size(); ++i) {
      if (!usage::IsSliced(plan->charges[i])) continue;
      if (s < mp.slices.size() && mp.slices[s].count(i)) {
        u.slices[i] = std::move(mp.slices[s][i]);
        continue;
      }
      METER_ASSIGN_OR_RETURN(u.slices[i], usage::MeasureSlices(db, catalog, tenant.id, plan->charges[i], seg.period));
    }
  }
  return in;
}

// The draft `id` from the planned month (BuildDraft).
Result<Invoice> DraftFrom(store::Database& db, const catalog::Catalog& catalog, const catalog::Tenant& tenant,
                          MonthPlan mp, const std::string& id, const std::set<std::string>* candidates) {
  METER_ASSIGN_OR_RETURN(InvoiceInputs in, ReadInputs(db, catalog, tenant, std::move(mp), nullptr));
  in.id = id;
  METER_ASSIGN_OR_RETURN(in.adjustments,
                         LateUsageAdjustments(db, catalog, tenant.id, in.period.period.start, candidates));
  METER_ASSIGN_OR_RETURN(in.coupons, CouponsForInvoice(db, tenant.id, in.period.month, TenantCurrency(catalog, tenant)));
  return BuildInvoice(in);
}

// Adjustment lines already billed on finalized invoices, per adjusted
// (invoice id, line index), in billing order.
using PriorAdjustments = std::map<std::pair<std::string, int>, std::vector<const InvoiceLine*>>;

PriorAdjustments CollectPrior(const std::vector<Invoice>& invoices) {
  PriorAdjustments prior;
  for (const auto& inv : invoices)
    for (const auto& l : inv.lines)
      if (l.kind == LineKind::kAdjustment && l.adjusts) prior[{l.adjusts->invoice_id, l.adjusts->line}].push_back(&l);
  return prior;
}

// The adjustment lines for one finalized invoice: each usage line re-measured
// over its own segment and compared with what has been billed for it.
// The quantity a sliced line (SPEC section 10: a filter's or group's line)
// measures now: its slice re-measured under the plan's charge; nullopt when
// the catalog no longer has that charge.
Result<std::optional<Decimal>> SliceNow(store::Database& db, const catalog::Catalog& c, const Invoice& inv,
                                        const InvoiceLine& line) {
  const catalog::Plan* plan = c.FindPlan(line.plan);
  if (!plan) return std::optional<Decimal>();
  for (const auto& ch : plan->charges) {
    if (ch.meter != line.meter || !usage::IsSliced(ch)) continue;
    METER_ASSIGN_OR_RETURN(auto slices, usage::MeasureSlices(db, c, inv.tenant, ch, line.period));
    for (const auto& s : slices) {
      std::optional<std::string> name;
      if (s.filter >= 0) name = ch.filters[s.filter].name;
      if (name == line.filter && s.group == line.group && s.events > 0) return std::optional<Decimal>(s.quantity);
    }
    return std::optional<Decimal>(Decimal());
  }
  return std::optional<Decimal>();
}

Status AdjustInvoice(store::Database& db, const catalog::Catalog& c, const Invoice& inv,
                     const PriorAdjustments& prior, std::vector<InvoiceLine>& out) {
  for (int k = 0; k < static_cast<int>(inv.lines.size()); ++k) {
    const InvoiceLine& line = inv.lines[k];
    const catalog::Meter* m = line.kind == LineKind::kUsage ? c.FindMeter(line.meter) : nullptr;
    if (!m) continue;  // base lines; meters no longer in the catalog cannot be re-measured
    Decimal q = line.quantity, billed = line.amount;
    if (auto it = prior.find({inv.id, k}); it != prior.end()) {
      for (const InvoiceLine* adj : it->second) {
        q = adj->adjusts->quantity_after;
        METER_ASSIGN_OR_RETURN(billed, billed.Add(adj->amount));
      }
    }
    Decimal current;
    if (line.events >= 0) {
      METER_ASSIGN_OR_RETURN(std::optional<Decimal> now, SliceNow(db, c, inv, line));
      if (!now) continue;
      current = *now;
    } else {
      METER_ASSIGN_OR_RETURN(current, usage::MeterQuantity(db, inv.tenant, *m, line.period));
    }
    auto adj = LateUsageLine(inv, k, q, billed, current);
    if (!adj.ok())
      return Status::DataError(fmt::format("late usage of {} {}: {}", inv.tenant, inv.period.month, adj.status().message()));
    if (adj->has_value()) out.push_back(std::move(**adj));
  }
  return Status::OK();
}

// What already exists for one tenant's month.
struct Existing {
  std::optional<store::InvoiceRecord> billing;  // open, paid or overdue
  std::optional<store::InvoiceRecord> draft;
  int voids = 0;
};

Result<std::map<std::string, Existing>> ExistingByTenant(store::Database& db, const GenerateOptions& o) {
  METER_ASSIGN_OR_RETURN(auto records, store::InvoiceStore(db).ForMonth(o.month, o.tenant));
  std::map<std::string, Existing> out;
  for (auto& r : records) {
    Existing& e = out[r.tenant];
    if (r.status == "void") ++e.voids;
    else if (r.status == "draft") e.draft = std::move(r);
    else e.billing = std::move(r);
  }
  return out;
}

// True when two stored forms of a draft hold the same invoice (their write
// times aside).
bool SameContent(store::InvoiceRecord a, const store::InvoiceRecord& b) {
  a.created_at = b.created_at;
  a.updated_at = b.updated_at;
  a.events_seq = b.events_seq;
  return a == b;
}

// Writes the freshly built draft (insert or refresh), then finalizes it when
// asked; a draft finalized at once is written once, already finalized. Runs
// inside generate's transaction.
Status StoreDraft(store::Database& db, const catalog::Catalog& c, Invoice& inv, const Existing& ex,
                  const GenerateOptions& o, GenerateResult& res) {
  store::InvoiceStore invoices(db);
  bool finalize = o.finalize && (!o.finalize_ended_only || inv.period.period.end <= o.now);
  if (o.finalize && !finalize) ++res.not_ended;
  Timestamp created_at = ex.draft ? ex.draft->created_at : o.now;
  store::InvoiceRecord rec = InvoiceToRecord(inv, created_at, o.now);
  if (!ex.draft) {
    if (!finalize) METER_RETURN_IF_ERROR(invoices.Insert(rec));
    METER_RETURN_IF_ERROR(webhooks::Enqueue(db, "invoice.created", inv.tenant, InvoiceToJson(inv), o.now).status());
    ++res.created;
  } else if (!SameContent(rec, *ex.draft)) {
    if (!finalize) METER_RETURN_IF_ERROR(invoices.Update(rec));
    ++res.refreshed;
  } else {
    ++res.unchanged;
  }
  if (!finalize) return Status::OK();
  METER_RETURN_IF_ERROR(FinalizeBuilt(db, c, inv, created_at, o.now, ex.draft.has_value()));
  ++res.finalized;
  return Status::OK();
}

// True when the invoice bills usage: a usage line with a quantity, or a
// late-usage adjustment.
bool HasUsage(const Invoice& inv) {
  return std::any_of(inv.lines.begin(), inv.lines.end(), [](const InvoiceLine& l) {
    return l.kind == LineKind::kAdjustment || (l.kind == LineKind::kUsage && !l.quantity.IsZero());
  });
}

// True when the tenant starts after the period ends: it owes nothing for the
// period but usage it may have sent early.
bool StartsAfter(const catalog::Tenant& t, const Invoice& inv) {
  if (t.started_at.empty()) return false;
  auto start = ParseTimeIn(t.started_at, t.timezone);
  return start.ok() && *start >= inv.period.period.end;
}

// `planned`: the tenant's month from PlanMonth and MeasureAhead; nullopt
// when it was not planned ahead (planned now).
Status GenerateForTenant(store::Database& db, const catalog::Catalog& c, const catalog::Tenant& t,
                         const Existing& ex, std::optional<MonthPlan> planned, const std::set<std::string>* candidates,
                         bool suspended, const GenerateOptions& o, GenerateResult& res) {
  if (ex.billing) {
    METER_ASSIGN_OR_RETURN(Invoice kept, InvoiceFromRecord(*ex.billing));
    res.invoices.push_back(std::move(kept));
    ++res.kept;
    return Status::OK();
  }
  std::string id = ex.draft ? ex.draft->id : DraftId(t.id, o.month, ex.voids + 1);
  if (!planned) { METER_ASSIGN_OR_RETURN(planned, PlanMonth(db, c, t, o.month, nullptr)); }
  METER_ASSIGN_OR_RETURN(Invoice inv, DraftFrom(db, c, t, std::move(*planned), id, candidates));
  if ((suspended || StartsAfter(t, inv)) && !ex.draft && !HasUsage(inv)) return Status::OK();
  if (!o.dry_run) METER_RETURN_IF_ERROR(StoreDraft(db, c, inv, ex, o, res));
  res.invoices.push_back(std::move(inv));
  return Status::OK();
}

}  // namespace

Result<InvoiceInputs> ReadInvoiceInputs(store::Database& db, const catalog::Catalog& catalog,
                                        const catalog::Tenant& tenant, std::string_view month,
                                        const catalog::Plan* plan_override) {
  METER_ASSIGN_OR_RETURN(MonthPlan mp, PlanMonth(db, catalog, tenant, month, plan_override));
  return ReadInputs(db, catalog, tenant, std::move(mp), plan_override);
}

Result<std::vector<InvoiceLine>> LateUsageAdjustments(store::Database& db, const catalog::Catalog& catalog,
                                                      const std::string& tenant, Timestamp before,
                                                      const std::set<std::string>* candidates) {
  std::vector<InvoiceLine> out;
  if (candidates && candidates->empty()) return out;
  METER_ASSIGN_OR_RETURN(auto records, store::InvoiceStore(db).Finalized(tenant));
  auto is_target = [&](const store::InvoiceRecord& r) {
    return r.period.start < before && (!candidates || candidates->count(r.id));
  };
  if (std::none_of(records.begin(), records.end(), is_target)) return out;
  std::vector<Invoice> invoices;
  for (const auto& r : records) { METER_ASSIGN_OR_RETURN(invoices.emplace_back(), InvoiceFromRecord(r)); }
  PriorAdjustments prior = CollectPrior(invoices);
  for (size_t i = 0; i < records.size(); ++i)
    if (is_target(records[i])) METER_RETURN_IF_ERROR(AdjustInvoice(db, catalog, invoices[i], prior, out));
  return out;
}

Result<Invoice> BuildDraft(store::Database& db, const catalog::Catalog& catalog, const catalog::Tenant& tenant,
                           std::string_view month, const std::string& id, const std::set<std::string>* candidates) {
  METER_ASSIGN_OR_RETURN(MonthPlan mp, PlanMonth(db, catalog, tenant, month, nullptr));
  return DraftFrom(db, catalog, tenant, std::move(mp), id, candidates);
}

Result<GenerateResult> GenerateInvoices(store::Database& db, const catalog::Catalog& catalog,
                                        const GenerateOptions& o) {
  if (o.dry_run && o.finalize) return Status::InvalidArgument("--dry-run and --finalize cannot be combined");
  METER_ASSIGN_OR_RETURN(BillingPeriod utc, MonthPeriod(o.month));
  std::vector<const catalog::Tenant*> tenants;
  for (const auto& t : catalog.tenants)
    if (o.tenant.empty() || t.id == o.tenant) tenants.push_back(&t);
  if (!o.tenant.empty() && tenants.empty()) return Status::NotFound(fmt::format("unknown tenant '{}'", o.tenant));
  GenerateResult res;
  res.invoices.reserve(tenants.size());  // growing would copy every invoice built so far
  auto body = [&]() -> Status {
    METER_ASSIGN_OR_RETURN(auto existing, ExistingByTenant(db, o));
    METER_ASSIGN_OR_RETURN(auto suspended, store::InvoiceStore(db).SuspendedTenants());
    // Across all tenants, only invoices with events recorded after their
    // finalization are re-measured; a single tenant re-measures all of its.
    // Every tenant's earlier months end by this UTC month's start + 14 h
    // (time zones run from UTC-12 to UTC+14); this month's invoices end weeks
    // later, so they are left out.
    std::map<std::string, std::set<std::string>> late;
    Timestamp before = utc.period.start + 14 * kMillisPerHour;
    if (o.tenant.empty()) { METER_ASSIGN_OR_RETURN(late, store::InvoiceStore(db).WithLateEvents(before)); }
    const std::set<std::string> none;
    // Every month to build is planned first, so the sliced charges of all
    // tenants are measured together (MeasureAhead); a tenant that cannot be
    // planned stops the planning, and its error is met in tenant order below.
    std::vector<std::optional<MonthPlan>> plans(tenants.size());
    for (size_t i = 0; i < tenants.size(); ++i) {
      if (existing[tenants[i]->id].billing) continue;
      auto mp = PlanMonth(db, catalog, *tenants[i], o.month, nullptr);
      if (!mp.ok()) break;
      plans[i] = std::move(mp).value();
    }
    METER_RETURN_IF_ERROR(MeasureAhead(db, catalog, tenants, plans));
    ProgressSink& progress = o.progress ? *o.progress : NoProgress();
    progress.Begin("invoices " + o.month, tenants.size(), "tenants");
    for (size_t i = 0; i < tenants.size(); ++i) {
      const catalog::Tenant* t = tenants[i];
      const std::set<std::string>* candidates = nullptr;
      if (o.tenant.empty()) candidates = late.count(t->id) ? &late[t->id] : &none;
      Status st = GenerateForTenant(db, catalog, *t, existing[t->id], std::move(plans[i]), candidates,
                                    suspended.count(t->id) > 0, o, res);
      if (!st.ok()) return st;
      progress.Update(i + 1);
    }
    progress.End();
    return Status::OK();
  };
  Status st = o.dry_run ? db.Read(body) : db.Transaction(body);
  if (!st.ok()) return st;
  return res;
}

Result<Invoice> PreviewInvoice(store::Database& db, const catalog::Catalog& catalog, const std::string& tenant,
                               std::string_view month) {
  GenerateOptions o;
  o.month = std::string(month);
  o.tenant = tenant;
  o.dry_run = true;
  METER_ASSIGN_OR_RETURN(GenerateResult r, GenerateInvoices(db, catalog, o));
  if (!r.invoices.empty()) return std::move(r.invoices.front());
  // A suspended tenant without usage is not invoiced: nothing is billed.
  auto t = std::find_if(catalog.tenants.begin(), catalog.tenants.end(), [&](const auto& x) { return x.id == tenant; });
  METER_ASSIGN_OR_RETURN(InvoiceInputs in, ReadInvoiceInputs(db, catalog, *t, month));
  in.segments.clear();
  return BuildInvoice(in);
}

Result<Invoice> PreviewCurrentPeriod(store::Database& db, const catalog::Catalog& catalog,
                                     const std::string& tenant, Timestamp now) {
  const catalog::Tenant* t = nullptr;
  for (const auto& x : catalog.tenants)
    if (x.id == tenant) t = &x;
  if (!t) return Status::NotFound(fmt::format("unknown tenant '{}'", tenant));
  METER_ASSIGN_OR_RETURN(BillingPeriod current, PeriodContaining(now, t->timezone, t->billing_day));
  return PreviewInvoice(db, catalog, tenant, current.month);
}

}  // namespace meter::billing
