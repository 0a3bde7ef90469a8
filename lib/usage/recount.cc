#include "usage/recount.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "ingest/meters.h"
#include "store/counter_store.h"
#include "store/report_store.h"
#include "usage/aggregate.h"

namespace meter::usage {

Status RecountHours(store::Database& db, const std::vector<CounterHour>& hours) {
  store::CounterStore counters(db);
  std::vector<ingest::Contribution> out;
  for (const CounterHour& h : hours) {
    const catalog::Meter& m = *h.meter;
    ingest::MeterEvaluator eval(std::vector<const catalog::Meter*>{&m});
    ingest::MeterValue v(m.aggregation);
    store::EventQuery q{.tenant = h.tenant, .period = HourOf(h.hour), .metrics = {m.event}};
    METER_RETURN_IF_ERROR(store::ReportStore(db).ForEachEvent(q, [&](const Event& e) {
      if (!eval.Evaluate(e, &out).ok()) return Status::OK();
      for (const ingest::Contribution& c : out) v.Add(c, e.timestamp);
      return Status::OK();
    }));
    if (m.aggregation == catalog::Aggregation::kUniqueCount) {
      std::vector<std::string> values(v.uniques().begin(), v.uniques().end());
      METER_RETURN_IF_ERROR(counters.ReplaceUniques(h.tenant, m.key, HourOf(h.hour).start, values));
    } else {
      METER_ASSIGN_OR_RETURN(int64_t micros, v.micros());
      store::CounterTotal t{micros, v.events(), v.latest_ts()};
      METER_RETURN_IF_ERROR(counters.ReplaceHour(h.tenant, m.key, HourOf(h.hour).start, t));
    }
  }
  return Status::OK();
}

Status UncountVoided(store::Database& db, const catalog::Catalog& c, const std::vector<Event>& voided) {
  ingest::MeterEvaluator eval(c);
  std::vector<ingest::Contribution> out;
  std::set<std::tuple<std::string, std::string, Timestamp>> seen;
  std::vector<CounterHour> hours;
  for (const Event& e : voided) {
    if (!eval.Evaluate(e, &out).ok()) continue;  // it fed no counter
    for (const ingest::Contribution& con : out)
      if (seen.emplace(e.tenant, con.meter->key, HourOf(e.timestamp).start).second)
        hours.push_back({e.tenant, con.meter, HourOf(e.timestamp).start});
  }
  return db.Transaction([&]() -> Status {
    METER_RETURN_IF_ERROR(RecountHours(db, hours));
    return RefreshRollups(db, c, hours);
  });
}

Status RecountRange(store::Database& db, const std::vector<const catalog::Meter*>& meters, const Period& span) {
  if (meters.empty()) return Status::OK();
  Period hours{HourOf(span.start).start, HourOf(span.end - 1).end};
  std::vector<std::string> metrics;
  for (const catalog::Meter* m : meters)
    if (std::find(metrics.begin(), metrics.end(), m->event) == metrics.end()) metrics.push_back(m->event);
  ingest::MeterEvaluator eval(meters);
  std::map<std::tuple<const catalog::Meter*, std::string, Timestamp>, ingest::MeterValue> values;
  std::vector<ingest::Contribution> out;
  METER_RETURN_IF_ERROR(store::ReportStore(db).ForEachEvent({"", hours, metrics, false, std::nullopt}, [&](const Event& e) {
    if (!eval.Evaluate(e, &out).ok()) return Status::OK();
    for (const ingest::Contribution& c : out)
      values.try_emplace({c.meter, e.tenant, HourOf(e.timestamp).start}, c.meter->aggregation)
          .first->second.Add(c, e.timestamp);
    return Status::OK();
  }));
  store::CounterStore counters(db);
  return db.Transaction([&]() -> Status {
    for (const catalog::Meter* m : meters) METER_RETURN_IF_ERROR(counters.DeleteRange(m->key, hours));
    for (const auto& [key, v] : values) {
      const auto& [m, tenant, hour] = key;
      if (m->aggregation == catalog::Aggregation::kUniqueCount) {
        std::vector<std::string> distinct(v.uniques().begin(), v.uniques().end());
        METER_RETURN_IF_ERROR(counters.ReplaceUniques(tenant, m->key, hour, distinct));
      } else {
        METER_ASSIGN_OR_RETURN(int64_t micros, v.micros());
        METER_RETURN_IF_ERROR(counters.ReplaceHour(tenant, m->key, hour, {micros, v.events(), v.latest_ts()}));
      }
    }
    return Status::OK();
  });
}

Result<int64_t> SyncCounters(store::Database& db, const catalog::Catalog& c) {
  int64_t recounted = 0;
  METER_RETURN_IF_ERROR(db.Transaction([&]() -> Status {
    store::CounterStore counters(db);
    METER_ASSIGN_OR_RETURN(auto stored, counters.Definitions());
    bool adopt = stored.empty();
    std::vector<const catalog::Meter*> changed;
    for (const catalog::Meter& m : c.meters) {
      std::string def = ingest::MeterDefinition(m);
      auto it = stored.find(m.key);
      if (it != stored.end() && it->second == def) continue;
      if (!adopt) changed.push_back(&m);
      METER_RETURN_IF_ERROR(counters.SetDefinition(m.key, def));
    }
    for (const auto& [key, def] : stored)
      if (!c.FindMeter(key)) METER_RETURN_IF_ERROR(counters.ForgetMeter(key));
    recounted = static_cast<int64_t>(changed.size());
    return RecountRange(db, changed, {INT64_MIN / 4, INT64_MAX / 4});
  }));
  return recounted;
}

}  // namespace meter::usage
