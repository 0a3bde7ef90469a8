#include "billing/lifecycle.h"

#include <fmt/format.h>

#include "billing/credits.h"
#include "billing/generate.h"
#include "billing/invoice_record.h"
#include "core/json_util.h"
#include "store/catalog_store.h"
#include "store/coupon_store.h"
#include "store/credit_note_store.h"
#include "webhooks/queue.h"

namespace meter::billing {
namespace {

// How an invoice is named in messages: its number once it has one.
std::string Label(const store::InvoiceRecord& r) { return r.number.empty() ? r.id : r.number; }

// Runs `step` on the invoice `id` inside one transaction and returns the
// invoice as stored afterwards.
Result<Invoice> Transition(store::Database& db, const std::string& id,
                           const std::function<Status(store::InvoiceRecord&, Invoice&)>& step) {
  Invoice out;
  Status st = db.Transaction([&]() -> Status {
    METER_ASSIGN_OR_RETURN(store::InvoiceRecord rec, store::InvoiceStore(db).Find(id));
    METER_ASSIGN_OR_RETURN(out, InvoiceFromRecord(rec));
    return step(rec, out);
  });
  if (!st.ok()) return st;
  return out;
}

// Paying and voiding apply to open and overdue invoices only; `verb` is the
// status the step leads to ("paid", "void").
Status RequireBilling(const store::InvoiceRecord& r, const std::string& verb) {
  if (r.status == "open" || r.status == "overdue") return Status::OK();
  if (r.status == verb) return Status::Denied(fmt::format("invoice {} is already {}", Label(r), verb));
  if (r.status == "draft")
    return Status::Denied(fmt::format("invoice {} is a draft; finalize it before it can be {}", r.id,
                                      verb == "void" ? "voided" : verb));
  return Status::Denied(fmt::format("invoice {} is {}; a {} invoice cannot be {}", Label(r), r.status, r.status,
                                    verb == "void" ? "voided" : verb));
}

// A prepaid credit grant made by the finalization of `inv` (source
// "invoice"), under `id` so finalizing again grants nothing more.
Status GrantFromInvoice(store::Database& db, const catalog::Catalog& catalog, const Invoice& inv,
                        const Decimal& amount, const std::string& currency, std::string id, std::string reason,
                        Timestamp now) {
  GrantRequest g;
  g.tenant = inv.tenant;
  g.amount = amount;
  g.reason = std::move(reason);
  g.id = std::move(id);
  g.source = "invoice";
  g.currency = currency;
  return GrantCredit(db, catalog, g, now).status();
}

// SPEC 11 at finalization: records what each coupon that met the invoice
// took off (so `once` coupons are used), draws prepaid credits against the
// total, and marks an invoice with nothing left to pay paid.
Status ApplyBalances(store::Database& db, const catalog::Catalog& catalog, Invoice& inv, Timestamp now) {
  store::CouponStore coupons(db);
  for (int64_t position : inv.coupons_met) {
    Decimal taken;
    for (const auto& d : inv.discounts)
      if (d.position == position) taken = d.amount;
    METER_RETURN_IF_ERROR(coupons.InsertRedemption({inv.id, inv.tenant, position, taken}));
  }
  METER_ASSIGN_OR_RETURN(inv.credits_applied, DrawCredits(db, catalog, inv.tenant, inv.currency, inv.total, inv.id, inv.number, now));
  METER_ASSIGN_OR_RETURN(inv.amount_due, inv.total.Sub(inv.credits_applied));
  if (inv.amount_due.IsZero()) {
    inv.status = "paid";
    inv.paid_at = now;
  }
  // SPEC 10: lines adding up to less than zero become a prepaid credit grant,
  // with the invoice's number as its reason (drawn from the next invoices), in
  // the invoice's currency.
  if (!inv.carried_credit.IsZero())
    METER_RETURN_IF_ERROR(GrantFromInvoice(db, catalog, inv, inv.carried_credit, inv.currency,
                                           CarriedCreditId(inv.number), inv.number, now));
  // An annual credit in another currency: a grant in its own (README).
  if (const auto& h = inv.held_credit)
    METER_RETURN_IF_ERROR(GrantFromInvoice(db, catalog, inv, h->amount, h->currency,
                                           CarriedCreditId(inv.number) + "_" + h->currency,
                                           fmt::format("{}: {}", inv.number, h->description), now));
  return Status::OK();
}

// What InvoiceStore::UpdateLifecycle writes for `inv` over its stored row
// `old`: the lifecycle fields and attributes of `inv`, written `now`, with
// the event high-water mark `events_seq`.
store::InvoiceRecord LifecycleRecord(const Invoice& inv, const store::InvoiceRecord& old, int64_t events_seq,
                                     Timestamp now) {
  store::InvoiceRecord rec;
  rec.id = old.id;
  rec.number = inv.number;
  rec.status = inv.status;
  rec.finalized_at = inv.finalized_at;
  rec.paid_at = inv.paid_at;
  rec.voided_at = inv.voided_at;
  rec.void_reason = inv.void_reason;
  rec.events_seq = events_seq;
  rec.attributes = InvoiceAttributesText(inv);
  rec.updated_at = now;
  return rec;
}

}  // namespace

Status SaveTransition(store::Database& db, const Invoice& inv, const store::InvoiceRecord& old,
                      const std::string& type, Timestamp now) {
  METER_RETURN_IF_ERROR(store::InvoiceStore(db).UpdateLifecycle(LifecycleRecord(inv, old, old.events_seq, now)));
  if (type.empty()) return Status::OK();
  return webhooks::Enqueue(db, type, inv.tenant, InvoiceToJson(inv), now).status();
}

Result<Invoice> GetInvoice(store::Database& db, const std::string& id) {
  METER_ASSIGN_OR_RETURN(store::InvoiceRecord rec, store::InvoiceStore(db).Find(id));
  return InvoiceFromRecord(rec);
}

Result<std::vector<Invoice>> ListInvoices(store::Database& db, const store::InvoiceFilter& filter) {
  METER_ASSIGN_OR_RETURN(auto records, store::InvoiceStore(db).List(filter));
  std::vector<Invoice> out;
  for (const auto& r : records) { METER_ASSIGN_OR_RETURN(out.emplace_back(), InvoiceFromRecord(r)); }
  return out;
}

Status FinalizeBuilt(store::Database& db, webhooks::Outbox& outbox, const catalog::Catalog& catalog, Invoice& inv,
                     Timestamp created_at, Timestamp now, bool stored, std::optional<nlohmann::json> lines,
                     const store::InvoiceRecord* current, std::optional<int64_t> events_seq) {
  store::InvoiceStore invoices(db);
  int year = std::stoi(inv.issue_date.substr(0, 4));
  const std::string& prefix = catalog.invoice.number_prefix;
  METER_ASSIGN_OR_RETURN(int64_t n, invoices.TakeNumber(prefix, year));
  inv.number = fmt::format("{}{}-{:06}", prefix, year, n);
  inv.status = "open";
  inv.finalized_at = now;
  METER_RETURN_IF_ERROR(ApplyBalances(db, catalog, inv, now));
  if (!events_seq) { METER_ASSIGN_OR_RETURN(events_seq, invoices.MaxEventSeq()); }
  if (current) {
    METER_RETURN_IF_ERROR(invoices.UpdateLifecycle(LifecycleRecord(inv, *current, *events_seq, now)));
  } else {
    store::InvoiceRecord rec = InvoiceToRecord(inv, created_at, now);
    rec.events_seq = *events_seq;
    METER_RETURN_IF_ERROR(stored ? invoices.Update(rec) : invoices.Insert(rec));
  }
  std::string data = DumpJson(lines ? InvoiceToJson(inv, std::move(*lines)) : InvoiceToJson(inv));
  METER_RETURN_IF_ERROR(outbox.Enqueue("invoice.finalized", inv.tenant, data, now).status());
  if (inv.status == "paid") return outbox.Enqueue("invoice.paid", inv.tenant, data, now).status();
  return Status::OK();
}

Result<Invoice> FinalizeInvoice(store::Database& db, const std::string& id, Timestamp now) {
  return Transition(db, id, [&](store::InvoiceRecord& rec, Invoice& inv) -> Status {
    if (rec.status != "draft")
      return Status::Denied(fmt::format("invoice {} is already finalized (status {}); finalized invoices never change",
                                        Label(rec), rec.status));
    METER_ASSIGN_OR_RETURN(catalog::Catalog c, store::CatalogStore(db).Load(now));
    auto t = std::find_if(c.tenants.begin(), c.tenants.end(), [&](const auto& x) { return x.id == rec.tenant; });
    if (t == c.tenants.end()) return Status::NotFound(fmt::format("unknown tenant '{}'", rec.tenant));
    METER_ASSIGN_OR_RETURN(inv, BuildDraft(db, c, *t, rec.month, rec.id));
    webhooks::Outbox outbox(db);
    return FinalizeBuilt(db, outbox, c, inv, rec.created_at, now, true);
  });
}

Result<Invoice> MarkPaid(store::Database& db, const std::string& id, Timestamp paid_at, Timestamp now) {
  return Transition(db, id, [&](store::InvoiceRecord& rec, Invoice& inv) -> Status {
    METER_RETURN_IF_ERROR(RequireBilling(rec, "paid"));
    inv.status = "paid";
    inv.paid_at = paid_at;
    inv.amount_due = Decimal();
    return SaveTransition(db, inv, rec, "invoice.paid", now);
  });
}

Result<Invoice> VoidInvoice(store::Database& db, const std::string& id, const std::string& reason, Timestamp now) {
  if (reason.empty()) return Status::InvalidArgument("void needs --reason saying why the invoice is cancelled");
  return Transition(db, id, [&](store::InvoiceRecord& rec, Invoice& inv) -> Status {
    if (rec.status == "draft")
      return Status::Denied(fmt::format("invoice {} is a draft; drafts are not voided (delete it with "
                                        "'meter invoice delete {}' or let generate refresh it)", rec.id, rec.id));
    METER_RETURN_IF_ERROR(RequireBilling(rec, "void"));
    METER_ASSIGN_OR_RETURN(auto notes, store::CreditNoteStore(db).ForInvoice(rec.id));
    if (!notes.empty())
      return Status::Denied(fmt::format("invoice {} has credit note {}; an invoice with credit notes cannot be voided",
                                        Label(rec), notes.front().number));
    METER_RETURN_IF_ERROR(ReturnDraws(db, rec.id, Label(rec), now));
    inv.status = "void";
    inv.voided_at = now;
    inv.void_reason = reason;
    return SaveTransition(db, inv, rec, "invoice.voided", now);
  });
}

Result<std::vector<Invoice>> SweepOverdue(store::Database& db, Timestamp now) {
  std::vector<Invoice> out;
  Status st = db.Transaction([&]() -> Status {
    METER_ASSIGN_OR_RETURN(auto due, store::InvoiceStore(db).OpenDueBefore(DayOf(now).start));
    for (const auto& rec : due) {
      METER_ASSIGN_OR_RETURN(Invoice inv, InvoiceFromRecord(rec));
      inv.status = "overdue";
      METER_RETURN_IF_ERROR(SaveTransition(db, inv, rec, "invoice.overdue", now));
      out.push_back(std::move(inv));
    }
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Status DeleteDraft(store::Database& db, const std::string& id) {
  return db.Transaction([&]() -> Status {
    store::InvoiceStore invoices(db);
    METER_ASSIGN_OR_RETURN(store::InvoiceRecord rec, invoices.Find(id));
    if (rec.status != "draft")
      return Status::Denied(fmt::format("invoice {} is {}; only drafts can be deleted (void it instead)", Label(rec),
                                        rec.status));
    return invoices.Delete(rec.id);
  });
}

}  // namespace meter::billing
