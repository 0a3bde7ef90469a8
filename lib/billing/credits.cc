#include "billing/credits.h"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "billing/invoice.h"
#include "core/local_date.h"
#include "core/ids.h"
#include "core/money.h"
#include "webhooks/queue.h"

namespace meter::billing {
namespace {

const catalog::Tenant* FindTenant(const catalog::Catalog& c, const std::string& id) {
  for (const auto& t : c.tenants)
    if (t.id == id) return &t;
  return nullptr;
}

Result<std::optional<Timestamp>> ExpiryInstant(const std::string& date, const std::string& tz) {
  if (date.empty()) return std::optional<Timestamp>();
  if (!LocalDateStart(date, tz).ok())
    return Status::InvalidArgument(fmt::format("--expires: '{}' is not a date (YYYY-MM-DD)", date));
  METER_ASSIGN_OR_RETURN(Timestamp end, LocalDateStart(AddDays(date, 1), tz));
  return std::optional<Timestamp>(end);
}

nlohmann::json GrantMessage(const store::CreditGrantRecord& g, const Decimal& amount) {
  return {{"tenant", g.tenant}, {"grant_id", g.id}, {"amount", MoneyString(amount, g.currency)}, {"currency", g.currency},
          {"expires_at", g.expires_at ? nlohmann::json(FormatRfc3339(*g.expires_at)) : nlohmann::json(nullptr)}};
}

// The balance in `currency` of `grants` at `now` (CreditBalance over grants already read).
Result<Decimal> UsableSum(const std::vector<store::CreditGrantRecord>& grants, const std::string& currency,
                          Timestamp now) {
  Decimal sum;
  for (const auto& g : grants)
    if (GrantUsable(g, now) && g.currency == currency) { METER_ASSIGN_OR_RETURN(sum, sum.Add(g.remaining)); }
  return sum;
}

// Re-arms or fires credits.balance_low for `tenant` after its balance moved
// to `balance` (nullopt: read now).
Status CheckLowBalance(store::Database& db, const catalog::Catalog& c, const std::string& tenant,
                       const std::string& currency, bool after_draw, Timestamp now,
                       std::optional<Decimal> balance_now = std::nullopt) {
  if (!c.credits.low_balance) return Status::OK();
  store::CreditStore credits(db);
  if (!balance_now) { METER_ASSIGN_OR_RETURN(balance_now, CreditBalance(db, tenant, currency, now)); }
  const Decimal& balance = *balance_now;
  METER_ASSIGN_OR_RETURN(bool notified, credits.LowNotified(tenant));
  const Decimal& low = *c.credits.low_balance;
  if (balance >= low) return notified ? credits.SetLowNotified(tenant, false) : Status::OK();
  if (!after_draw || notified) return Status::OK();
  nlohmann::json data = {{"tenant", tenant}, {"balance", MoneyString(balance, currency)},
                         {"low_balance", MoneyString(low, currency)}, {"currency", currency}};
  METER_RETURN_IF_ERROR(webhooks::Enqueue(db, "credits.balance_low", tenant, data, now).status());
  return credits.SetLowNotified(tenant, true);
}

bool SameTerms(const store::CreditGrantRecord& g, const GrantRequest& r) {
  return g.tenant == r.tenant && g.amount == r.amount;
}

}  // namespace

Result<Decimal> RequireMinorUnit(const Decimal& amount, const std::string& currency) {
  METER_ASSIGN_OR_RETURN(Decimal rounded, RoundToMinor(amount, currency));
  if (rounded != amount)
    return Status::InvalidArgument(fmt::format("--amount {} has more decimals than {} allows", amount.ToString(), currency));
  return rounded;
}

std::string TenantCurrency(const catalog::Catalog& c, const catalog::Tenant& t) {
  const catalog::Plan* plan = c.FindPlan(t.plan);
  return plan ? c.CurrencyOf(*plan) : c.currency;
}

bool GrantUsable(const store::CreditGrantRecord& g, Timestamp now) {
  return !g.voided_at && (!g.expires_at || now < *g.expires_at) && !g.remaining.IsZero();
}

Result<store::CreditGrantRecord> GrantCredit(store::Database& db, const catalog::Catalog& c, const GrantRequest& r,
                                             Timestamp now) {
  const catalog::Tenant* t = FindTenant(c, r.tenant);
  if (!t) return Status::NotFound(fmt::format("unknown tenant '{}'", r.tenant));
  if (r.amount.IsNegative() || r.amount.IsZero())
    return Status::InvalidArgument(fmt::format("--amount must be greater than zero, got {}", r.amount.ToString()));
  store::CreditGrantRecord g;
  g.id = r.id.empty() ? RandomId("cg_") : r.id;
  g.tenant = r.tenant;
  g.currency = r.currency.empty() ? TenantCurrency(c, *t) : r.currency;
  METER_ASSIGN_OR_RETURN(Decimal amount, RequireMinorUnit(r.amount, g.currency));
  g.amount = g.remaining = amount;
  g.priority = r.priority;
  METER_ASSIGN_OR_RETURN(g.expires_at, ExpiryInstant(r.expires, t->timezone));
  g.reason = r.reason;
  g.source = r.source;
  g.created_at = now;
  Status st = db.Transaction([&]() -> Status {
    store::CreditStore credits(db);
    METER_ASSIGN_OR_RETURN(auto existing, credits.FindGrant(g.id));
    if (existing) {
      if (!SameTerms(*existing, r))
        return Status::Denied(fmt::format("credit grant '{}' already exists for {} {} {}; an id names one grant",
                                          g.id, existing->tenant, existing->currency, existing->amount.ToString()));
      g = *existing;
      return Status::OK();
    }
    METER_RETURN_IF_ERROR(credits.InsertGrant(g));
    store::LedgerEntry e{g.tenant, 0, g.id, "grant", g.amount, "", g.reason, now};
    METER_RETURN_IF_ERROR(credits.AppendLedger(e).status());
    return CheckLowBalance(db, c, g.tenant, g.currency, false, now);
  });
  if (!st.ok()) return st;
  return g;
}

Result<Decimal> CreditBalance(store::Database& db, const std::string& tenant, const std::string& currency,
                              Timestamp now) {
  METER_ASSIGN_OR_RETURN(auto grants, store::CreditStore(db).Grants(tenant));
  return UsableSum(grants, currency, now);
}

Result<Decimal> DrawCredits(store::Database& db, const catalog::Catalog& c, const std::string& tenant,
                            const std::string& currency, const Decimal& amount, const std::string& invoice_id,
                            const std::string& label, Timestamp now) {
  if (amount.IsNegative() || amount.IsZero()) return Decimal();
  store::CreditStore credits(db);
  METER_ASSIGN_OR_RETURN(auto all, credits.Grants(tenant));
  std::vector<store::CreditGrantRecord> grants;
  for (const auto& g : all)
    if (GrantUsable(g, now) && g.currency == currency) grants.push_back(g);
  if (grants.empty()) return Decimal();
  std::stable_sort(grants.begin(), grants.end(), [](const auto& a, const auto& b) {
    if (a.expires_at != b.expires_at) {
      if (!a.expires_at || !b.expires_at) return a.expires_at.has_value();  // none = last
      return *a.expires_at < *b.expires_at;
    }
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.created_at != b.created_at) return a.created_at < b.created_at;
    return a.id < b.id;
  });
  Decimal left = amount, drawn;
  for (const auto& g : grants) {
    if (left.IsZero()) break;
    Decimal take = std::min(left, g.remaining);
    METER_ASSIGN_OR_RETURN(Decimal remaining, g.remaining.Sub(take));
    METER_RETURN_IF_ERROR(credits.SetRemaining(g.id, remaining));
    for (auto& a : all)
      if (a.id == g.id) a.remaining = remaining;  // the balance after the draw, without reading it back
    store::LedgerEntry e{tenant, 0, g.id, "draw", take, invoice_id, fmt::format("invoice {}", label), now};
    METER_RETURN_IF_ERROR(credits.AppendLedger(e).status());
    METER_ASSIGN_OR_RETURN(left, left.Sub(take));
    METER_ASSIGN_OR_RETURN(drawn, drawn.Add(take));
  }
  METER_ASSIGN_OR_RETURN(Decimal balance, UsableSum(all, currency, now));
  METER_RETURN_IF_ERROR(CheckLowBalance(db, c, tenant, currency, true, now, balance));
  return drawn;
}

