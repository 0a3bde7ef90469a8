#include "billing/generate.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "billing/credits.h"
#include "billing/invoice_record.h"
#include "billing/lifecycle.h"
#include "core/json_util.h"
#include "store/catalog_store.h"
#include "store/event_store.h"
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

// The currency the month's invoice bills in (FirstSegmentCurrency), from
// the plan keys of its segments.
std::string MonthCurrency(const catalog::Catalog& c, const MonthPlan& mp) {
  const auto& segments = mp.schedule.segments;
  return FirstSegmentCurrency(c, segments.empty() ? nullptr : c.FindPlan(segments.front().plan));
}

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
// `adjustments`: the tenant's late usage lines when measured ahead (with
// every other tenant's), else nullopt (measured now).
Result<Invoice> DraftFrom(store::Database& db, const catalog::Catalog& catalog, const catalog::Tenant& tenant,
                          MonthPlan mp, const std::string& id, const std::set<std::string>* candidates,
                          std::optional<Result<std::vector<InvoiceLine>>> adjustments) {
  std::string currency = MonthCurrency(catalog, mp);
  METER_ASSIGN_OR_RETURN(InvoiceInputs in, ReadInputs(db, catalog, tenant, std::move(mp), nullptr));
  in.id = id;
  if (!adjustments)
    adjustments = LateUsageAdjustments(db, catalog, tenant.id, currency, in.period.period.start, candidates);
  METER_ASSIGN_OR_RETURN(in.adjustments, std::move(*adjustments));
  METER_ASSIGN_OR_RETURN(in.coupons, CouponsForInvoice(db, tenant.id, in.period.month));
  return BuildInvoice(in);
}

// What an adjustment corrects: a line of a finalized invoice (invoice id,
// line index), or a slice of one of its charges it did not bill (line -1,
// told apart by meter, plan, period start, filter and group).
using AdjustedKey = std::tuple<std::string, int, std::string, std::string, Timestamp, std::optional<std::string>,
                               std::optional<std::string>>;

AdjustedKey LineKey(const std::string& invoice, int line) { return {invoice, line, {}, {}, Timestamp{}, {}, {}}; }

// The key of the slice (`filter`, `group`) of the charge `l` bills (its
// meter, plan and period) on `invoice`, which has no line for that slice.
AdjustedKey UnbilledSliceKey(const std::string& invoice, const InvoiceLine& l, const std::optional<std::string>& filter,
                             const std::optional<std::string>& group) {
  return {invoice, -1, l.meter, l.plan, l.period.start, filter, group};
}

// Adjustment lines already billed on finalized invoices, per adjusted
// quantity, in billing order.
using PriorAdjustments = std::map<AdjustedKey, std::vector<const InvoiceLine*>>;

PriorAdjustments CollectPrior(const std::vector<Invoice>& invoices) {
  PriorAdjustments prior;
  for (const auto& inv : invoices)
    for (const auto& l : inv.lines) {
      if (l.kind != LineKind::kAdjustment || !l.adjusts) continue;
      const AdjustmentRef& a = *l.adjusts;
      prior[a.line < 0 ? UnbilledSliceKey(a.invoice_id, l, l.filter, l.group) : LineKey(a.invoice_id, a.line)].push_back(&l);
    }
  return prior;
}

// Adds the adjustments `prior` holds for `key` to what was billed: `q`
// becomes the quantity last billed, `billed` the amount billed in all.
Status AddPrior(const PriorAdjustments& prior, const AdjustedKey& key, Decimal& q, Decimal& billed) {
  auto it = prior.find(key);
  if (it == prior.end()) return Status::OK();
  for (const InvoiceLine* adj : it->second) {
    q = adj->adjusts->quantity_after;
    METER_ASSIGN_OR_RETURN(billed, billed.Add(adj->amount));
  }
  return Status::OK();
}

// A sliced line's charge: the first sliced charge of the line's plan that
// bills its meter; nullptr when the catalog no longer has one (the line
// cannot be re-measured).
const catalog::Charge* SlicedChargeOf(const catalog::Catalog& c, const InvoiceLine& line) {
  const catalog::Plan* plan = c.FindPlan(line.plan);
  if (!plan) return nullptr;
  for (const auto& ch : plan->charges)
    if (ch.meter == line.meter && usage::IsSliced(ch)) return &ch;
  return nullptr;
}

