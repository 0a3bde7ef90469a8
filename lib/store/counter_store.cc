#include "store/counter_store.h"

#include "store/statement.h"

namespace meter::store {
namespace {

// The combined rows of a range of hours, one SQL text per merge rule; the
// per-tenant form (`all`: every tenant) groups by tenant. kLatest takes the
// row with the greatest (latest_ts, value), as Combine does.
std::string TotalSql(CounterMerge merge, bool all) {
  std::string where = all ? "meter=? AND hour>=? AND hour<?" : "tenant_id=? AND meter=? AND hour>=? AND hour<?";
  std::string cols = all ? "tenant_id, " : "", group = all ? " GROUP BY tenant_id" : "";
  switch (merge) {
    case CounterMerge::kAdd:
      return "SELECT " + cols + "SUM(value), SUM(events), 0 FROM usage_counters WHERE " + where + group;
    case CounterMerge::kMax:
      return "SELECT " + cols + "MAX(value), SUM(events), 0 FROM usage_counters WHERE " + where + group;
    case CounterMerge::kLatest:
      return "SELECT " + cols + "value, n, latest_ts FROM (SELECT tenant_id, value, latest_ts, "
             "SUM(events) OVER (PARTITION BY tenant_id) AS n, ROW_NUMBER() OVER (PARTITION BY tenant_id "
             "ORDER BY latest_ts DESC, value DESC) AS rn FROM usage_counters WHERE " + where + ") t WHERE rn = 1";
  }
  return "";
}

CounterTotal ReadTotal(Statement& q, int first) {
  if (q.getColumn(first).isNull()) return {};
  return {q.getColumn(first).getInt64(), q.getColumn(first + 1).getInt64(), q.getColumn(first + 2).getInt64()};
}

void BindRange(Statement& q, int first, const Period& hours) {
  q.bind(first, static_cast<int64_t>(hours.start));
  q.bind(first + 1, static_cast<int64_t>(hours.end));
}

}  // namespace

Result<CounterTotal> CounterStore::Total(const std::string& tenant, const std::string& meter, CounterMerge merge,
                                         const Period& hours) {
  return Guarded(db_, [&]() -> Result<CounterTotal> {
    Statement& q = Cached(db_, TotalSql(merge, false));
    q.bind(1, tenant);
    q.bind(2, meter);
    BindRange(q, 3, hours);
    CounterTotal t = q.executeStep() ? ReadTotal(q, 0) : CounterTotal{};
    q.reset();  // a statement left on a row would keep its read snapshot open
    return t;
  });
}

Result<std::map<std::string, CounterTotal>> CounterStore::Totals(const std::string& meter, CounterMerge merge,
                                                                 const Period& hours) {
  return Guarded(db_, [&]() -> Result<std::map<std::string, CounterTotal>> {
    std::map<std::string, CounterTotal> out;
    Statement& q = Cached(db_, TotalSql(merge, true));
    q.bind(1, meter);
    BindRange(q, 2, hours);
    while (q.executeStep()) {
      CounterTotal t = ReadTotal(q, 1);
      if (t.events > 0) out[q.getColumn(0).getString()] = t;
    }
    return out;
  });
}

Result<int64_t> CounterStore::DistinctCount(const std::string& tenant, const std::string& meter, const Period& hours) {
  return Guarded(db_, [&]() -> Result<int64_t> {
    Statement& q = Cached(db_,
        "SELECT COUNT(DISTINCT value) FROM usage_uniques WHERE tenant_id=? AND meter=? AND hour>=? AND hour<?");
    q.bind(1, tenant);
    q.bind(2, meter);
    BindRange(q, 3, hours);
    int64_t n = q.executeStep() ? q.getColumn(0).getInt64() : int64_t{0};
    q.reset();  // a statement left on a row would keep its read snapshot open
    return n;
  });
}

Result<std::vector<std::string>> CounterStore::DistinctValues(const std::string& tenant, const std::string& meter,
                                                              const Period& hours) {
  return Guarded(db_, [&]() -> Result<std::vector<std::string>> {
    std::vector<std::string> out;
    Statement& q = Cached(db_,
        "SELECT DISTINCT value FROM usage_uniques WHERE tenant_id=? AND meter=? AND hour>=? AND hour<?");
    q.bind(1, tenant);
    q.bind(2, meter);
    BindRange(q, 3, hours);
    while (q.executeStep()) out.push_back(q.getColumn(0).getString());
    return out;
  });
}

Result<std::map<std::string, std::vector<std::string>>> CounterStore::DistinctValuesByTenant(
    const std::string& meter, const Period& hours) {
  return Guarded(db_, [&]() -> Result<std::map<std::string, std::vector<std::string>>> {
    std::map<std::string, std::vector<std::string>> out;
    Statement& q = Cached(db_,
        "SELECT DISTINCT tenant_id, value FROM usage_uniques WHERE meter=? AND hour>=? AND hour<?");
    q.bind(1, meter);
    BindRange(q, 2, hours);
    while (q.executeStep()) out[q.getColumn(0).getString()].push_back(q.getColumn(1).getString());
    return out;
  });
}

Status CounterStore::ReplaceHour(const std::string& tenant, const std::string& meter, Timestamp hour,
                                 const CounterTotal& t) {
  return Guarded(db_, [&]() -> Status {
    Statement& d = Cached(db_, "DELETE FROM usage_counters WHERE tenant_id=? AND meter=? AND hour=?");
    d.bind(1, tenant);
    d.bind(2, meter);
    d.bind(3, static_cast<int64_t>(hour));
    d.exec();
    if (t.events == 0) return Status::OK();
    Statement& q = Cached(db_,
        "INSERT INTO usage_counters(tenant_id, meter, hour, value, events, latest_ts) VALUES(?,?,?,?,?,?)");
    q.bind(1, tenant);
    q.bind(2, meter);
    q.bind(3, static_cast<int64_t>(hour));
    q.bind(4, t.value);
    q.bind(5, t.events);
    q.bind(6, static_cast<int64_t>(t.latest_ts));
    q.exec();
    return Status::OK();
  });
}

Status CounterStore::ReplaceUniques(const std::string& tenant, const std::string& meter, Timestamp hour,
                                    const std::vector<std::string>& values) {
  return Guarded(db_, [&]() -> Status {
    Statement& d = Cached(db_, "DELETE FROM usage_uniques WHERE tenant_id=? AND meter=? AND hour=?");
    d.bind(1, tenant);
    d.bind(2, meter);
    d.bind(3, static_cast<int64_t>(hour));
    d.exec();
    Statement& q = Cached(db_,
        "INSERT INTO usage_uniques(tenant_id, meter, hour, value) VALUES(?,?,?,?) "
        "ON CONFLICT(tenant_id, meter, hour, value) DO NOTHING");
    for (const std::string& v : values) {
      q.reset();
      q.bind(1, tenant);
      q.bind(2, meter);
      q.bind(3, static_cast<int64_t>(hour));
      q.bind(4, v);
      q.exec();
    }
    return Status::OK();
  });
}

Result<std::vector<CounterRow>> CounterStore::Rows(const std::string& tenant, const std::string& meter,
                                                  const Period& hours) {
  return Guarded(db_, [&]() -> Result<std::vector<CounterRow>> {
    std::vector<CounterRow> out;
    Statement& q = Cached(db_,
        "SELECT hour, value, events, COALESCE(latest_ts, 0) FROM usage_counters "
        "WHERE tenant_id=? AND meter=? AND hour>=? AND hour<? ORDER BY hour");
    q.bind(1, tenant);
    q.bind(2, meter);
    BindRange(q, 3, hours);
    while (q.executeStep())
      out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64(),
                     q.getColumn(3).getInt64()});
    return out;
  });
}