Status ReturnDraws(store::Database& db, const std::string& invoice_id, const std::string& label, Timestamp now) {
  store::CreditStore credits(db);
  METER_ASSIGN_OR_RETURN(auto draws, credits.DrawsForInvoice(invoice_id));
  std::map<std::string, Decimal> net;  // grant -> drawn minus given back
  for (const auto& d : draws) { METER_ASSIGN_OR_RETURN(net[d.grant_id], net[d.grant_id].Add(d.amount)); }
  for (const auto& [grant_id, amount] : net) {
    if (amount.IsZero() || amount.IsNegative()) continue;
    METER_ASSIGN_OR_RETURN(auto g, credits.FindGrant(grant_id));
    if (!g) return Status::Internal(fmt::format("invoice {} drew from missing grant {}", label, grant_id));
    if (g->voided_at) continue;  // a voided grant stays at 0: its void entry took what was left
    METER_ASSIGN_OR_RETURN(Decimal remaining, g->remaining.Add(amount));
    METER_RETURN_IF_ERROR(credits.SetRemaining(grant_id, remaining));
    store::LedgerEntry e{g->tenant, 0, grant_id, "draw", amount.Negated(), invoice_id,
                         fmt::format("invoice {} voided: draw given back", label), now};
    METER_RETURN_IF_ERROR(credits.AppendLedger(e).status());
  }
  return Status::OK();
}

