#include "store/credit_note_store.h"

#include <fmt/format.h>

#include "store/decimal_column.h"
#include "store/statement.h"

namespace meter::store {
namespace {

constexpr const char* kColumns =
    "number, invoice_id, tenant_id, currency, amount, tax, total, reason, refunded, grant_id, lines, created_at";

std::vector<CreditNoteRecord> ReadAll(Statement& q) {
  std::vector<CreditNoteRecord> out;
  while (q.executeStep()) {
    CreditNoteRecord r;
    r.number = q.getColumn(0).getString();
    r.invoice_id = q.getColumn(1).getString();
    r.tenant = q.getColumn(2).getString();
    r.currency = q.getColumn(3).getString();
    r.amount = DecimalColumn(q.getColumn(4));
    r.tax = DecimalColumn(q.getColumn(5));
    r.total = DecimalColumn(q.getColumn(6));
    r.reason = q.getColumn(7).getString();
    r.refunded = q.getColumn(8).getInt() != 0;
    r.grant_id = q.getColumn(9).isNull() ? "" : q.getColumn(9).getString();
    r.lines = q.getColumn(10).getString();
    r.created_at = q.getColumn(11).getInt64();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

Status CreditNoteStore::Insert(const CreditNoteRecord& r) {
  return db_.Transaction([&]() -> Status {
    Statement& q = Cached(db_, fmt::format("INSERT INTO credit_notes({}) VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                                                     kColumns));
    q.bind(1, r.number);
    q.bind(2, r.invoice_id);
    q.bind(3, r.tenant);
    q.bind(4, r.currency);
    q.bind(5, r.amount.ToString());
    q.bind(6, r.tax.ToString());
    q.bind(7, r.total.ToString());
    q.bind(8, r.reason);
    q.bind(9, r.refunded ? 1 : 0);
    if (r.grant_id.empty()) q.bind(10); else q.bind(10, r.grant_id);
    q.bind(11, r.lines);
    q.bind(12, static_cast<int64_t>(r.created_at));
    q.exec();
    return Status::OK();
  });
}

Result<CreditNoteRecord> CreditNoteStore::Find(const std::string& number) {
  return Guarded(db_, [&]() -> Result<CreditNoteRecord> {
    Statement q(db_, fmt::format("SELECT {} FROM credit_notes WHERE number=?", kColumns));
    q.bind(1, number);
    auto all = ReadAll(q);
    if (all.empty()) return Status::NotFound(fmt::format("no credit note '{}'", number));
    return all.front();
  });
}

Result<std::vector<CreditNoteRecord>> CreditNoteStore::ForInvoice(const std::string& invoice_id) {
  return Guarded(db_, [&]() -> Result<std::vector<CreditNoteRecord>> {
    Statement& q = Cached(db_, fmt::format(
        "SELECT {} FROM credit_notes WHERE invoice_id=? ORDER BY number", kColumns));
    q.bind(1, invoice_id);
    return ReadAll(q);
  });
}

Result<std::vector<CreditNoteRecord>> CreditNoteStore::List(const std::string& tenant) {
  return Guarded(db_, [&]() -> Result<std::vector<CreditNoteRecord>> {
    Statement q(db_, fmt::format(
        "SELECT {} FROM credit_notes WHERE (?1='' OR tenant_id=?1) ORDER BY number", kColumns));
    q.bind(1, tenant);
    return ReadAll(q);
  });
}

Result<int64_t> CreditNoteStore::TakeNumber(const std::string& prefix, int year) {
  int64_t n = 0;
  Status st = db_.Transaction([&]() -> Status {
    Statement& q = Cached(db_,
        "INSERT INTO credit_note_numbers(prefix, year, last) VALUES(?, ?, 1) "
        "ON CONFLICT(prefix, year) DO UPDATE SET last = credit_note_numbers.last + 1 RETURNING last");
    q.bind(1, prefix);
    q.bind(2, year);
    if (!q.executeStep()) return Status::Internal("credit note number sequence returned nothing");
    n = q.getColumn(0).getInt64();
    while (q.executeStep()) {}
    return Status::OK();
  });
  if (!st.ok()) return st;
  return n;
}

}  // namespace meter::store