Result<std::vector<UniqueRow>> CounterStore::UniqueRows(const std::string& tenant, const std::string& meter,
                                                        const Period& hours) {
  return Guarded(db_, [&]() -> Result<std::vector<UniqueRow>> {
    std::vector<UniqueRow> out;
    Statement& q = Cached(db_,
        "SELECT hour, value FROM usage_uniques WHERE tenant_id=? AND meter=? AND hour>=? AND hour<? ORDER BY hour");
    q.bind(1, tenant);
    q.bind(2, meter);
    BindRange(q, 3, hours);
    while (q.executeStep()) out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getString()});
    return out;
  });
}

Status CounterStore::DeleteRange(const std::string& meter, const Period& hours) {
  return Guarded(db_, [&]() -> Status {
    for (const char* table : {"usage_counters", "usage_uniques"}) {
      Statement q(db_, std::string("DELETE FROM ") + table + " WHERE meter=? AND hour>=? AND hour<?");
      q.bind(1, meter);
      BindRange(q, 2, hours);
      q.exec();
    }
    return Status::OK();
  });
}

Result<std::map<std::string, std::string>> CounterStore::Definitions() {
  return Guarded(db_, [&]() -> Result<std::map<std::string, std::string>> {
    std::map<std::string, std::string> out;
    Statement q(db_, "SELECT meter, definition FROM usage_meter_definitions");
    while (q.executeStep()) out[q.getColumn(0).getString()] = q.getColumn(1).getString();
    return out;
  });
}

Status CounterStore::SetDefinition(const std::string& meter, const std::string& definition) {
  return Guarded(db_, [&]() -> Status {
    Statement q(db_,
        "INSERT INTO usage_meter_definitions(meter, definition) VALUES(?,?) "
        "ON CONFLICT(meter) DO UPDATE SET definition = excluded.definition");
    q.bind(1, meter);
    q.bind(2, definition);
    q.exec();
    return Status::OK();
  });
}

Status CounterStore::ForgetMeter(const std::string& meter) {
  return Guarded(db_, [&]() -> Status {
    for (const char* table : {"usage_counters", "usage_uniques", "usage_meter_definitions"}) {
      Statement q(db_, std::string("DELETE FROM ") + table + " WHERE meter=?");
      q.bind(1, meter);
      q.exec();
    }
    return Status::OK();
  });
}

}  // namespace meter::store
