#include "billing/check.h"

#include <fmt/format.h>

#include "billing/credits.h"
#include "billing/format.h"
#include "billing/generate.h"
#include "billing/invoice_record.h"
#include "core/money.h"
#include "store/credit_note_store.h"
#include "store/credit_store.h"
#include "store/invoice_store.h"

namespace meter::billing {
namespace {

// The arithmetic of SPEC 11's invoice order, as stored.
void CheckTotals(const Invoice& inv, std::vector<std::string>& out) {
  const std::string& cur = inv.currency;
  Decimal lines, coupons;
  for (const auto& l : inv.lines) {
    Decimal& sum = l.kind == LineKind::kCoupon ? coupons : lines;
    sum = sum + l.amount;
  }
  Decimal subtotal = lines.IsNegative() ? Decimal() : lines;
  auto differ = [&](const char* what, const Decimal& stored, const Decimal& expected) {
    if (stored != expected)
      out.push_back(fmt::format("{} {} but its lines give {}", what, MoneyString(stored, cur), MoneyString(expected, cur)));
  };
  differ("subtotal", inv.subtotal, subtotal);
  differ("discounted subtotal", inv.discounted_subtotal, inv.subtotal + coupons);
  auto tax = inv.discounted_subtotal.Mul(inv.tax_rate);
  if (tax.ok()) tax = RoundToMinor(*tax, cur);
  if (tax.ok()) differ("tax", inv.tax, *tax);
  differ("total", inv.total, inv.discounted_subtotal + inv.tax);
  const std::pair<const char*, Decimal> never_negative[] = {{"discounted subtotal", inv.discounted_subtotal},
                                                            {"total", inv.total},
                                                            {"amount due", inv.amount_due},
                                                            {"credits applied", inv.credits_applied}};
  for (const auto& [what, v] : never_negative)
    if (v.IsNegative()) out.push_back(fmt::format("{} is negative: {}", what, MoneyString(v, cur)));
  Decimal notes;
  for (const auto& n : inv.credit_notes) notes = notes + n.total;
  if (notes > inv.total)
    out.push_back(fmt::format("credit notes total {}, above the invoice total {}", MoneyString(notes, cur), MoneyString(inv.total, cur)));
}

Status CheckInvoice(store::Database& db, const store::InvoiceRecord& r, CheckReport& report) {
  auto inv = InvoiceFromRecord(r);
  std::string subject = r.number.empty() ? r.id : r.number;
  if (!inv.ok()) {
    report.problems.push_back({"invoice", subject, std::string(inv.status().message())});
    return Status::OK();
  }
  std::vector<std::string> found;
  CheckTotals(*inv, found);
  METER_ASSIGN_OR_RETURN(auto draws, store::CreditStore(db).DrawsForInvoice(r.id));
  Decimal drawn;
  for (const auto& d : draws) drawn = drawn + d.amount;
  bool given_back = r.status == "void";
  if (!given_back && drawn != inv->credits_applied)
    found.push_back(fmt::format("credits applied {} but the ledger drew {}", inv->credits_applied.ToString(), drawn.ToString()));
  if (given_back && !drawn.IsZero()) found.push_back(fmt::format("void but still holds {} of drawn credits", drawn.ToString()));
  METER_ASSIGN_OR_RETURN(auto notes, store::CreditNoteStore(db).ForInvoice(r.id));
  if (notes.size() != inv->credit_notes.size())
    found.push_back(fmt::format("lists {} credit notes but {} are stored", inv->credit_notes.size(), notes.size()));
  for (auto& m : found) report.problems.push_back({"invoice", subject, std::move(m)});
  ++report.invoices;
  return Status::OK();
}

}  // namespace

Result<CheckReport> CheckBilling(store::Database& db) {
  CheckReport report;
  Status st = db.Read([&]() -> Status {
    METER_ASSIGN_OR_RETURN(auto records, store::InvoiceStore(db).List({}));
    for (const auto& r : records) METER_RETURN_IF_ERROR(CheckInvoice(db, r, report));
    METER_ASSIGN_OR_RETURN(auto grants, store::CreditStore(db).Grants(""));
    report.grants = static_cast<int64_t>(grants.size());
    METER_ASSIGN_OR_RETURN(auto ledger, CheckLedgers(db));
    for (auto& p : ledger) report.problems.push_back({"credits", p.tenant, std::move(p.message)});
    return Status::OK();
  });
  if (!st.ok()) return st;
  return report;
}

}  // namespace meter::billing
