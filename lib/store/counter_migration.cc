#include "store/counter_migration.h"

#include <algorithm>
#include <string>
#include <tuple>
#include <vector>

#include "store/counter_days.h"
#include "store/statement.h"

namespace meter::store {
namespace {

struct DayRow {
  std::string tenant, meter;
  Timestamp day = 0;
  std::string data;
};

void WriteRows(Database& db, const char* table, const std::vector<DayRow>& rows) {
  BulkInsert out(db, table, {"tenant_id", "meter", "day", "data"});
  for (const DayRow& r : rows) {
    out.add(r.tenant);
    out.add(r.meter);
    out.add(r.day);
    out.add(r.data);
    out.endRow();
  }
  out.finish();
}

}  // namespace

Status MigrateCountersToDays(Database& db) {
  return Guarded(db, [&]() -> Status {
    using counter_days::DayOf;
    struct Hour {
      std::string tenant, meter;
      counter_days::CounterHour h;
    };
    std::vector<Hour> hours;
    {
      Statement q(db, "SELECT tenant_id, meter, hour, value, events, latest_ts FROM usage_counters");
      while (q.executeStep())
        hours.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(),
                         {q.getColumn(2).getInt64(), q.getColumn(3).getInt64(), q.getColumn(4).getInt64(),
                          q.getColumn(5).getOptionalInt64()}});
    }
    std::sort(hours.begin(), hours.end(), [](const Hour& a, const Hour& b) {
      return std::tie(a.tenant, a.meter, a.h.hour) < std::tie(b.tenant, b.meter, b.h.hour);
    });
    std::vector<DayRow> days;
    std::vector<counter_days::CounterHour> one;
    for (size_t i = 0; i < hours.size();) {
      Timestamp day = DayOf(hours[i].h.hour);
      size_t j = i;
      one.clear();
      while (j < hours.size() && hours[j].tenant == hours[i].tenant && hours[j].meter == hours[i].meter &&
             DayOf(hours[j].h.hour) == day)
        one.push_back(hours[j++].h);
      days.push_back({hours[i].tenant, hours[i].meter, day, counter_days::EncodeCounters(day, one)});
      i = j;
    }
    hours.clear();
    WriteRows(db, "usage_counter_days", days);
    days.clear();

    struct Value {
      std::string tenant, meter;
      Timestamp hour;
      std::string value;
    };
    std::vector<Value> values;
    {
      Statement q(db, "SELECT tenant_id, meter, hour, value FROM usage_uniques");
      while (q.executeStep())
        values.push_back({q.getColumn(0).getString(), q.getColumn(1).getString(), q.getColumn(2).getInt64(),
                          q.getColumn(3).getString()});
    }
    std::sort(values.begin(), values.end(), [](const Value& a, const Value& b) {
      return std::tie(a.tenant, a.meter, a.hour, a.value) < std::tie(b.tenant, b.meter, b.hour, b.value);
    });
    std::vector<counter_days::UniqueHour> day_values;
    for (size_t i = 0; i < values.size();) {
      Timestamp day = DayOf(values[i].hour);
      size_t j = i;
      day_values.clear();
      while (j < values.size() && values[j].tenant == values[i].tenant && values[j].meter == values[i].meter &&
             DayOf(values[j].hour) == day) {
        day_values.push_back({values[j].hour, values[j].value});
        ++j;
      }
      days.push_back({values[i].tenant, values[i].meter, day, counter_days::EncodeUniques(day, day_values)});
      i = j;
    }
    values.clear();
    WriteRows(db, "usage_unique_days", days);
    Exec(db, "DROP TABLE usage_counters");
    Exec(db, "DROP TABLE usage_uniques");
    return Status::OK();
  });
}

}  // namespace meter::store