// One tenant's finalized invoices whose late usage is measured: all of them
// (adjustments already billed count, wherever they are) and which are targets.
struct LateInvoices {
  std::string tenant;
  std::vector<Invoice> invoices;
  std::vector<bool> target;
};

// True when `line` is re-measured: a usage line of a meter still in the catalog.
const catalog::Meter* RemeasuredMeter(const catalog::Catalog& c, const InvoiceLine& line) {
  return line.kind == LineKind::kUsage ? c.FindMeter(line.meter) : nullptr;
}

// The sliced charges to re-measure for late usage, each (tenant, charge,
// period) once however many lines (filters, groups) and invoices ask for it,
// measured together in one usage::MeasureSlices call.
class LateSlices {
 public:
  void Request(const catalog::Catalog& c, const LateInvoices& late) {
    for (size_t i = 0; i < late.invoices.size(); ++i) {
      if (!late.target[i]) continue;
      for (const InvoiceLine& line : late.invoices[i].lines) {
        if (line.events < 0 || !RemeasuredMeter(c, line)) continue;
        const catalog::Charge* ch = SlicedChargeOf(c, line);
        if (!ch) continue;
        if (index_.try_emplace(KeyOf(late.tenant, ch, line.period), requests_.size()).second)
          requests_.push_back({ch, late.tenant, line.period});
      }
    }
  }
  Status Measure(store::Database& db, const catalog::Catalog& c) {
    if (requests_.empty()) return Status::OK();
    METER_ASSIGN_OR_RETURN(measured_, usage::MeasureSlices(db, c, requests_));
    return Status::OK();
  }
  // The quantity `line` of `tenant`'s invoice measures now: its slice of the
  // measured charge; nullopt when the line's charge is gone from the catalog.
  std::optional<Decimal> Now(const catalog::Catalog& c, const std::string& tenant, const InvoiceLine& line) const {
    const catalog::Charge* ch = SlicedChargeOf(c, line);
    if (!ch) return std::nullopt;
    for (const auto& s : Of(tenant, ch, line.period))
      if (FilterName(*ch, s) == line.filter && s.group == line.group && s.events > 0) return s.quantity;
    return Decimal();
  }
  // The slices of `ch` measured now over `tenant`'s `period` (requested).
  const std::vector<usage::UsageSlice>& Of(const std::string& tenant, const catalog::Charge* ch,
                                           const Period& period) const {
    return measured_[index_.at(KeyOf(tenant, ch, period))];
  }
  static std::optional<std::string> FilterName(const catalog::Charge& ch, const usage::UsageSlice& s) {
    if (s.filter < 0) return std::nullopt;
    return ch.filters[s.filter].name;
  }

 private:
  using Key = std::tuple<std::string, const catalog::Charge*, Timestamp, Timestamp>;
  static Key KeyOf(const std::string& tenant, const catalog::Charge* ch, const Period& p) {
    return {tenant, ch, p.start, p.end};
  }
  std::map<Key, size_t> index_;
  std::vector<usage::ChargeSliceRequest> requests_;
  std::vector<std::vector<usage::UsageSlice>> measured_;
};

// The adjustment of `billed` (line `index` of `inv`, -1: an unbilled slice)
// from what was billed for `key` to `current`, appended to `out`.
Status AppendAdjustment(const Invoice& inv, int index, const InvoiceLine& billed, const PriorAdjustments& prior,
                        const AdjustedKey& key, const Decimal& current, std::vector<InvoiceLine>& out) {
  Decimal q = billed.quantity, amount = billed.amount;
  METER_RETURN_IF_ERROR(AddPrior(prior, key, q, amount));
  auto adj = index < 0 ? LateSliceLine(inv, billed, q, amount, current) : LateUsageLine(inv, index, q, amount, current);
  if (!adj.ok())
    return Status::DataError(fmt::format("late usage of {} {}: {}", inv.tenant, inv.period.month, adj.status().message()));
  if (adj->has_value()) out.push_back(std::move(**adj));
  return Status::OK();
}

