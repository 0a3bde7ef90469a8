#include "billing/credit_notes.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

#include "billing/credits.h"
#include "billing/format.h"
#include "core/json_util.h"
#include "billing/generate.h"
#include "billing/invoice_record.h"
#include "billing/lifecycle.h"
#include "core/money.h"
#include "store/catalog_store.h"
#include "store/credit_note_store.h"
#include "store/invoice_store.h"
#include "webhooks/queue.h"

namespace meter::billing {
namespace {

using nlohmann::json;

std::string LinesJson(const std::vector<CreditNoteLine>& lines, const std::string& currency) {
  json out = json::array();
  for (const auto& l : lines)
    out.push_back({{"line", l.line}, {"description", l.description}, {"amount", MoneyString(l.amount, currency)}});
  return DumpJson(out);
}

// The note as stored, with what it credits `lines` and the invoice `inv`
// it was issued against.
CreditNote NoteFrom(const store::CreditNoteRecord& r, std::vector<CreditNoteLine> lines, const Invoice& inv) {
  return {r.number, r.invoice_id, inv.number, r.tenant, r.currency, std::move(lines), r.amount, inv.tax_rate, r.tax,
          r.total, r.reason, r.refunded, r.grant_id, r.created_at};
}

Result<CreditNote> FromRecord(store::Database& db, const store::CreditNoteRecord& r) {
  json stored = json::parse(r.lines, nullptr, false);
  if (!stored.is_array()) return Status::DataError(fmt::format("credit note {}: stored lines are not JSON", r.number));
  std::vector<CreditNoteLine> lines;
  for (const auto& l : stored) {
    auto amount = Decimal::Parse(l.value("amount", "0"));
    if (!amount.ok()) return amount.status().WithContext("credit note " + r.number);
    lines.push_back({l.value("line", 0), l.value("description", ""), *amount});
  }
  METER_ASSIGN_OR_RETURN(store::InvoiceRecord rec, store::InvoiceStore(db).Find(r.invoice_id));
  METER_ASSIGN_OR_RETURN(Invoice inv, InvoiceFromRecord(rec));
  return NoteFrom(r, std::move(lines), inv);
}

// Refuses a request that is not exactly one of --amount and --line.
Status CheckRequest(const CreditNoteRequest& r) {
  if (r.reason.empty()) return Status::InvalidArgument("invoice credit needs --reason saying why");
  if (r.amount.has_value() == !r.lines.empty())
    return Status::InvalidArgument("invoice credit takes either --amount A or --line N (one or more), not both");
  return Status::OK();
}

Status CheckCreditable(const store::InvoiceRecord& rec) {
  if (rec.status == "open" || rec.status == "overdue" || rec.status == "paid") return Status::OK();
  if (rec.status == "draft")
    return Status::Denied(fmt::format("invoice {} is a draft; only finalized invoices get credit notes", rec.id));
  return Status::Denied(fmt::format("invoice {} is {}; a {} invoice cannot be credited", rec.number, rec.status,
                                    rec.status));
}

// What the note does to the invoice: lowers the amount due (0 -> paid); the
// rest of its total is returned as the excess to grant or refund.
Result<Decimal> Settle(Invoice& inv, const Decimal& total, Timestamp now) {
  if (inv.status == "paid") return total;
  Decimal reduce = std::min(total, inv.amount_due);
  METER_ASSIGN_OR_RETURN(inv.amount_due, inv.amount_due.Sub(reduce));
  if (inv.amount_due.IsZero()) {
    inv.status = "paid";
    inv.paid_at = now;
  }
  return total.Sub(reduce);
}

Status Issue(store::Database& db, const CreditNoteRequest& r, Timestamp now, CreditNote& n) {
  store::InvoiceStore invoices(db);
  METER_ASSIGN_OR_RETURN(store::InvoiceRecord rec, invoices.Find(r.invoice));
  METER_RETURN_IF_ERROR(CheckCreditable(rec));
  METER_ASSIGN_OR_RETURN(Invoice inv, InvoiceFromRecord(rec));
  METER_ASSIGN_OR_RETURN(auto lines, r.amount ? SpreadAmount(inv, *r.amount) : CreditWholeLines(inv, r.lines));
  store::CreditNoteRecord note;
  for (const auto& l : lines) { METER_ASSIGN_OR_RETURN(note.amount, note.amount.Add(l.amount)); }
  METER_ASSIGN_OR_RETURN(Decimal tax, note.amount.Mul(inv.tax_rate));
  METER_ASSIGN_OR_RETURN(note.tax, RoundToMinor(tax, inv.currency));
  METER_ASSIGN_OR_RETURN(note.total, note.amount.Add(note.tax));
  Decimal credited = note.total;
  for (const auto& prior : inv.credit_notes) { METER_ASSIGN_OR_RETURN(credited, credited.Add(prior.total)); }
  if (credited > inv.total)
    return Status::Denied(fmt::format("credit notes of invoice {} would total {} {}, above its total {}", rec.number,
                                      inv.currency, MoneyString(credited, inv.currency), MoneyString(inv.total, inv.currency)));
  METER_ASSIGN_OR_RETURN(catalog::Catalog c, store::CatalogStore(db).LoadForTenant(inv.tenant, now));
  std::string year = FormatDate(now).substr(0, 4);
  METER_ASSIGN_OR_RETURN(int64_t seq, store::CreditNoteStore(db).TakeNumber(c.invoice.credit_note_prefix, std::stoi(year)));
  note.number = fmt::format("{}{}-{:06}", c.invoice.credit_note_prefix, year, seq);
  note.invoice_id = rec.id;
  note.tenant = inv.tenant;
  note.currency = inv.currency;
  note.reason = r.reason;
  note.refunded = r.refund;
  note.created_at = now;
  note.lines = LinesJson(lines, inv.currency);
  bool was_paid = inv.status == "paid";
  METER_ASSIGN_OR_RETURN(Decimal excess, Settle(inv, note.total, now));
  if (!excess.IsZero() && !r.refund) {
    GrantRequest g;
    g.tenant = inv.tenant;
    g.amount = excess;
    g.reason = note.number;
    g.source = "credit_note";
    g.currency = inv.currency;
    METER_ASSIGN_OR_RETURN(store::CreditGrantRecord grant, GrantCredit(db, c, g, now));
    note.grant_id = grant.id;
  }
  inv.credit_notes.push_back({note.number, note.total});
  METER_RETURN_IF_ERROR(SaveTransition(db, inv, rec, !was_paid && inv.status == "paid" ? "invoice.paid" : "", now));
  METER_RETURN_IF_ERROR(store::CreditNoteStore(db).Insert(note));
  n = NoteFrom(note, std::move(lines), inv);
  return webhooks::Enqueue(db, "credit_note.created", n.tenant, CreditNoteToJson(n), now).status();
}

}  // namespace

Result<std::vector<CreditNoteLine>> SpreadAmount(const Invoice& inv, const Decimal& amount) {
  if (amount.IsNegative() || amount.IsZero())
    return Status::InvalidArgument(fmt::format("--amount must be greater than zero, got {}", amount.ToString()));
  // The shares add up to it in whole minor units.
  METER_RETURN_IF_ERROR(RequireMinorUnit(amount, inv.currency).status());
  std::vector<CreditNoteLine> out;
  Decimal positive;
  for (size_t i = 0; i < inv.lines.size(); ++i) {
    const InvoiceLine& l = inv.lines[i];
    if (l.amount.IsNegative() || l.amount.IsZero()) continue;
    out.push_back({static_cast<int>(i + 1), l.description, l.amount});
    METER_ASSIGN_OR_RETURN(positive, positive.Add(l.amount));
  }
  if (out.empty()) return Status::Denied(fmt::format("invoice {} has no line with a positive amount to credit", inv.number));
  Decimal given;
  for (size_t i = 0; i + 1 < out.size(); ++i) {
    METER_ASSIGN_OR_RETURN(out[i].amount, amount.MulDiv(out[i].amount, positive, MinorUnitDigits(inv.currency),
                                                        Rounding::kHalfAwayFromZero));
    METER_ASSIGN_OR_RETURN(given, given.Add(out[i].amount));
  }
  METER_ASSIGN_OR_RETURN(out.back().amount, amount.Sub(given));
  return out;
}

Result<std::vector<CreditNoteLine>> CreditWholeLines(const Invoice& inv, const std::vector<int>& lines) {
  std::vector<CreditNoteLine> out;
  std::set<int> seen;
  for (int n : lines) {
    if (n < 1 || n > static_cast<int>(inv.lines.size()))
      return Status::InvalidArgument(fmt::format("--line {}: invoice {} has lines 1 to {}", n, inv.number, inv.lines.size()));
    if (!seen.insert(n).second) return Status::InvalidArgument(fmt::format("--line {} is given twice", n));
    const InvoiceLine& l = inv.lines[n - 1];
    if (l.amount.IsNegative() || l.amount.IsZero())
      return Status::InvalidArgument(fmt::format("--line {} ({}) has no positive amount to credit", n, l.description));
    out.push_back({n, l.description, l.amount});
  }
  return out;
}

Result<CreditNote> IssueCreditNote(store::Database& db, const CreditNoteRequest& r, Timestamp now) {
  METER_RETURN_IF_ERROR(CheckRequest(r));
  CreditNote n;
  Status st = db.Transaction([&]() -> Status { return Issue(db, r, now, n); });
  if (!st.ok()) return st;
  return n;
}

Result<std::vector<CreditNote>> ListCreditNotes(store::Database& db, const std::string& tenant) {
  METER_ASSIGN_OR_RETURN(auto records, store::CreditNoteStore(db).List(tenant));
  std::vector<CreditNote> out;
  for (const auto& r : records) { METER_ASSIGN_OR_RETURN(out.emplace_back(), FromRecord(db, r)); }
  return out;
}

Result<CreditNote> GetCreditNote(store::Database& db, const std::string& number) {
  METER_ASSIGN_OR_RETURN(store::CreditNoteRecord r, store::CreditNoteStore(db).Find(number));
  return FromRecord(db, r);
}

json CreditNoteToJson(const CreditNote& n) {
  const std::string& cur = n.currency;
  json lines = json::array();
  for (const auto& l : n.lines)
    lines.push_back({{"line", l.line}, {"description", l.description}, {"amount", MoneyString(l.amount, cur)}});
  return {{"number", n.number}, {"invoice", n.invoice_number}, {"invoice_id", n.invoice_id}, {"tenant", n.tenant},
          {"currency", cur}, {"lines", lines}, {"amount", MoneyString(n.amount, cur)},
          {"tax_rate", n.tax_rate.ToString(std::max(2, n.tax_rate.FractionalDigits()))},
          {"tax", MoneyString(n.tax, cur)}, {"total", MoneyString(n.total, cur)}, {"reason", n.reason},
          {"refunded", n.refunded}, {"grant_id", n.grant_id.empty() ? json(nullptr) : json(n.grant_id)},
          {"created_at", FormatRfc3339(n.created_at)}};
}

}  // namespace meter::billing
