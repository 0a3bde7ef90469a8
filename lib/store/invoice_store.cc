#include "store/invoice_store.h"

#include <fmt/format.h>

#include "store/statement.h"

namespace meter::store {
namespace {

constexpr const char* kColumns =
    "id, number, tenant_id, month, period_start, period_end, status, currency, subtotal, tax, total, "
    "issue_date, due_date, document, created_at, updated_at, finalized_at, paid_at, voided_at, "
    "void_reason, events_seq";

// Statuses of finalized invoices that bill their period.
constexpr const char* kBilling = "('open','paid','overdue')";

std::optional<Timestamp> OptionalInt(const Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

InvoiceRecord ReadRecord(Statement& q) {
  InvoiceRecord r;
  r.id = q.getColumn(0).getString();
  r.number = q.getColumn(1).isNull() ? "" : q.getColumn(1).getString();
  r.tenant = q.getColumn(2).getString();
  r.month = q.getColumn(3).getString();
  r.period = {q.getColumn(4).getInt64(), q.getColumn(5).getInt64()};
  r.status = q.getColumn(6).getString();
  r.currency = q.getColumn(7).getString();
  r.subtotal = q.getColumn(8).getString();
  r.tax = q.getColumn(9).getString();
  r.total = q.getColumn(10).getString();
  r.issue_date = q.getColumn(11).getInt64();
  r.due_date = q.getColumn(12).getInt64();
  r.document = q.getColumn(13).getString();
  r.created_at = q.getColumn(14).getInt64();
  r.updated_at = q.getColumn(15).getInt64();
  r.finalized_at = OptionalInt(q.getColumn(16));
  r.paid_at = OptionalInt(q.getColumn(17));
  r.voided_at = OptionalInt(q.getColumn(18));
  r.void_reason = q.getColumn(19).isNull() ? "" : q.getColumn(19).getString();
  r.events_seq = q.getColumn(20).getInt64();
  return r;
}

std::vector<InvoiceRecord> ReadAll(Statement& q) {
  std::vector<InvoiceRecord> out;
  while (q.executeStep()) out.push_back(ReadRecord(q));
  return out;
}

void BindOptional(Statement& q, int i, const std::optional<Timestamp>& t) {
  if (t) q.bind(i, static_cast<int64_t>(*t)); else q.bind(i);
}

// Binds every column but id and created_at, in kColumns order from index 1.
void BindMutable(Statement& q, const InvoiceRecord& r) {
  if (r.number.empty()) q.bind(1); else q.bind(1, r.number);
  q.bind(2, r.tenant);
  q.bind(3, r.month);
  q.bind(4, static_cast<int64_t>(r.period.start));
  q.bind(5, static_cast<int64_t>(r.period.end));
  q.bind(6, r.status);
  q.bind(7, r.currency);
  q.bind(8, r.subtotal);
  q.bind(9, r.tax);
  q.bind(10, r.total);
  q.bind(11, static_cast<int64_t>(r.issue_date));
  q.bind(12, static_cast<int64_t>(r.due_date));
  q.bind(13, r.document);
  q.bind(14, static_cast<int64_t>(r.updated_at));
  BindOptional(q, 15, r.finalized_at);
  BindOptional(q, 16, r.paid_at);
  BindOptional(q, 17, r.voided_at);
  if (r.void_reason.empty()) q.bind(18); else q.bind(18, r.void_reason);
  q.bind(19, static_cast<int64_t>(r.events_seq));
}

}  // namespace

Result<InvoiceRecord> InvoiceStore::Find(const std::string& id_or_number) {
  return Guarded(db_, [&]() -> Result<InvoiceRecord> {
    Statement q(db_, fmt::format("SELECT {} FROM invoices WHERE number=?1 OR id=?1 "
                                              "ORDER BY number IS NULL LIMIT 1", kColumns));
    q.bind(1, id_or_number);
    if (!q.executeStep()) return Status::NotFound(fmt::format("no invoice with number or id '{}'", id_or_number));
    return ReadRecord(q);
  });
}

Result<std::vector<InvoiceRecord>> InvoiceStore::ForMonth(const std::string& month, const std::string& tenant) {
  return Guarded(db_, [&]() -> Result<std::vector<InvoiceRecord>> {
    Statement q(db_, fmt::format("SELECT {} FROM invoices WHERE month=?1 AND (?2='' OR tenant_id=?2) "
                                              "ORDER BY tenant_id, created_at, id", kColumns));
    q.bind(1, month);
    q.bind(2, tenant);
    return ReadAll(q);
  });
}

Result<std::vector<InvoiceRecord>> InvoiceStore::List(const InvoiceFilter& f) {
  return Guarded(db_, [&]() -> Result<std::vector<InvoiceRecord>> {
    Statement q(db_, fmt::format(
        "SELECT {} FROM invoices WHERE (?1='' OR tenant_id=?1) AND (?2='' OR month=?2) AND (?3='' OR status=?3) "
        "ORDER BY month, tenant_id, created_at, id", kColumns));
    q.bind(1, f.tenant);
    q.bind(2, f.month);
    q.bind(3, f.status);
    return ReadAll(q);
  });
}

Result<std::vector<InvoiceRecord>> InvoiceStore::Finalized(const std::string& tenant) {
  return Guarded(db_, [&]() -> Result<std::vector<InvoiceRecord>> {
    Statement& q = Cached(db_, fmt::format(
        "SELECT {} FROM invoices WHERE tenant_id=? AND status IN {} ORDER BY period_start, finalized_at",
        kColumns, kBilling));
    q.bind(1, tenant);
    return ReadAll(q);
  });
}

Result<std::vector<InvoiceRecord>> InvoiceStore::OpenDueBefore(Timestamp due_before) {
  return Guarded(db_, [&]() -> Result<std::vector<InvoiceRecord>> {
    Statement q(db_, fmt::format("SELECT {} FROM invoices WHERE status='open' AND due_date<? "
                                              "ORDER BY due_date, number", kColumns));
    q.bind(1, static_cast<int64_t>(due_before));
    return ReadAll(q);
  });
}

Status InvoiceStore::Insert(const InvoiceRecord& r) {
  return db_.Transaction([&]() -> Status {
    Statement& q = Cached(db_,
        "INSERT INTO invoices(number, tenant_id, month, period_start, period_end, status, currency, subtotal, "
        "tax, total, issue_date, due_date, document, updated_at, finalized_at, paid_at, voided_at, "
        "void_reason, events_seq, id, created_at) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    BindMutable(q, r);
    q.bind(20, r.id);
    q.bind(21, static_cast<int64_t>(r.created_at));
    q.exec();
    return Status::OK();
  });
}

Status InvoiceStore::Update(const InvoiceRecord& r) {
  return db_.Transaction([&]() -> Status {
    Statement& q = Cached(db_,
        "UPDATE invoices SET number=?, tenant_id=?, month=?, period_start=?, period_end=?, status=?, currency=?, "
        "subtotal=?, tax=?, total=?, issue_date=?, due_date=?, document=?, updated_at=?, finalized_at=?, "
        "paid_at=?, voided_at=?, void_reason=?, events_seq=? WHERE id=?");
    BindMutable(q, r);
    q.bind(20, r.id);
    if (q.exec() == 0) return Status::NotFound(fmt::format("no invoice with id '{}'", r.id));
    return Status::OK();
  });
}

Status InvoiceStore::Delete(const std::string& id) {
  return db_.Transaction([&]() -> Status {
    Statement q(db_, "DELETE FROM invoices WHERE id=?");
    q.bind(1, id);
    if (q.exec() == 0) return Status::NotFound(fmt::format("no invoice with id '{}'", id));
    return Status::OK();
  });
}

Result<int64_t> InvoiceStore::TakeNumber(const std::string& prefix, int year) {
  int64_t n = 0;
  Status st = db_.Transaction([&]() -> Status {
    Statement& q = Cached(db_,
        "INSERT INTO invoice_numbers(prefix, year, last) VALUES(?, ?, 1) "
        "ON CONFLICT(prefix, year) DO UPDATE SET last = invoice_numbers.last + 1 RETURNING last");
    q.bind(1, prefix);
    q.bind(2, year);
    if (!q.executeStep()) return Status::Internal("invoice number sequence returned nothing");
    n = q.getColumn(0).getInt64();
    while (q.executeStep()) {}
    return Status::OK();
  });
  if (!st.ok()) return st;
  return n;
}

Result<std::set<std::string>> InvoiceStore::SuspendedTenants() {
  return Guarded(db_, [&]() -> Result<std::set<std::string>> {
    std::set<std::string> out;
    Statement q(db_, "SELECT id FROM tenants WHERE status='suspended'");
    while (q.executeStep()) out.insert(q.getColumn(0).getString());
    return out;
  });
}

Result<int64_t> InvoiceStore::MaxEventSeq() {
  return Guarded(db_, [&]() -> Result<int64_t> {
    Statement& q = Cached(db_, "SELECT COALESCE(MAX(seq), 0) FROM events");
    q.executeStep();
    int64_t seq = q.getColumn(0).getInt64();
    q.reset();
    return seq;
  });
}

Result<std::map<std::string, std::set<std::string>>> InvoiceStore::WithLateEvents(Timestamp before) {
  return Guarded(db_, [&]() -> Result<std::map<std::string, std::set<std::string>>> {
    std::map<std::string, std::set<std::string>> out;
    Statement min(db_, fmt::format(
        "SELECT MIN(events_seq) FROM invoices WHERE status IN {} AND period_end <= ?", kBilling));
    min.bind(1, static_cast<int64_t>(before));
    if (!min.executeStep() || min.getColumn(0).isNull()) return out;
    int64_t since = min.getColumn(0).getInt64();
    min.reset();
    // Events are scanned once, in seq (rowid) order from the oldest
    // finalization on; each joins its tenant's invoice through the
    // (tenant_id, period_start) index.
    Statement q(db_, fmt::format(
        "SELECT DISTINCT i.tenant_id, i.id FROM events e JOIN invoices i ON i.tenant_id = e.tenant_id "
        "AND i.period_start <= e.ts AND e.ts < i.period_end "
        "WHERE e.seq > ?1 AND e.ts < ?2 AND i.status IN {} AND i.period_end <= ?2 AND e.seq > i.events_seq",
        kBilling));
    q.bind(1, static_cast<int64_t>(since));
    q.bind(2, static_cast<int64_t>(before));
    while (q.executeStep()) out[q.getColumn(0).getString()].insert(q.getColumn(1).getString());
    return out;
  });
}

}  // namespace meter::store