// Late events in a slice of a sliced charge that `inv` has no line for (a
// filter or group that took no events then, SPEC section 10): each such
// slice measured now, and each billed by an earlier adjustment, is adjusted
// from what its adjustments billed (nothing at first). `first` is the
// charge's first line on `inv`, whose plan and period the slices share.
Status AdjustUnbilledSlices(const catalog::Catalog& c, const Invoice& inv, int first, const catalog::Charge& ch,
                            const PriorAdjustments& prior, const LateSlices& slices, std::vector<InvoiceLine>& out) {
  const InvoiceLine& sibling = inv.lines[first];
  auto same_charge = [&](const InvoiceLine& l) {
    return l.meter == sibling.meter && l.plan == sibling.plan && l.period == sibling.period;
  };
  std::set<std::pair<std::optional<std::string>, std::optional<std::string>>> done;
  for (const InvoiceLine& l : inv.lines)
    if (l.kind == LineKind::kUsage && l.events >= 0 && same_charge(l)) done.insert({l.filter, l.group});
  for (const usage::UsageSlice& s : slices.Of(inv.tenant, &ch, sibling.period)) {
    std::optional<std::string> filter = LateSlices::FilterName(ch, s);
    if (s.events == 0 || !done.insert({filter, s.group}).second) continue;
    AdjustedKey key = UnbilledSliceKey(inv.id, sibling, filter, s.group);
    InvoiceLine unbilled;
    if (auto it = prior.find(key); it != prior.end()) unbilled = *it->second.front();  // the terms it was first billed on
    else { METER_ASSIGN_OR_RETURN(unbilled, UnbilledSliceLine(c, inv, sibling, ch, s)); }
    unbilled.quantity = Decimal();
    unbilled.amount = Decimal();
    METER_RETURN_IF_ERROR(AppendAdjustment(inv, -1, unbilled, prior, key, s.quantity, out));
  }
  // Slices billed by an adjustment that took no events now (all voided).
  for (auto it = prior.lower_bound(UnbilledSliceKey(inv.id, InvoiceLine(), std::nullopt, std::nullopt)); it != prior.end(); ++it) {
    const InvoiceLine& adj = *it->second.front();
    if (std::get<0>(it->first) != inv.id || std::get<1>(it->first) != -1) break;
    if (!same_charge(adj) || !done.insert({adj.filter, adj.group}).second) continue;
    InvoiceLine unbilled = adj;
    unbilled.quantity = Decimal();
    unbilled.amount = Decimal();
    METER_RETURN_IF_ERROR(AppendAdjustment(inv, -1, unbilled, prior, it->first, Decimal(), out));
  }
  return Status::OK();
}

// The adjustment lines for one finalized invoice: each usage line re-measured
// over its own segment (sliced lines, SPEC section 10: a filter's or group's
// line, looked up in `slices`) and compared with what has been billed for it;
// then the slices of its sliced charges it did not bill.
Status AdjustInvoice(store::Database& db, const catalog::Catalog& c, const Invoice& inv,
                     const PriorAdjustments& prior, const LateSlices& slices, std::vector<InvoiceLine>& out) {
  std::vector<std::pair<int, const catalog::Charge*>> sliced;  // each sliced charge's first line
  for (int k = 0; k < static_cast<int>(inv.lines.size()); ++k) {
    const InvoiceLine& line = inv.lines[k];
    const catalog::Meter* m = RemeasuredMeter(c, line);
    if (!m) continue;  // base lines; meters no longer in the catalog cannot be re-measured
    Decimal current;
    if (line.events >= 0) {
      std::optional<Decimal> now = slices.Now(c, inv.tenant, line);
      if (!now) continue;
      current = *now;
      const catalog::Charge* ch = SlicedChargeOf(c, line);
      if (std::none_of(sliced.begin(), sliced.end(), [&](const auto& f) {
            return f.second == ch && inv.lines[f.first].period == line.period;
          }))
        sliced.emplace_back(k, ch);
    } else {
      METER_ASSIGN_OR_RETURN(current, usage::MeterQuantity(db, inv.tenant, *m, line.period));
    }
    METER_RETURN_IF_ERROR(AppendAdjustment(inv, k, line, prior, LineKey(inv.id, k), current, out));
  }
  for (const auto& [first, ch] : sliced)
    METER_RETURN_IF_ERROR(AdjustUnbilledSlices(c, inv, first, *ch, prior, slices, out));
  return Status::OK();
}

