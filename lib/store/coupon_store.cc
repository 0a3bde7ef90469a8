#include "store/coupon_store.h"

#include <fmt/format.h>

#include "store/decimal_column.h"
#include "store/statement.h"

namespace meter::store {
namespace {

std::vector<RedemptionRecord> ReadRedemptions(Statement& q) {
  std::vector<RedemptionRecord> out;
  while (q.executeStep())
    out.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64(),
                   DecimalColumn(q.getColumn(3))});
  return out;
}

}  // namespace

Result<int64_t> CouponStore::Insert(const TenantCouponRecord& r) {
  int64_t position = 0;
  Status st = db_.Transaction([&]() -> Status {
    Statement& next = Cached(db_, "SELECT COALESCE(MAX(position), 0) + 1 FROM tenant_coupons WHERE tenant_id=?");
    next.bind(1, r.tenant);
    next.executeStep();
    position = next.getColumn(0).getInt64();
    next.reset();
    Statement& q = Cached(db_,
        "INSERT INTO tenant_coupons(tenant_id, position, code, terms, start_month, applied_at) VALUES(?,?,?,?,?,?)");
    q.bind(1, r.tenant);
    q.bind(2, position);
    q.bind(3, r.code);
    q.bind(4, r.terms);
    q.bind(5, r.start_month);
    q.bind(6, static_cast<int64_t>(r.applied_at));
    q.exec();
    return Status::OK();
  });
  if (!st.ok()) return st;
  return position;
}

Result<std::vector<TenantCouponRecord>> CouponStore::ForTenant(const std::string& tenant) {
  return Guarded(db_, [&]() -> Result<std::vector<TenantCouponRecord>> {
    Statement& q = Cached(db_,
        "SELECT tenant_id, position, code, terms, start_month, applied_at, removed_at FROM tenant_coupons "
        "WHERE tenant_id=? ORDER BY position");
    q.bind(1, tenant);
    std::vector<TenantCouponRecord> out;
    while (q.executeStep()) {
      TenantCouponRecord r{q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getString(),
                           q.getColumn(3).getString(), q.getColumn(4).getString(), q.getColumn(5).getInt64(),
                           std::nullopt};
      if (!q.getColumn(6).isNull()) r.removed_at = q.getColumn(6).getInt64();
      out.push_back(std::move(r));
    }
    return out;
  });
}

Result<int64_t> CouponStore::TenantsWithCode(const std::string& code) {
  return Guarded(db_, [&]() -> Result<int64_t> {
    Statement& q = Cached(db_, "SELECT COUNT(DISTINCT tenant_id) FROM tenant_coupons WHERE code=?");
    q.bind(1, code);
    q.executeStep();
    int64_t n = q.getColumn(0).getInt64();
    q.reset();
    return n;
  });
}

Status CouponStore::MarkRemoved(const std::string& tenant, int64_t position, Timestamp at) {
  return db_.Transaction([&]() -> Status {
    Statement& q = Cached(db_, "UPDATE tenant_coupons SET removed_at=? WHERE tenant_id=? AND position=?");
    q.bind(1, static_cast<int64_t>(at));
    q.bind(2, tenant);
    q.bind(3, position);
    if (q.exec() == 0) return Status::NotFound(fmt::format("tenant '{}' has no coupon {}", tenant, position));
    return Status::OK();
  });
}

Result<std::vector<RedemptionRecord>> CouponStore::LiveRedemptions(const std::string& tenant) {
  return Guarded(db_, [&]() -> Result<std::vector<RedemptionRecord>> {
    // Read per tenant by invoice generate: the statuses are written out as
    // ORs and the rows come in the index's order, because SQLite builds a
    // temporary b-tree on every execution for a constant IN list of three or
    // more and for an ORDER BY no index gives.
    Statement& q = Cached(db_,
        "SELECT r.invoice_id, r.tenant_id, r.position, r.amount FROM coupon_redemptions r "
        "JOIN invoices i ON i.id = r.invoice_id "
        "WHERE r.tenant_id=? AND (i.status='open' OR i.status='paid' OR i.status='overdue') "
        "ORDER BY r.position");
    q.bind(1, tenant);
    return ReadRedemptions(q);
  });
}

Result<std::vector<RedemptionRecord>> CouponStore::ForInvoice(const std::string& invoice_id) {
  return Guarded(db_, [&]() -> Result<std::vector<RedemptionRecord>> {
    Statement& q = Cached(db_,
        "SELECT invoice_id, tenant_id, position, amount FROM coupon_redemptions WHERE invoice_id=? ORDER BY position");
    q.bind(1, invoice_id);
    return ReadRedemptions(q);
  });
}

Status CouponStore::InsertRedemption(const RedemptionRecord& r) {
  return db_.Transaction([&]() -> Status {
    Statement& q = Cached(db_,
        "INSERT INTO coupon_redemptions(invoice_id, tenant_id, position, amount) VALUES(?,?,?,?)");
    q.bind(1, r.invoice_id);
    q.bind(2, r.tenant);
    q.bind(3, r.position);
    q.bind(4, r.amount.ToString());
    q.exec();
    return Status::OK();
  });
}

}  // namespace meter::store