Result<store::CreditGrantRecord> VoidGrant(store::Database& db, const std::string& id, const std::string& reason,
                                           Timestamp now) {
  store::CreditGrantRecord out;
  Status st = db.Transaction([&]() -> Status {
    store::CreditStore credits(db);
    METER_ASSIGN_OR_RETURN(auto g, credits.FindGrant(id));
    if (!g) return Status::NotFound(fmt::format("no credit grant '{}'", id));
    if (g->voided_at) return Status::Denied(fmt::format("credit grant '{}' is already void", id));
    METER_RETURN_IF_ERROR(credits.MarkVoided(id, now, reason));
    store::LedgerEntry e{g->tenant, 0, id, "void", g->remaining, "", reason.empty() ? "voided" : reason, now};
    METER_RETURN_IF_ERROR(credits.AppendLedger(e).status());
    out = *g;
    out.voided_at = now;
    out.void_reason = reason;
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

Result<std::vector<store::CreditGrantRecord>> ExpireCredits(store::Database& db, Timestamp now) {
  std::vector<store::CreditGrantRecord> out;
  Status st = db.Transaction([&]() -> Status {
    store::CreditStore credits(db);
    METER_ASSIGN_OR_RETURN(out, credits.ExpiredWithRemaining(now));
    for (const auto& g : out) {
      METER_RETURN_IF_ERROR(credits.SetRemaining(g.id, Decimal()));
      store::LedgerEntry e{g.tenant, 0, g.id, "expiry", g.remaining, "", "expired", now};
      METER_RETURN_IF_ERROR(credits.AppendLedger(e).status());
      METER_RETURN_IF_ERROR(
          webhooks::Enqueue(db, "credits.expired", g.tenant, GrantMessage(g, g.remaining), now).status());
    }
    return Status::OK();
  });
  if (!st.ok()) return st;
  return out;
}

std::string GrantStatus(const store::CreditGrantRecord& g, Timestamp now) {
  if (g.voided_at) return "void";
  if (g.expires_at && now >= *g.expires_at) return "expired";
  return g.remaining.IsZero() ? "used" : "active";
}

nlohmann::json GrantToJson(const store::CreditGrantRecord& g, Timestamp now) {
  auto time = [](const std::optional<Timestamp>& t) {
    return t ? nlohmann::json(FormatRfc3339(*t)) : nlohmann::json(nullptr);
  };
  return {{"id", g.id}, {"tenant", g.tenant}, {"currency", g.currency}, {"amount", MoneyString(g.amount, g.currency)},
          {"remaining", MoneyString(g.remaining, g.currency)}, {"priority", g.priority}, {"expires_at", time(g.expires_at)},
          {"reason", g.reason}, {"source", g.source}, {"created_at", FormatRfc3339(g.created_at)},
          {"voided_at", time(g.voided_at)}, {"void_reason", g.voided_at ? nlohmann::json(g.void_reason) : nlohmann::json(nullptr)},
          {"status", GrantStatus(g, now)}};
}

Result<std::vector<LedgerLine>> TenantLedger(store::Database& db, const std::string& tenant,
                                             const std::string& fallback_currency) {
  store::CreditStore credits(db);
  METER_ASSIGN_OR_RETURN(auto entries, credits.Ledger(tenant));
  METER_ASSIGN_OR_RETURN(auto grants, credits.Grants(tenant));
  std::map<std::string, std::string> currency_of;
  for (const auto& g : grants) currency_of[g.id] = g.currency;
  std::map<std::string, Decimal> running;
  std::vector<LedgerLine> out;
  out.reserve(entries.size());
  for (auto& e : entries) {
    auto it = currency_of.find(e.grant_id);
    std::string currency = it == currency_of.end() ? fallback_currency : it->second;
    Decimal& balance = running[currency];
    METER_ASSIGN_OR_RETURN(balance, e.kind == "grant" ? balance.Add(e.amount) : balance.Sub(e.amount));
    out.push_back(LedgerLine{std::move(e), std::move(currency), balance});
  }
  return out;
}

nlohmann::json LedgerLineToJson(const LedgerLine& line) {
  const store::LedgerEntry& e = line.entry;
  return {{"seq", e.seq}, {"tenant", e.tenant}, {"grant_id", e.grant_id}, {"kind", e.kind},
          {"amount", MoneyString(e.amount, line.currency)}, {"currency", line.currency},
          {"invoice", e.invoice_id.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.invoice_id)},
          {"note", e.note}, {"created_at", FormatRfc3339(e.created_at)}};
}

Result<std::vector<LedgerProblem>> CheckLedgers(store::Database& db) {
  std::vector<LedgerProblem> out;
  store::CreditStore credits(db);
  METER_ASSIGN_OR_RETURN(auto grants, credits.Grants(""));
  METER_ASSIGN_OR_RETURN(auto ledger, credits.Ledger(""));
  std::map<std::string, Decimal> net, granted;  // per grant: ledger balance, grant entries
  for (const auto& e : ledger) {
    Decimal& n = net[e.grant_id];
    if (e.kind == "grant") {
      METER_ASSIGN_OR_RETURN(granted[e.grant_id], granted[e.grant_id].Add(e.amount));
      METER_ASSIGN_OR_RETURN(n, n.Add(e.amount));
    } else if (e.kind == "draw" || e.kind == "expiry" || e.kind == "void") {
      METER_ASSIGN_OR_RETURN(n, n.Sub(e.amount));
    } else {
      out.push_back({e.tenant, fmt::format("ledger entry {} has unknown kind '{}'", e.seq, e.kind)});
    }
  }
  std::map<std::string, Decimal> tenant_ledger, tenant_remaining;
  for (const auto& g : grants) {
    Decimal n = net[g.id];
    if (granted[g.id] != g.amount)
      out.push_back({g.tenant, fmt::format("grant {}: amount {} but grant entries add up to {}", g.id,
                                           g.amount.ToString(), granted[g.id].ToString())});
    if (n != g.remaining)
      out.push_back({g.tenant, fmt::format("grant {}: remaining {} but grants - draws - expiries - voids = {}", g.id,
                                           g.remaining.ToString(), n.ToString())});
    if (g.remaining.IsNegative())
      out.push_back({g.tenant, fmt::format("grant {}: negative remaining {}", g.id, g.remaining.ToString())});
    METER_ASSIGN_OR_RETURN(tenant_ledger[g.tenant], tenant_ledger[g.tenant].Add(n));
    METER_ASSIGN_OR_RETURN(tenant_remaining[g.tenant], tenant_remaining[g.tenant].Add(g.remaining));
    net.erase(g.id);
  }
  for (const auto& [grant_id, n] : net)
    out.push_back({"", fmt::format("ledger entries for unknown grant {}", grant_id)});
  for (const auto& [tenant, n] : tenant_ledger)
    if (n != tenant_remaining[tenant])
      out.push_back({tenant, fmt::format("ledger balance {} differs from the grants' remaining {}", n.ToString(),
                                         tenant_remaining[tenant].ToString())});
  return out;
}

}  // namespace meter::billing