// `request`'s finalized invoices; nullopt when none is a target.
Result<std::optional<LateInvoices>> ReadLate(store::Database& db, const LateRequest& request) {
  if (request.candidates && request.candidates->empty()) return std::optional<LateInvoices>();
  METER_ASSIGN_OR_RETURN(auto records, store::InvoiceStore(db).Finalized(request.tenant));
  LateInvoices late{request.tenant, {}, {}};
  for (const auto& r : records)
    late.target.push_back(r.period.start < request.before && r.currency == request.currency &&
                          (!request.candidates || request.candidates->count(r.id)));
  if (std::none_of(late.target.begin(), late.target.end(), [](bool t) { return t; }))
    return std::optional<LateInvoices>();
  for (const auto& r : records) { METER_ASSIGN_OR_RETURN(late.invoices.emplace_back(), InvoiceFromRecord(r)); }
  return std::optional<LateInvoices>(std::move(late));
}

// The adjustment lines of one tenant's late invoices, slices measured.
Result<std::vector<InvoiceLine>> AdjustLate(store::Database& db, const catalog::Catalog& c, const LateInvoices& late,
                                            const LateSlices& slices) {
  std::vector<InvoiceLine> out;
  PriorAdjustments prior = CollectPrior(late.invoices);
  for (size_t i = 0; i < late.invoices.size(); ++i)
    if (late.target[i]) METER_RETURN_IF_ERROR(AdjustInvoice(db, c, late.invoices[i], prior, slices, out));
  return out;
}

// What already exists for one tenant's month.
struct Existing {
  std::optional<store::InvoiceRecord> billing;  // open, paid or overdue
  std::optional<store::InvoiceRecord> draft;
  int voids = 0;
  std::vector<store::InvoiceState> states;  // every record of the tenant's month, as read
};

// Per tenant of `tenants`, in that order (a record of a tenant not among them
// is left out: nothing is built for it).
Result<std::vector<Existing>> ExistingByTenant(store::Database& db, const GenerateOptions& o,
                                               const std::vector<const catalog::Tenant*>& tenants) {
  METER_ASSIGN_OR_RETURN(auto records, store::InvoiceStore(db).ForMonth(o.month, o.tenant));
  std::vector<Existing> out(tenants.size());
  if (records.empty()) return out;
  std::unordered_map<std::string_view, size_t> position;
  position.reserve(tenants.size());
  for (size_t i = 0; i < tenants.size(); ++i) position.emplace(tenants[i]->id, i);
  for (auto& r : records) {
    auto it = position.find(r.tenant);
    if (it == position.end()) continue;
    Existing& e = out[it->second];
    e.states.push_back({r.tenant, r.id, r.status, r.updated_at});
    if (r.status == "void") ++e.voids;
    else if (r.status == "draft") e.draft = std::move(r);
    else e.billing = std::move(r);
  }
  return out;
}

// True when two stored forms of a draft hold the same invoice (their write
// times aside). `a` takes b's write times for the comparison and gets its own
// back after it, so its lines are not copied.
bool SameContent(store::InvoiceRecord& a, const store::InvoiceRecord& b) {
  const auto own = std::tuple(a.created_at, a.updated_at, a.events_seq);
  a.created_at = b.created_at;
  a.updated_at = b.updated_at;
  a.events_seq = b.events_seq;
  const bool same = a == b;
  std::tie(a.created_at, a.updated_at, a.events_seq) = own;
  return same;
}

// A tenant's invoice as the first pass over a batch builds it (reading only),
// with what the second pass writes for it rendered ahead on a thread of its
// own (RenderAhead: functions of the invoice alone).
struct Built {
  std::optional<Invoice> kept;  // a month already finalized, reported as stored
  std::optional<Invoice> inv;   // the draft built; nullopt when kept or not invoiced
  bool finalize = false;        // finalized by this run
  // Rendered ahead (unless dry_run): a new draft's JSON for invoice.created
  // and its text; the draft's row when one is inserted or compared.
  std::optional<nlohmann::json> doc;
  std::string created;
  std::optional<store::InvoiceRecord> record;
  std::exception_ptr error;  // what rendering threw, rethrown where it is written
};

