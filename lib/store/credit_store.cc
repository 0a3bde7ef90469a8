#include "store/credit_store.h"

#include <fmt/format.h>

#include "store/decimal_column.h"
#include "store/statement.h"

namespace meter::store {
namespace {

constexpr const char* kGrantColumns =
    "id, tenant_id, currency, amount, remaining, priority, expires_at, reason, source, created_at, voided_at, "
    "void_reason";

std::optional<Timestamp> OptionalTime(const Column& c) {
  if (c.isNull()) return std::nullopt;
  return c.getInt64();
}

CreditGrantRecord ReadGrant(Statement& q) {
  CreditGrantRecord g;
  g.id = q.getColumn(0).getString();
  g.tenant = q.getColumn(1).getString();
  g.currency = q.getColumn(2).getString();
  g.amount = DecimalColumn(q.getColumn(3));
  g.remaining = DecimalColumn(q.getColumn(4));
  g.priority = q.getColumn(5).getInt64();
  g.expires_at = OptionalTime(q.getColumn(6));
  g.reason = q.getColumn(7).getString();
  g.source = q.getColumn(8).getString();
  g.created_at = q.getColumn(9).getInt64();
  g.voided_at = OptionalTime(q.getColumn(10));
  g.void_reason = q.getColumn(11).isNull() ? "" : q.getColumn(11).getString();
  return g;
}

std::vector<CreditGrantRecord> ReadGrants(Statement& q) {
  std::vector<CreditGrantRecord> out;
  while (q.executeStep()) out.push_back(ReadGrant(q));
  return out;
}

constexpr const char* kLedgerColumns = "tenant_id, seq, grant_id, kind, amount, invoice_id, note, created_at";

std::vector<LedgerEntry> ReadLedger(Statement& q) {
  std::vector<LedgerEntry> out;
  while (q.executeStep()) {
    LedgerEntry e;
    e.tenant = q.getColumn(0).getString();
    e.seq = q.getColumn(1).getInt64();
    e.grant_id = q.getColumn(2).getString();
    e.kind = q.getColumn(3).getString();
    e.amount = DecimalColumn(q.getColumn(4));
    e.invoice_id = q.getColumn(5).isNull() ? "" : q.getColumn(5).getString();
    e.note = q.getColumn(6).getString();
    e.created_at = q.getColumn(7).getInt64();
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace

Result<std::optional<CreditGrantRecord>> CreditStore::FindGrant(const std::string& id) {
  return Guarded(db_, [&]() -> Result<std::optional<CreditGrantRecord>> {
    Statement& q = Cached(db_, fmt::format("SELECT {} FROM credit_grants WHERE id=?", kGrantColumns));
    q.bind(1, id);
    std::optional<CreditGrantRecord> out;
    if (q.executeStep()) out = ReadGrant(q);
    q.reset();
    return out;
  });
}

Result<std::vector<CreditGrantRecord>> CreditStore::Grants(const std::string& tenant) {
  return Guarded(db_, [&]() -> Result<std::vector<CreditGrantRecord>> {
    // One statement per case: `(?='' OR tenant_id=?)` would keep the planner
    // off index credit_grants_tenant, a scan of every grant per tenant (the
    // O(tenants^2) part of finalizing 10 K invoices that draw credits).
    Statement& q = Cached(db_, fmt::format("SELECT {} FROM credit_grants{} ORDER BY tenant_id, created_at, id",
                                           kGrantColumns, tenant.empty() ? "" : " WHERE tenant_id=?"));
    if (!tenant.empty()) q.bind(1, tenant);
    return ReadGrants(q);
  });
}

Result<std::vector<CreditGrantRecord>> CreditStore::ExpiredWithRemaining(Timestamp now) {
  return Guarded(db_, [&]() -> Result<std::vector<CreditGrantRecord>> {
    Statement& q = Cached(db_, fmt::format(
        "SELECT {} FROM credit_grants WHERE expires_at IS NOT NULL AND expires_at<=? AND voided_at IS NULL "
        "AND remaining<>'0' ORDER BY tenant_id, created_at, id", kGrantColumns));
    q.bind(1, static_cast<int64_t>(now));
    return ReadGrants(q);
  });
}

Status CreditStore::InsertGrant(const CreditGrantRecord& g) {
  return db_.Transaction([&]() -> Status {
    Statement& q = Cached(db_,
        "INSERT INTO credit_grants(id, tenant_id, currency, amount, remaining, priority, expires_at, reason, source, "
        "created_at) VALUES(?,?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO NOTHING");
    q.bind(1, g.id);
    q.bind(2, g.tenant);
    q.bind(3, g.currency);
    q.bind(4, g.amount.ToString());
    q.bind(5, g.remaining.ToString());
    q.bind(6, g.priority);
    if (g.expires_at) q.bind(7, static_cast<int64_t>(*g.expires_at)); else q.bind(7);
    q.bind(8, g.reason);
    q.bind(9, g.source);
    q.bind(10, static_cast<int64_t>(g.created_at));
    if (q.exec() == 0) return Status::Denied(fmt::format("a credit grant with id '{}' already exists", g.id));
    return Status::OK();
  });
}

Status CreditStore::SetRemaining(const std::string& id, const Decimal& remaining) {
  return db_.Transaction([&]() -> Status {
    Statement& q = Cached(db_, "UPDATE credit_grants SET remaining=? WHERE id=?");
    q.bind(1, remaining.ToString());
    q.bind(2, id);
    if (q.exec() == 0) return Status::NotFound(fmt::format("no credit grant '{}'", id));
    return Status::OK();
  });
}

Status CreditStore::MarkVoided(const std::string& id, Timestamp at, const std::string& reason) {
  return db_.Transaction([&]() -> Status {
    Statement& q = Cached(db_, "UPDATE credit_grants SET voided_at=?, void_reason=?, remaining='0' WHERE id=?");
    q.bind(1, static_cast<int64_t>(at));
    q.bind(2, reason);
    q.bind(3, id);
    if (q.exec() == 0) return Status::NotFound(fmt::format("no credit grant '{}'", id));
    return Status::OK();
  });
}

Result<int64_t> CreditStore::AppendLedger(const LedgerEntry& e) {
  int64_t seq = 0;
  Status st = db_.Transaction([&]() -> Status {
    Statement& next = Cached(db_, "SELECT COALESCE(MAX(seq), 0) + 1 FROM credit_ledger WHERE tenant_id=?");
    next.bind(1, e.tenant);
    next.executeStep();
    seq = next.getColumn(0).getInt64();
    next.reset();
    Statement& q = Cached(db_,
        "INSERT INTO credit_ledger(tenant_id, seq, grant_id, kind, amount, invoice_id, note, created_at) "
        "VALUES(?,?,?,?,?,?,?,?)");
    q.bind(1, e.tenant);
    q.bind(2, seq);
    q.bind(3, e.grant_id);
    q.bind(4, e.kind);
    q.bind(5, e.amount.ToString());
    if (e.invoice_id.empty()) q.bind(6); else q.bind(6, e.invoice_id);
    q.bind(7, e.note);
    q.bind(8, static_cast<int64_t>(e.created_at));
    q.exec();
    return Status::OK();
  });
  if (!st.ok()) return st;
  return seq;
}

Result<std::vector<LedgerEntry>> CreditStore::Ledger(const std::string& tenant) {
  return Guarded(db_, [&]() -> Result<std::vector<LedgerEntry>> {
    // One statement per case, as in Grants: an index lookup for one tenant.
    Statement& q = Cached(db_, fmt::format("SELECT {} FROM credit_ledger{} ORDER BY tenant_id, seq", kLedgerColumns,
                                           tenant.empty() ? "" : " WHERE tenant_id=?"));
    if (!tenant.empty()) q.bind(1, tenant);
    return ReadLedger(q);
  });
}

Result<std::vector<LedgerEntry>> CreditStore::DrawsForInvoice(const std::string& invoice_id) {
  return Guarded(db_, [&]() -> Result<std::vector<LedgerEntry>> {
    Statement& q = Cached(db_, fmt::format(
        "SELECT {} FROM credit_ledger WHERE invoice_id=? AND kind='draw' ORDER BY seq", kLedgerColumns));
    q.bind(1, invoice_id);
    return ReadLedger(q);
  });
}

Result<bool> CreditStore::LowNotified(const std::string& tenant) {
  return Guarded(db_, [&]() -> Result<bool> {
    Statement& q = Cached(db_, "SELECT low_notified FROM credit_accounts WHERE tenant_id=?");
    q.bind(1, tenant);
    bool notified = q.executeStep() && q.getColumn(0).getInt() != 0;
    q.reset();
    return notified;
  });
}

Status CreditStore::SetLowNotified(const std::string& tenant, bool notified) {
  return db_.Transaction([&]() -> Status {
    Statement& q = Cached(db_,
        "INSERT INTO credit_accounts(tenant_id, low_notified) VALUES(?1, ?2) "
        "ON CONFLICT(tenant_id) DO UPDATE SET low_notified=?2");
    q.bind(1, tenant);
    q.bind(2, notified ? 1 : 0);
    q.exec();
    return Status::OK();
  });
}

}  // namespace meter::store
