#include "store/counter_store.h"

#include <algorithm>
#include <utility>

#include "store/counter_days.h"
#include "store/statement.h"

namespace meter::store {
namespace {

using counter_days::CounterHour;
using counter_days::DayOf;
using counter_days::UniqueHour;

constexpr const char* kCounterDays = "usage_counter_days";
constexpr const char* kUniqueDays = "usage_unique_days";

// The day rows that can hold hours of [hours.start, hours.end).
void BindDays(Statement& q, int first, const Period& hours) {
  q.bind(first, static_cast<int64_t>(DayOf(hours.start)));
  q.bind(first + 1, static_cast<int64_t>(hours.end));
}

bool Inside(Timestamp hour, const Period& hours) { return hour >= hours.start && hour < hours.end; }

// Decodes one day row (columns `day`, `data` at `col`) and appends its hours
// inside `hours`.
Status Append(Statement& q, int col, const Period& hours, std::vector<CounterHour>* out) {
  std::vector<CounterHour> day;
  METER_RETURN_IF_ERROR(counter_days::DecodeCounters(q.getColumn(col).getInt64(), q.getColumn(col + 1).getText(), &day));
  for (const CounterHour& h : day)
    if (Inside(h.hour, hours)) out->push_back(h);
  return Status::OK();
}

// The same for distinct values, copied out of the row.
Status Append(Statement& q, int col, const Period& hours, std::vector<UniqueRow>* out) {
  std::vector<UniqueHour> day;
  METER_RETURN_IF_ERROR(counter_days::DecodeUniques(q.getColumn(col).getInt64(), q.getColumn(col + 1).getText(), &day));
  for (const UniqueHour& u : day)
    if (Inside(u.hour, hours)) out->push_back({u.hour, std::string(u.value)});
  return Status::OK();
}

// Hours combined as the merge rule says: kAdd sums (an error past int64, as
// SQLite's SUM), kMax the largest, kLatest the value with the greatest
// (latest_ts, value), a row without latest_ts below any; events add up.
Result<CounterTotal> Combine(Database& db, CounterMerge merge, const std::vector<CounterHour>& rows) {
  CounterTotal t;
  const CounterHour* latest = nullptr;
  for (size_t i = 0; i < rows.size(); ++i) {
    const CounterHour& h = rows[i];
    bool overflow = __builtin_add_overflow(t.events, h.events, &t.events);
    if (merge == CounterMerge::kAdd) overflow = overflow || __builtin_add_overflow(t.value, h.value, &t.value);
    if (merge == CounterMerge::kMax && (i == 0 || h.value > t.value)) t.value = h.value;
    if (overflow) return Status::IOError("database '" + db.path() + "': integer overflow");
    if (merge == CounterMerge::kLatest &&
        (!latest || std::pair(h.latest_ts.value_or(INT64_MIN), h.value) >
                        std::pair(latest->latest_ts.value_or(INT64_MIN), latest->value)))
      latest = &h;
  }
  if (latest) {
    t.value = latest->value;
    t.latest_ts = latest->latest_ts.value_or(0);
  }
  return t;
}

// Writes a day row of `table`: `data` replaces the stored text, an empty
// `data` deletes the row.
void WriteDay(Database& db, const std::string& table, const std::string& tenant, const std::string& meter,
              Timestamp day, const std::string& data) {
  if (data.empty()) {
    Statement& d = Cached(db, "DELETE FROM " + table + " WHERE tenant_id=? AND meter=? AND day=?");
    d.bind(1, tenant);
    d.bind(2, meter);
    d.bind(3, static_cast<int64_t>(day));
    d.exec();
    return;
  }
  Statement& q = Cached(db, "INSERT INTO " + table + "(tenant_id, meter, day, data) VALUES(?,?,?,?) "
                                "ON CONFLICT(tenant_id, meter, day) DO UPDATE SET data = excluded.data");
  q.bind(1, tenant);
  q.bind(2, meter);
  q.bind(3, static_cast<int64_t>(day));
  q.bind(4, data);
  q.exec();
}

// The stored text of one day row of `table`, "" when there is none.
std::string ReadDay(Database& db, const std::string& table, const std::string& tenant, const std::string& meter,
                    Timestamp day) {
  Statement& q = Cached(db, "SELECT data FROM " + table + " WHERE tenant_id=? AND meter=? AND day=?");
  q.bind(1, tenant);
  q.bind(2, meter);
  q.bind(3, static_cast<int64_t>(day));
  std::string data = q.executeStep() ? q.getColumn(0).getString() : std::string();
  q.reset();  // a statement left on a row would keep its read snapshot open
  return data;
}

// One tenant's hours of `meter` in `hours` from the day rows of `table`,
// oldest first (Row: CounterHour from kCounterDays, UniqueRow from kUniqueDays).
template <typename Row>
Result<std::vector<Row>> TenantRows(Database& db, const std::string& table, const std::string& tenant,
                                    const std::string& meter, const Period& hours) {
  std::vector<Row> out;
  Statement& q =
      Cached(db, "SELECT day, data FROM " + table + " WHERE tenant_id=? AND meter=? AND day>=? AND day<? ORDER BY day");
  q.bind(1, tenant);
  q.bind(2, meter);
  BindDays(q, 3, hours);
  while (q.executeStep()) METER_RETURN_IF_ERROR(Append(q, 0, hours, &out));
  return out;
}
Result<std::vector<CounterHour>> TenantHours(Database& db, const std::string& tenant, const std::string& meter,
                                             const Period& hours) {
  return TenantRows<CounterHour>(db, kCounterDays, tenant, meter, hours);
}
Result<std::vector<UniqueRow>> TenantValues(Database& db, const std::string& tenant, const std::string& meter,
                                            const Period& hours) {
  return TenantRows<UniqueRow>(db, kUniqueDays, tenant, meter, hours);
}

std::vector<std::string> Distinct(const std::vector<UniqueRow>& rows) {
  std::vector<std::string> out;
  out.reserve(rows.size());
  for (const UniqueRow& r : rows) out.push_back(r.value);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

}  // namespace

Result<CounterTotal> CounterStore::Total(const std::string& tenant, const std::string& meter, CounterMerge merge,
                                         const Period& hours) {
  return Guarded(db_, [&]() -> Result<CounterTotal> {
    METER_ASSIGN_OR_RETURN(std::vector<CounterHour> rows, TenantHours(db_, tenant, meter, hours));
    return Combine(db_, merge, rows);
  });
}

Result<std::map<std::string, CounterTotal>> CounterStore::Totals(const std::string& meter, CounterMerge merge,
                                                                 const Period& hours) {
  return Guarded(db_, [&]() -> Result<std::map<std::string, CounterTotal>> {
    std::map<std::string, std::vector<CounterHour>> by_tenant;
    Statement& q = Cached(db_, "SELECT tenant_id, day, data FROM usage_counter_days WHERE meter=? AND day>=? AND day<?");
    q.bind(1, meter);
    BindDays(q, 2, hours);
    while (q.executeStep()) METER_RETURN_IF_ERROR(Append(q, 1, hours, &by_tenant[q.getColumn(0).getString()]));
    std::map<std::string, CounterTotal> out;
    for (auto& [tenant, rows] : by_tenant) {
      std::sort(rows.begin(), rows.end(), [](auto& a, auto& b) { return a.hour < b.hour; });
      METER_ASSIGN_OR_RETURN(CounterTotal t, Combine(db_, merge, rows));
      if (t.events > 0) out[tenant] = t;
    }
    return out;
  });
}

Result<int64_t> CounterStore::DistinctCount(const std::string& tenant, const std::string& meter, const Period& hours) {
  return Guarded(db_, [&]() -> Result<int64_t> {
    METER_ASSIGN_OR_RETURN(std::vector<UniqueRow> rows, TenantValues(db_, tenant, meter, hours));
    return static_cast<int64_t>(Distinct(rows).size());
  });
}

Result<std::vector<std::string>> CounterStore::DistinctValues(const std::string& tenant, const std::string& meter,
                                                              const Period& hours) {
  return Guarded(db_, [&]() -> Result<std::vector<std::string>> {
    METER_ASSIGN_OR_RETURN(std::vector<UniqueRow> rows, TenantValues(db_, tenant, meter, hours));
    return Distinct(rows);
  });
}

Result<std::map<std::string, std::vector<std::string>>> CounterStore::DistinctValuesByTenant(
    const std::string& meter, const Period& hours) {
  return Guarded(db_, [&]() -> Result<std::map<std::string, std::vector<std::string>>> {
    std::map<std::string, std::vector<UniqueRow>> by_tenant;
    Statement& q = Cached(db_, "SELECT tenant_id, day, data FROM usage_unique_days WHERE meter=? AND day>=? AND day<?");
    q.bind(1, meter);
    BindDays(q, 2, hours);
    while (q.executeStep()) METER_RETURN_IF_ERROR(Append(q, 1, hours, &by_tenant[q.getColumn(0).getString()]));
    std::map<std::string, std::vector<std::string>> out;
    for (const auto& [tenant, rows] : by_tenant)
      if (!rows.empty()) out[tenant] = Distinct(rows);
    return out;
  });
}

Status CounterStore::ReplaceHour(const std::string& tenant, const std::string& meter, Timestamp hour,
                                 const CounterTotal& t) {
  return Guarded(db_, [&]() -> Status {
    Timestamp day = DayOf(hour);
    std::string stored = ReadDay(db_, kCounterDays, tenant, meter, day);
    std::vector<CounterHour> rows, kept;
    METER_RETURN_IF_ERROR(counter_days::DecodeCounters(day, stored, &rows));
    for (const CounterHour& h : rows)
      if (h.hour != hour) kept.push_back(h);
    if (t.events != 0) {
      CounterHour h{hour, t.value, t.events, std::nullopt};
      if (t.latest_ts != 0) h.latest_ts = t.latest_ts;
      kept.insert(std::lower_bound(kept.begin(), kept.end(), h, [](auto& a, auto& b) { return a.hour < b.hour; }), h);
    }
    WriteDay(db_, kCounterDays, tenant, meter, day, counter_days::EncodeCounters(day, kept));
    return Status::OK();
  });
}

Status CounterStore::ReplaceUniques(const std::string& tenant, const std::string& meter, Timestamp hour,
                                    const std::vector<std::string>& values) {
  return Guarded(db_, [&]() -> Status {
    Timestamp day = DayOf(hour);
    std::string stored = ReadDay(db_, kUniqueDays, tenant, meter, day);
    std::vector<UniqueHour> rows, kept, added, merged;
    METER_RETURN_IF_ERROR(counter_days::DecodeUniques(day, stored, &rows));
    for (const UniqueHour& u : rows)
      if (u.hour != hour) kept.push_back(u);
    for (const std::string& v : values) added.push_back({hour, v});
    std::sort(added.begin(), added.end(), [](auto& a, auto& b) { return a.value < b.value; });
    added.erase(std::unique(added.begin(), added.end()), added.end());
    counter_days::MergeUniques(kept, added, &merged);
    WriteDay(db_, kUniqueDays, tenant, meter, day, counter_days::EncodeUniques(day, merged));
    return Status::OK();
  });
}

Result<std::vector<CounterRow>> CounterStore::Rows(const std::string& tenant, const std::string& meter,
                                                  const Period& hours) {
  return Guarded(db_, [&]() -> Result<std::vector<CounterRow>> {
    METER_ASSIGN_OR_RETURN(std::vector<CounterHour> rows, TenantHours(db_, tenant, meter, hours));
    std::vector<CounterRow> out;
    out.reserve(rows.size());
    for (const CounterHour& h : rows) out.push_back({h.hour, h.value, h.events, h.latest_ts.value_or(0)});
    return out;
  });
}

Result<std::vector<UniqueRow>> CounterStore::UniqueRows(const std::string& tenant, const std::string& meter,
                                                        const Period& hours) {
  return Guarded(db_, [&]() -> Result<std::vector<UniqueRow>> { return TenantValues(db_, tenant, meter, hours); });
}

Status CounterStore::DeleteRange(const std::string& meter, const Period& hours) {
  return Guarded(db_, [&]() -> Status {
    for (bool uniques : {false, true}) {
      std::string table = uniques ? kUniqueDays : kCounterDays;
      struct Day {
        std::string tenant, data;
        Timestamp day;
      };
      std::vector<Day> days;
      {
        Statement q(db_, "SELECT tenant_id, day, data FROM " + table + " WHERE meter=? AND day>=? AND day<?");
        q.bind(1, meter);
        BindDays(q, 2, hours);
        while (q.executeStep())
          days.push_back({q.getColumn(0).getString(), q.getColumn(2).getString(), q.getColumn(1).getInt64()});
      }
      for (const Day& d : days) {
        std::string data;
        if (uniques) {
          std::vector<UniqueHour> rows, kept;
          METER_RETURN_IF_ERROR(counter_days::DecodeUniques(d.day, d.data, &rows));
          for (const UniqueHour& u : rows)
            if (!Inside(u.hour, hours)) kept.push_back(u);
          data = counter_days::EncodeUniques(d.day, kept);
        } else {
          std::vector<CounterHour> rows, kept;
          METER_RETURN_IF_ERROR(counter_days::DecodeCounters(d.day, d.data, &rows));
          for (const CounterHour& h : rows)
            if (!Inside(h.hour, hours)) kept.push_back(h);
          data = counter_days::EncodeCounters(d.day, kept);
        }
        if (data != d.data) WriteDay(db_, table, d.tenant, meter, d.day, data);
      }
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
    for (const char* table : {kCounterDays, kUniqueDays, "usage_meter_definitions"}) {
      Statement q(db_, std::string("DELETE FROM ") + table + " WHERE meter=?");
      q.bind(1, meter);
      q.exec();
    }
    return Status::OK();
  });
}

}  // namespace meter::store