// The rendering of `b` (its tenant's `ex`) that StoreDraft takes.
void Render(const Existing& ex, const GenerateOptions& o, Built& b) {
  if (!b.inv) return;
  Timestamp created_at = ex.draft ? ex.draft->created_at : o.now;
  if (!ex.draft) {
    b.doc = InvoiceToJson(*b.inv);
    b.created = DumpJson(*b.doc);
    if (!b.finalize) b.record = InvoiceToRecord(*b.inv, created_at, o.now);
  } else {
    b.record = InvoiceToRecord(*b.inv, created_at, o.now);
  }
}

// Renders the invoices of a batch (Render) on a thread of its own while the
// first pass builds the next ones: the first pass Publishes how many are
// built, the second waits (WaitFor) until the one it writes is rendered.
// Off (dry_run): no thread, nothing rendered.
class RenderAhead {
 public:
  RenderAhead(std::vector<Built>& items, const std::vector<Existing>& existing, size_t from,
              const GenerateOptions& o, bool on)
      : items_(items), existing_(existing), from_(from), o_(o), on_(on) {
    if (on_) thread_ = std::thread([this] { Run(); });
  }
  ~RenderAhead() {
    Close();
    if (thread_.joinable()) thread_.join();
  }
  RenderAhead(const RenderAhead&) = delete;
  RenderAhead& operator=(const RenderAhead&) = delete;

  // The first `n` items are built.
  void Publish(size_t n) {
    if (!on_) return;
    built_.store(n, std::memory_order_release);
    Signal();
  }
  // No more items will be built.
  void Close() {
    if (!on_ || closed_.load(std::memory_order_relaxed)) return;
    closed_.store(true, std::memory_order_release);
    Signal();
  }
  // Waits until the first `n` items are rendered.
  void WaitFor(size_t n) {
    if (!on_) return;
    for (size_t r; (r = rendered_.load(std::memory_order_acquire)) < n;) rendered_.wait(r, std::memory_order_acquire);
  }

 private:
  void Signal() {
    signal_.fetch_add(1, std::memory_order_release);
    signal_.notify_one();
  }
  void Run() {
    for (size_t j = 0;; ++j) {
      for (;;) {
        uint64_t seen = signal_.load(std::memory_order_acquire);
        if (built_.load(std::memory_order_acquire) > j) break;
        if (closed_.load(std::memory_order_acquire)) return;
        signal_.wait(seen, std::memory_order_acquire);
      }
      try {
        Render(existing_[from_ + j], o_, items_[j]);
      } catch (...) {
        items_[j].error = std::current_exception();
      }
      rendered_.store(j + 1, std::memory_order_release);
      rendered_.notify_one();
    }
  }

  std::vector<Built>& items_;
  const std::vector<Existing>& existing_;
  size_t from_;
  const GenerateOptions& o_;
  bool on_;
  std::atomic<size_t> built_{0}, rendered_{0};
  std::atomic<uint64_t> signal_{0};
  std::atomic<bool> closed_{false};
  std::thread thread_;
};

// Writes the freshly built draft `b` (insert or refresh), then finalizes it
// when asked; a draft finalized at once is written once, already finalized.
// Runs inside generate's transaction.
Status StoreDraft(store::Database& db, webhooks::Outbox& outbox, const catalog::Catalog& c, Built& b,
                  const Existing& ex, const GenerateOptions& o, std::optional<int64_t> events_seq,
                  GenerateResult& res) {
  store::InvoiceStore invoices(db);
  Invoice& inv = *b.inv;
  if (o.finalize && !b.finalize) ++res.not_ended;
  Timestamp created_at = ex.draft ? ex.draft->created_at : o.now;
  std::optional<nlohmann::json> lines;  // a new draft finalized at once: rendered once for both messages
  const store::InvoiceRecord* current = nullptr;  // the stored draft, when it holds this content already
  if (!ex.draft) {
    if (!b.finalize) METER_RETURN_IF_ERROR(invoices.Insert(*b.record));
    METER_RETURN_IF_ERROR(outbox.Enqueue("invoice.created", inv.tenant, b.created, o.now).status());
    if (b.finalize) lines = std::move((*b.doc)["lines"]);
    ++res.created;
  } else if (!SameContent(*b.record, *ex.draft)) {
    if (!b.finalize) METER_RETURN_IF_ERROR(invoices.Update(*b.record));
    ++res.refreshed;
  } else {
    current = &*ex.draft;
    ++res.unchanged;
  }
  if (!b.finalize) return Status::OK();
  METER_RETURN_IF_ERROR(
      FinalizeBuilt(db, outbox, c, inv, created_at, o.now, ex.draft.has_value(), std::move(lines), current, events_seq));
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

// Builds `t`'s invoice into `out` (reads only). `planned`: the tenant's month
// from PlanMonth and MeasureAhead; nullopt when it was not planned ahead
// (planned now). `adjustments`: its late usage lines when measured ahead, as
// DraftFrom takes them.
Status BuildForTenant(store::Database& db, const catalog::Catalog& c, const catalog::Tenant& t, const Existing& ex,
                      std::optional<MonthPlan> planned, const std::set<std::string>* candidates,
                      std::optional<Result<std::vector<InvoiceLine>>> adjustments, bool suspended,
                      const GenerateOptions& o, Built& out) {
  if (ex.billing) {
    METER_ASSIGN_OR_RETURN(Invoice kept, InvoiceFromRecord(*ex.billing));
    out.kept = std::move(kept);
    return Status::OK();
  }
  std::string id = ex.draft ? ex.draft->id : DraftId(t.id, o.month, ex.voids + 1);
  if (!planned) { METER_ASSIGN_OR_RETURN(planned, PlanMonth(db, c, t, o.month, nullptr)); }
  METER_ASSIGN_OR_RETURN(Invoice inv, DraftFrom(db, c, t, std::move(*planned), id, candidates, std::move(adjustments)));
  if ((suspended || StartsAfter(t, inv)) && !ex.draft && !HasUsage(inv)) return Status::OK();
  out.finalize = o.finalize && (!o.finalize_ended_only || inv.period.period.end <= o.now);
  out.inv = std::move(inv);
  return Status::OK();
}

// Refuses to write the batch [from, to) of `tenants` when another command
// wrote any of their invoices of the month since the first batch read them
// (`existing`): what was built from that read would overwrite its work. The
// batches before are committed; generate run again finishes the month.
Status CheckUnchanged(store::Database& db, const GenerateOptions& o,
                      const std::vector<const catalog::Tenant*>& tenants, const std::vector<Existing>& existing,
                      size_t from, size_t to) {
  METER_ASSIGN_OR_RETURN(auto now, store::InvoiceStore(db).StatesForMonth(o.month, tenants[from]->id, tenants[to - 1]->id));
  std::unordered_set<std::string_view> batch;
  std::vector<store::InvoiceState> read;
  for (size_t i = from; i < to; ++i) {
    batch.insert(tenants[i]->id);
    read.insert(read.end(), existing[i].states.begin(), existing[i].states.end());
  }
  std::erase_if(now, [&](const store::InvoiceState& s) { return !batch.count(s.tenant); });
  std::sort(now.begin(), now.end());
  std::sort(read.begin(), read.end());
  if (now == read) return Status::OK();
  return Status::Busy(fmt::format(
      "invoices of {} for {} changed while generate ran (another command wrote them); the invoices of the tenants "
      "before {} are written: run generate again to finish", tenants[from]->id == tenants[to - 1]->id ? tenants[from]->id :
      fmt::format("tenants {} to {}", tenants[from]->id, tenants[to - 1]->id), o.month, tenants[from]->id));
}

}  // namespace

Result<InvoiceInputs> ReadInvoiceInputs(store::Database& db, const catalog::Catalog& catalog,
                                        const catalog::Tenant& tenant, std::string_view month,
                                        const catalog::Plan* plan_override) {
  METER_ASSIGN_OR_RETURN(MonthPlan mp, PlanMonth(db, catalog, tenant, month, plan_override));
  return ReadInputs(db, catalog, tenant, std::move(mp), plan_override);
}

Result<std::vector<Result<std::vector<InvoiceLine>>>> LateUsageAdjustments(store::Database& db,
                                                                           const catalog::Catalog& catalog,
                                                                           const std::vector<LateRequest>& requests) {
  std::vector<Result<std::optional<LateInvoices>>> late;
  late.reserve(requests.size());
  LateSlices slices;
  for (const LateRequest& r : requests) {
    late.push_back(ReadLate(db, r));
    if (late.back().ok() && *late.back()) slices.Request(catalog, **late.back());
  }
  METER_RETURN_IF_ERROR(slices.Measure(db, catalog));
  std::vector<Result<std::vector<InvoiceLine>>> out;
  out.reserve(requests.size());
  for (auto& l : late) {
    if (!l.ok()) out.push_back(l.status());
    else if (!*l) out.push_back(std::vector<InvoiceLine>());
    else out.push_back(AdjustLate(db, catalog, **l, slices));
  }
  return out;
}

Result<std::vector<InvoiceLine>> LateUsageAdjustments(store::Database& db, const catalog::Catalog& catalog,
                                                      const std::string& tenant, const std::string& currency,
                                                      Timestamp before, const std::set<std::string>* candidates) {
  LateRequest request;
  request.tenant = tenant;
  request.currency = currency;
  request.before = before;
  request.candidates = candidates;
  METER_ASSIGN_OR_RETURN(auto out, LateUsageAdjustments(db, catalog, {request}));
  return std::move(out.front());
}

Result<Invoice> BuildDraft(store::Database& db, const catalog::Catalog& catalog, const catalog::Tenant& tenant,
                           std::string_view month, const std::string& id, const std::set<std::string>* candidates) {
  METER_ASSIGN_OR_RETURN(MonthPlan mp, PlanMonth(db, catalog, tenant, month, nullptr));
  return DraftFrom(db, catalog, tenant, std::move(mp), id, candidates, std::nullopt);
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
  // What every tenant's invoice is built from, read once, in the first
  // transaction (`prepare`).
  std::vector<Existing> existing;
  std::set<std::string> suspended;
  std::vector<std::optional<MonthPlan>> plans;
  std::map<std::string, std::set<std::string>> late;
  std::vector<std::optional<Result<std::vector<InvoiceLine>>>> adjustments;
  // With finalize: the event high-water mark every invoice records, read
  // before any usage. Invoices written by later transactions may count events
  // recorded after it; those are re-measured with the late usage of the next
  // invoice, which bills only a difference from what was billed (none).
  std::optional<int64_t> events_seq;
  const std::set<std::string> none;
  auto candidates_of = [&](const catalog::Tenant& t) -> const std::set<std::string>* {
    if (!o.tenant.empty()) return nullptr;
    auto it = late.find(t.id);
    return it == late.end() ? &none : &it->second;
  };
  ProgressSink& progress = o.progress ? *o.progress : NoProgress();
  auto prepare = [&]() -> Status {
    if (o.finalize) { METER_ASSIGN_OR_RETURN(events_seq, store::InvoiceStore(db).MaxEventSeq()); }
    METER_ASSIGN_OR_RETURN(existing, ExistingByTenant(db, o, tenants));
    METER_ASSIGN_OR_RETURN(suspended, store::InvoiceStore(db).SuspendedTenants());
    // Every month to build is planned first, so the sliced charges of all
    // tenants are measured together (MeasureAhead); a tenant that cannot be
    // planned stops the planning, and its error is met in tenant order below.
    plans.resize(tenants.size());
    for (size_t i = 0; i < tenants.size(); ++i) {
      if (existing[i].billing) continue;
      auto mp = PlanMonth(db, catalog, *tenants[i], o.month, nullptr);
      if (!mp.ok()) break;
      plans[i] = std::move(mp).value();
    }
    METER_RETURN_IF_ERROR(MeasureAhead(db, catalog, tenants, plans));
    // Across all tenants, only invoices with events recorded after their
    // finalization are re-measured; a single tenant re-measures all of its.
    // Each tenant's earlier periods end by the start of the period being
    // built, which for a billing-day tenant is days into the month (its
    // previous period ends on the 15th, say), so the candidates are read up
    // to the latest such start; ReadLate keeps each tenant's own.
    if (o.tenant.empty()) {
      Timestamp before = utc.period.start;
      for (const auto& mp : plans)
        if (mp) before = std::max(before, mp->schedule.period.period.start);
      METER_ASSIGN_OR_RETURN(late, store::InvoiceStore(db).WithLateEvents(before));
    }
    // So are the late usage adjustments of every planned month (one
    // MeasureSlices call for all of their sliced lines); each tenant's
    // result, or error, is taken in tenant order below.
    std::vector<LateRequest> late_requests;
    std::vector<size_t> late_of;  // tenant index of each request
    for (size_t i = 0; i < tenants.size(); ++i) {
      const std::set<std::string>* candidates = candidates_of(*tenants[i]);
      if (!plans[i] || (candidates && candidates->empty())) continue;
      LateRequest& request = late_requests.emplace_back();
      request.tenant = tenants[i]->id;
      request.currency = MonthCurrency(catalog, *plans[i]);
      request.before = plans[i]->schedule.period.period.start;
      request.candidates = candidates;
      late_of.push_back(i);
    }
    adjustments.resize(tenants.size());
    for (size_t i = 0; i < tenants.size(); ++i)
      if (plans[i]) adjustments[i] = std::vector<InvoiceLine>();
    METER_ASSIGN_OR_RETURN(auto measured, LateUsageAdjustments(db, catalog, late_requests));
    for (size_t r = 0; r < measured.size(); ++r) adjustments[late_of[r]] = std::move(measured[r]);
    progress.Begin("invoices " + o.month, tenants.size(), "tenants");
    return Status::OK();
  };
  // Builds and (unless dry_run) writes the invoices of tenants [from, to):
  // all of them built first (reads only), rendered meanwhile on a second
  // thread, then written in tenant order.
  auto build = [&](size_t from, size_t to) -> Status {
    std::vector<Built> built(to - from);
    RenderAhead ahead(built, existing, from, o, !o.dry_run && to > from);
    for (size_t i = from; i < to; ++i) {
      const catalog::Tenant* t = tenants[i];
      METER_RETURN_IF_ERROR(BuildForTenant(db, catalog, *t, existing[i], std::move(plans[i]), candidates_of(*t),
                                           std::move(adjustments[i]), suspended.count(t->id) > 0, o,
                                           built[i - from]));
      ahead.Publish(i - from + 1);
      if (o.dry_run) progress.Update(i + 1);  // nothing to write: done once built
    }
    ahead.Close();
    webhooks::Outbox outbox(db);
    for (size_t i = from; i < to; ++i) {
      Built& b = built[i - from];
      ahead.WaitFor(i - from + 1);
      if (b.error) std::rethrow_exception(b.error);
      if (b.kept) {
        res.invoices.push_back(std::move(*b.kept));
        ++res.kept;
      } else if (b.inv) {
        if (!o.dry_run) METER_RETURN_IF_ERROR(StoreDraft(db, outbox, catalog, b, existing[i], o, events_seq, res));
        res.invoices.push_back(std::move(*b.inv));
      }
      if (!o.dry_run) progress.Update(i + 1);
    }
    return Status::OK();
  };
  if (o.dry_run) {
    Status st = db.Read([&]() -> Status {
      METER_RETURN_IF_ERROR(prepare());
      return build(0, tenants.size());
    });
    if (!st.ok()) return st;
    progress.End();
    return res;
  }
  // Written in transactions of o.batch_tenants tenants: each invoice, with
  // its number, balances and messages, is written whole or not at all, and a
  // run stopped between two commits is finished by running it again. Each
  // commit is copied into the database file by a BackgroundCheckpointer while
  // the next batch is built, and the default batch's pages fit SQLite's page
  // cache (no spilling into the log mid-transaction).
  const size_t batch = o.batch_tenants ? o.batch_tenants : std::max<size_t>(tenants.size(), 1);
  const bool batched = tenants.size() > batch;
  std::optional<store::BackgroundCheckpointer> checkpointer;
  if (batched) {
    METER_RETURN_IF_ERROR(store::InvoiceStore(db).SetLongRun(true));
    checkpointer.emplace(db);
  }
  Status st;
  size_t done = 0;
  do {
    size_t to = std::min(tenants.size(), done + batch);
    st = db.Transaction([&]() -> Status {
      if (done == 0) { METER_RETURN_IF_ERROR(prepare()); }
      else { METER_RETURN_IF_ERROR(CheckUnchanged(db, o, tenants, existing, done, to)); }
      return build(done, to);
    });
    if (!st.ok()) break;
    if (checkpointer) checkpointer->Committed();
    done = to;
  } while (done < tenants.size());
  checkpointer.reset();  // copies what the last commits wrote
  if (batched) {
    Status restored = store::InvoiceStore(db).SetLongRun(false);
    if (st.ok()) st = restored;
  }
  if (!st.ok()) return st;
  progress.End();
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
