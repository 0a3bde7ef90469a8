#include "store/rollup_store.h"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/json_util.h"
#include "store/sqlite_internal.h"

namespace meter::store {

using catalog::Aggregation;
using catalog::Meter;

std::string_view RollupPeriodName(RollupPeriod p) {
  switch (p) {
    case RollupPeriod::kHour: return "hour";
    case RollupPeriod::kDay: return "day";
    case RollupPeriod::kMonth: return "month";
  }
  return "";
}

Result<RollupPeriod> ParseRollupPeriod(std::string_view name) {
  if (name == "hour") return RollupPeriod::kHour;
  if (name == "day") return RollupPeriod::kDay;
  if (name == "month") return RollupPeriod::kMonth;
  return Status::InvalidArgument(fmt::format("unknown period '{}' (hour, day, month)", name));
}

std::string MeterDefinition(const Meter& m) {
  nlohmann::json where = nlohmann::json::array();
  for (const auto& w : m.where) where.push_back({w.field, w.equals});
  return DumpJson(nlohmann::json{{"v", 1}, {"event", m.event}, {"aggregation", catalog::AggregationName(m.aggregation)},
                                 {"value", m.value}, {"where", where}});
}

namespace {

// ---- SQL for one meter's view of an event (the rules of ingest::MeterEvaluator) ----

// A SQL string literal holding `s` (catalog text: event names, where values).
// SQLite stops reading a statement at a NUL byte, so each NUL is joined on
// as char(0) rather than written inside the literal.
std::string Quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\0') {
      out += "' || char(0) || '";
      continue;
    }
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

enum class FieldKind { kText, kQuantity, kLatency, kCost, kProperty };

struct FieldSql {
  FieldKind kind = FieldKind::kText;
  std::string column;  // kText: the events column
  std::string path;    // kProperty: a quoted JSON path literal such as '$."a"."b"'
};

// A field named by a meter's `value` or `where`: a native field, or
// "properties.a.b" (a bare name that is no native field is a property too).
FieldSql ResolveField(const std::string& name) {
  static const std::pair<const char*, const char*> kText[] = {
      {"user", "user_id"}, {"operation", "operation"}, {"status", "status"},
      {"metric", "metric"}, {"tenant", "tenant_id"},   {"id", "id"}};
  if (name == "quantity") return {FieldKind::kQuantity, "quantity", ""};
  if (name == "latency_ms") return {FieldKind::kLatency, "latency_ms", ""};
  if (name == "cost") return {FieldKind::kCost, "cost", ""};
  for (const auto& [field, column] : kText)
    if (name == field) return {FieldKind::kText, column, ""};
  std::string_view rest = name;
  if (rest.starts_with("properties.")) rest.remove_prefix(11);
  std::string path = "$";
  for (size_t dot; (dot = rest.find('.')) != std::string_view::npos; rest.remove_prefix(dot + 1))
    path += fmt::format(".\"{}\"", rest.substr(0, dot));
  path += fmt::format(".\"{}\"", rest);
  return {FieldKind::kProperty, "", Quote(path)};
}

// JSON number grammar, as ingest requires before comparing numerically.
bool IsJsonNumber(std::string_view s) {
  size_t i = 0, n = s.size();
  auto digits = [&] { size_t b = i; while (i < n && s[i] >= '0' && s[i] <= '9') ++i; return i > b; };
  if (i < n && s[i] == '-') ++i;
  if (i < n && s[i] == '0') ++i;
  else if (!digits()) return false;
  if (i < n && s[i] == '.') { ++i; if (!digits()) return false; }
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == n;
}

std::optional<Decimal> NumberOf(const std::string& text) {
  if (!IsJsonNumber(text)) return std::nullopt;
  auto d = ParseDecimalNumberText(text);
  if (!d.ok()) return std::nullopt;
  return *d;
}

std::string PropertyWhereSql(const FieldSql& f, const std::string& eq) {
  std::string get = fmt::format("(properties ->> {})", f.path), raw = fmt::format("(properties -> {})", f.path);
  std::string number = fmt::format("{} = {}", raw, Quote(eq));
  if (auto d = NumberOf(eq)) number = fmt::format("({} OR {} = {})", number, get, d->ToString());
  return fmt::format(
      "(CASE json_type(properties, {0}) WHEN 'text' THEN {1} = {2} WHEN 'integer' THEN {3} WHEN 'real' THEN {3} "
      "WHEN 'true' THEN {4} WHEN 'false' THEN {5} WHEN 'null' THEN 0 ELSE {6} = {2} END)",
      f.path, get, Quote(eq), number, eq == "true" ? 1 : 0, eq == "false" ? 1 : 0, raw);
}

// One `where` condition as a SQL boolean (NULL counts as false).
std::string WhereSql(const catalog::WhereClause& w) {
  FieldSql f = ResolveField(w.field);
  std::optional<Decimal> num = NumberOf(w.equals);
  switch (f.kind) {
    case FieldKind::kText:
      return w.equals.empty() ? "0" : fmt::format("{} = {}", f.column, Quote(w.equals));
    case FieldKind::kQuantity: {
      if (!num) return "0";
      auto micros = num->ToScaledInt64(6);
      return micros.ok() ? fmt::format("quantity = {}", *micros) : "0";
    }
    case FieldKind::kLatency:
      return num && num->IsInteger() ? fmt::format("latency_ms = {}", num->ToString()) : "0";
    case FieldKind::kCost:
      return fmt::format("cost = {}", Quote(num ? num->ToString() : w.equals));
    case FieldKind::kProperty:
      return PropertyWhereSql(f, w.equals);
  }
  return "0";
}

// The meter's number in millionths (NULL when the event has none); empty for
// count meters, which count events whatever their value.
std::string ValueSql(const Meter& m) {
  if (m.aggregation == Aggregation::kCount) return "";
  FieldSql f = ResolveField(m.value);
  switch (f.kind) {
    case FieldKind::kQuantity: return "quantity";
    case FieldKind::kLatency: return "(latency_ms * 1000000)";
    case FieldKind::kCost: return "CAST(ROUND(cost * 1000000) AS INTEGER)";
    case FieldKind::kText: return fmt::format("CAST(ROUND(NULLIF({}, '') * 1000000) AS INTEGER)", f.column);
    case FieldKind::kProperty:
      return fmt::format(
          "(CASE json_type(properties, {0}) WHEN 'integer' THEN (properties ->> {0}) * 1000000 "
          "WHEN 'real' THEN CAST(ROUND((properties ->> {0}) * 1000000) AS INTEGER) "
          "WHEN 'text' THEN CAST(ROUND((properties ->> {0}) * 1000000) AS INTEGER) END)",
          f.path);
  }
  return "";
}

// The text a unique_count meter counts (NULL when absent or empty).
std::string UniqueSql(const Meter& m) {
  FieldSql f = ResolveField(m.value);
  switch (f.kind) {
    case FieldKind::kText: return fmt::format("NULLIF({}, '')", f.column);
    case FieldKind::kQuantity:
      return "(CASE WHEN quantity % 1000000 = 0 THEN CAST(quantity / 1000000 AS TEXT) ELSE "
             "rtrim(printf('%d.%06d', quantity / 1000000, quantity % 1000000), '0') END)";
    case FieldKind::kLatency: return "CAST(latency_ms AS TEXT)";
    case FieldKind::kCost: return "NULLIF(cost, '')";
    case FieldKind::kProperty:
      return fmt::format(
          "(CASE json_type(properties, {0}) WHEN 'text' THEN NULLIF(properties ->> {0}, '') "
          "WHEN 'null' THEN NULL ELSE properties -> {0} END)",
          f.path);
  }
  return "NULL";
}

// The events the meter reads: its metric and every `where` condition.
std::string FilterSql(const Meter& m) {
  std::string sql = fmt::format("metric = {}", Quote(m.event));
  for (const auto& w : m.where) sql += " AND " + WhereSql(w);
  return sql;
}

// The expression a meter's value is read with, whatever its aggregation.
std::string ContributionSql(const Meter& m) {
  return m.aggregation == Aggregation::kUniqueCount ? UniqueSql(m) : ValueSql(m);
}

std::string BucketOfTs(RollupPeriod p) {
  switch (p) {
    case RollupPeriod::kHour: return "(ts / 3600000 * 3600000)";
    case RollupPeriod::kDay: return "(ts / 86400000 * 86400000)";
    case RollupPeriod::kMonth:
      return "(SELECT mm.start FROM temp.rollup_months mm WHERE mm.tenant_id = events.tenant_id "
             "AND mm.start <= events.ts AND mm.stop > events.ts)";
  }
  return "";
}

// ---- the one-scan hourly plan ----

// The columns of one GROUP BY that serves every meter of a scan. The where
// conditions become bits of one integer column per 60 conditions (a short
// sort key however many meters filter), each condition evaluated only for
// its meter's metric; each aggregate appears once however many meters share
// it, guarded by the metric so JSON is only read for the events that need it.
struct ScanPlan {
  static constexpr size_t kBitsPerColumn = 60;
  std::vector<std::string> metrics;
  std::vector<std::pair<std::string, std::string>> conds;  // (metric, condition); bit i
  std::vector<std::string> aggs = {"COUNT(*)"};             // aggregate columns after the bits
  struct PerMeter {
    std::vector<size_t> conds;
    int value = -1;  // aggregate column of the value (sum, max); -1: none
    int events = 0;  // aggregate column counting contributing events
  };
  std::vector<PerMeter> meters;
  size_t bit_columns() const { return (conds.size() + kBitsPerColumn - 1) / kBitsPerColumn; }
};

template <typename T>
size_t Intern(std::vector<T>* v, const T& s) {
  for (size_t i = 0; i < v->size(); ++i)
    if ((*v)[i] == s) return i;
  v->push_back(s);
  return v->size() - 1;
}

std::string MetricGuard(const Meter& m, const std::string& expr) {
  return fmt::format("(CASE WHEN metric = {} THEN {} END)", Quote(m.event), expr);
}

ScanPlan::PerMeter PlanMeter(const Meter& m, ScanPlan* plan) {
  ScanPlan::PerMeter pm;
  for (const auto& w : m.where) pm.conds.push_back(Intern(&plan->conds, {m.event, WhereSql(w)}));
  if (m.aggregation == Aggregation::kCount) return pm;
  std::string v = ContributionSql(m);
  std::string fn = m.aggregation == Aggregation::kSum ? "SUM" : m.aggregation == Aggregation::kMax ? "MAX" : "";
  if (v != "quantity") {
    v = MetricGuard(m, v);
    pm.events = static_cast<int>(Intern(&plan->aggs, "COUNT(" + v + ")"));
  }
  if (!fn.empty()) pm.value = static_cast<int>(Intern(&plan->aggs, fn + "(" + v + ")"));
  return pm;
}

ScanPlan PlanScan(const std::vector<const Meter*>& meters) {
  ScanPlan plan;
  for (const Meter* m : meters) {
    Intern(&plan.metrics, m->event);
    plan.meters.push_back(PlanMeter(*m, &plan));
  }
  return plan;
}

// Bit column `col`: CASE metric WHEN 'x' THEN (c0 IS 1) | ((c1 IS 1) << 1) ... END.
std::string BitColumnSql(const ScanPlan& plan, size_t col) {
  std::map<std::string, std::string> by_metric;
  for (size_t i = col * ScanPlan::kBitsPerColumn; i < plan.conds.size() && i / ScanPlan::kBitsPerColumn == col; ++i) {
    std::string& e = by_metric[plan.conds[i].first];
    e += fmt::format("{}((({}) IS 1) << {})", e.empty() ? "" : " | ", plan.conds[i].second, i % ScanPlan::kBitsPerColumn);
  }
  std::string sql = "(CASE metric";
  for (const auto& [metric, bits] : by_metric) sql += fmt::format(" WHEN {} THEN {}", Quote(metric), bits);
  return sql + " ELSE 0 END)";
}

std::string InList(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + Quote(s);
  return "(" + out + ")";
}

std::string ScanSql(const ScanPlan& plan) {
  std::string cols = "tenant_id, metric, ts / 3600000 * 3600000 AS h", group = "tenant_id, metric, h";
  for (size_t i = 0; i < plan.bit_columns(); ++i) {
    cols += fmt::format(", {} AS c{}", BitColumnSql(plan, i), i);
    group += fmt::format(", c{}", i);
  }
  for (const auto& a : plan.aggs) cols += ", " + a;
  return fmt::format("SELECT {} FROM events WHERE seq > ?1 AND seq <= ?2 AND metric IN {} GROUP BY {}", cols,
                     InList(plan.metrics), group);
}

using PartialKey = std::tuple<size_t, std::string, Timestamp>;

// Folds one GROUP BY row into the partials of every meter it feeds.
void FoldScanRow(SQLite::Statement& q, const std::vector<const Meter*>& meters, const ScanPlan& plan,
                 std::map<PartialKey, RollupStore::HourlyPartial>* out) {
  std::string tenant = q.getColumn(0).getString(), metric = q.getColumn(1).getString();
  Timestamp hour = q.getColumn(2).getInt64();
  int base = 3 + static_cast<int>(plan.bit_columns());
  for (size_t i = 0; i < meters.size(); ++i) {
    const Meter& m = *meters[i];
    const auto& pm = plan.meters[i];
    if (m.event != metric) continue;
    bool match = true;
    for (size_t c : pm.conds) {
      int64_t bits = q.getColumn(3 + static_cast<int>(c / ScanPlan::kBitsPerColumn)).getInt64();
      match = match && ((bits >> (c % ScanPlan::kBitsPerColumn)) & 1);
    }
    int64_t events = q.getColumn(base + pm.events).getInt64();
    if (!match || events == 0) continue;
    auto& p = (*out)[PartialKey{i, tenant, hour}];
    p.meter = i, p.tenant = tenant, p.hour = hour;
    p.events += events;
    int64_t value = pm.value >= 0 ? q.getColumn(base + pm.value).getInt64() : 0;
    switch (m.aggregation) {
      case Aggregation::kCount: p.value += events * 1000000; break;
      case Aggregation::kSum: p.value += value; break;
      case Aggregation::kMax: p.value = std::max(p.value, value); break;
      case Aggregation::kLatest:       // value and time from LatestSql
      case Aggregation::kUniqueCount:  // value from the distinct sets
        break;
    }
  }
}

// The latest value per tenant and hour of one latest meter: the value of the
// event with the greatest (time, value), as counters keep it.
std::string LatestSql(const Meter& m, const std::string& bucket, const std::string& extra_where) {
  std::string v = ValueSql(m);
  return fmt::format(
      "SELECT tenant_id, b, ts, v, n FROM (SELECT tenant_id, {0} AS b, ts, {1} AS v, "
      "ROW_NUMBER() OVER (PARTITION BY tenant_id, {0} ORDER BY ts DESC, {1} DESC) AS rn, "
      "COUNT(*) OVER (PARTITION BY tenant_id, {0}) AS n "
      "FROM events WHERE {2} AND {1} IS NOT NULL{3}) WHERE rn = 1",
      bucket, v, FilterSql(m), extra_where);
}

// Runs an INSERT of usage_rollups(period, meter, tenant_id, bucket, value,
// events, latest_ts) for one bucket.
void InsertBucket(SQLite::Statement& q, const std::string& period, const std::string& meter, const RollupBucket& b,
                  int64_t value) {
  q.bind(1, period);
  q.bind(2, meter);
  q.bind(3, b.tenant);
  q.bind(4, static_cast<int64_t>(b.bucket));
  q.bind(5, value);
  q.bind(6, b.events);
  q.bind(7, static_cast<int64_t>(b.latest_ts));
  q.exec();
  q.reset();
}

void BindWindow(SQLite::Statement& q, int first, const BucketWindow& w) {
  q.bind(first, static_cast<int64_t>(w.from.value_or(INT64_MIN / 2)));
  q.bind(first + 1, static_cast<int64_t>(w.to.value_or(INT64_MAX / 2)));
}

}  // namespace

Status RollupStore::TuneForScans() {
  return Guarded(db_, [&]() -> Status {
    Sql(db_).exec("PRAGMA temp_store=FILE");
    Sql(db_).exec("PRAGMA cache_size=-8192");
    return Status::OK();
  });
}

Result<std::vector<RollupWatermark>> RollupStore::Watermarks() {
  return Guarded(db_, [&]() -> Result<std::vector<RollupWatermark>> {
    std::vector<RollupWatermark> out;
    SQLite::Statement q(Sql(db_), "SELECT period, meter, definition, last_seq FROM usage_rollup_state");
    while (q.executeStep()) {
      auto p = ParseRollupPeriod(q.getColumn(0).getString());
      if (!p.ok()) continue;
      out.push_back({*p, q.getColumn(1).getString(), q.getColumn(2).getString(), q.getColumn(3).getInt64()});
    }
    return out;
  });
}

Result<int64_t> RollupStore::LastEventSeq() {
  return Guarded(db_, [&]() -> Result<int64_t> {
    SQLite::Statement q(Sql(db_), "SELECT IFNULL(MAX(seq), 0) FROM events");
    q.executeStep();
    return q.getColumn(0).getInt64();
  });
}

Status RollupStore::Restart(RollupPeriod p, const std::string& meter, const std::string& definition, Timestamp now) {
  return Guarded(db_, [&]() -> Status {
    METER_RETURN_IF_ERROR(Forget(p, meter));
    SQLite::Statement q(Sql(db_),
        "INSERT INTO usage_rollup_state(period, meter, definition, last_seq, updated_at) VALUES(?,?,?,0,?)");
    q.bind(1, std::string(RollupPeriodName(p)));
    q.bind(2, meter);
    q.bind(3, definition);
    q.bind(4, static_cast<int64_t>(now));
    q.exec();
    return Status::OK();
  });
}

Status RollupStore::Forget(RollupPeriod p, const std::string& meter) {
  return Guarded(db_, [&]() -> Status {
    for (const char* table : {"usage_rollups", "usage_rollup_uniques", "usage_rollup_state"}) {
      SQLite::Statement q(Sql(db_), fmt::format("DELETE FROM {} WHERE period=? AND meter=?", table));
      q.bind(1, std::string(RollupPeriodName(p)));
      q.bind(2, meter);
      q.exec();
    }
    return Status::OK();
  });
}

Status RollupStore::SetWatermark(RollupPeriod p, const std::string& meter, int64_t last_seq, Timestamp now) {
  return Guarded(db_, [&]() -> Status {
    SQLite::Statement& q =
        Prepared(db_, "UPDATE usage_rollup_state SET last_seq=?, updated_at=? WHERE period=? AND meter=?");
    q.bind(1, last_seq);
    q.bind(2, static_cast<int64_t>(now));
    q.bind(3, std::string(RollupPeriodName(p)));
    q.bind(4, meter);
    q.exec();
    return Status::OK();
  });
}

Result<std::vector<RollupStore::HourlyPartial>> RollupStore::ScanHourly(const std::vector<const Meter*>& meters,
                                                                       int64_t after, int64_t upto,
                                                                       int64_t* events_read) {
  return Guarded(db_, [&]() -> Result<std::vector<HourlyPartial>> {
    std::map<PartialKey, HourlyPartial> partials;
    *events_read = 0;
    if (meters.empty()) return std::vector<HourlyPartial>();
    ScanPlan plan = PlanScan(meters);
    SQLite::Statement q(Sql(db_), ScanSql(plan));
    q.bind(1, after);
    q.bind(2, upto);
    int count_col = 3 + static_cast<int>(plan.bit_columns());  // COUNT(*)
    while (q.executeStep()) {
      *events_read += q.getColumn(count_col).getInt64();
      FoldScanRow(q, meters, plan, &partials);
    }
    for (size_t i = 0; i < meters.size(); ++i) {
      if (meters[i]->aggregation != Aggregation::kLatest) continue;
      SQLite::Statement l(Sql(db_), LatestSql(*meters[i], BucketOfTs(RollupPeriod::kHour),
                                              " AND seq > ?1 AND seq <= ?2"));
      l.bind(1, after);
      l.bind(2, upto);
      while (l.executeStep()) {
        auto& p = partials[PartialKey{i, l.getColumn(0).getString(), l.getColumn(1).getInt64()}];
        p.latest_ts = l.getColumn(2).getInt64();
        p.value = l.getColumn(3).getInt64();
      }
    }
    std::vector<HourlyPartial> out;
    out.reserve(partials.size());
    for (auto& [key, p] : partials) out.push_back(std::move(p));
    return out;
  });
}

Result<int64_t> RollupStore::MergeBuckets(const Meter& m, RollupPeriod p, const std::vector<RollupBucket>& deltas) {
  return Guarded(db_, [&]() -> Result<int64_t> {
    std::string merge;
    switch (m.aggregation) {
      case Aggregation::kSum:
      case Aggregation::kCount: merge = "value = value + excluded.value"; break;
      case Aggregation::kMax: merge = "value = MAX(value, excluded.value)"; break;
      case Aggregation::kLatest:
        merge = "value = CASE WHEN excluded.latest_ts > latest_ts OR (excluded.latest_ts = latest_ts AND "
                "excluded.value > value) THEN excluded.value ELSE value END, "
                "latest_ts = MAX(latest_ts, excluded.latest_ts)";
        break;
      case Aggregation::kUniqueCount: merge = "value = value"; break;
    }
    SQLite::Statement& q = Prepared(db_,
        "INSERT INTO usage_rollups(period, meter, tenant_id, bucket, value, events, latest_ts) "
        "VALUES(?,?,?,?,?,?,?) ON CONFLICT(period, meter, tenant_id, bucket) DO UPDATE SET " + merge +
        ", events = events + excluded.events");
    std::string period(RollupPeriodName(p));
    bool unique = m.aggregation == Aggregation::kUniqueCount;
    for (const RollupBucket& b : deltas) InsertBucket(q, period, m.key, b, unique ? 0 : b.value);
    return static_cast<int64_t>(deltas.size());
  });
}

Status RollupStore::SetTouchedHours(const std::vector<TouchedHour>& hours) {
  return Guarded(db_, [&]() -> Status {
    Sql(db_).exec(
        "CREATE TEMP TABLE IF NOT EXISTS rollup_hours(meter TEXT NOT NULL, tenant_id TEXT NOT NULL, "
        "hour INTEGER NOT NULL, day INTEGER NOT NULL, month INTEGER NOT NULL, "
        "PRIMARY KEY(meter, tenant_id, hour)) WITHOUT ROWID");
    Sql(db_).exec("DELETE FROM temp.rollup_hours");
    SQLite::Statement q(Sql(db_), "INSERT OR IGNORE INTO temp.rollup_hours VALUES(?,?,?,?,?)");
    for (const TouchedHour& h : hours) {
      q.bind(1, h.meter);
      q.bind(2, h.tenant);
      q.bind(3, static_cast<int64_t>(h.hour));
      q.bind(4, static_cast<int64_t>(h.day));
      q.bind(5, static_cast<int64_t>(h.month));
      q.exec();
      q.reset();
    }
    return Status::OK();
  });
}

Status RollupStore::RefreshUniques(RollupPeriod p, const std::vector<std::string>& meters) {
  return Guarded(db_, [&]() -> Status {
    if (meters.empty()) return Status::OK();
    std::string period = Quote(RollupPeriodName(p)), only = " WHERE h.meter IN " + InList(meters);
    std::string counts;
    if (p == RollupPeriod::kHour) {
      // An hour's distinct values are exactly the ones ingest keeps.
      counts = "SELECT h.meter, h.tenant_id, h.hour AS bucket, COUNT(*) AS n FROM temp.rollup_hours h "
               "JOIN usage_uniques u ON u.tenant_id = h.tenant_id AND u.meter = h.meter AND u.hour = h.hour" +
               only + " GROUP BY h.meter, h.tenant_id, h.hour";
    } else {
      std::string col(RollupPeriodName(p));
      Sql(db_).exec(fmt::format(
          "INSERT OR IGNORE INTO usage_rollup_uniques(period, meter, tenant_id, bucket, value) "
          "SELECT {}, h.meter, h.tenant_id, h.{}, u.value FROM temp.rollup_hours h JOIN usage_uniques u "
          "ON u.tenant_id = h.tenant_id AND u.meter = h.meter AND u.hour = h.hour{}",
          period, col, only));
      counts = fmt::format(
          "SELECT t.meter, t.tenant_id, t.bucket, (SELECT COUNT(*) FROM usage_rollup_uniques s WHERE "
          "s.period = {} AND s.meter = t.meter AND s.tenant_id = t.tenant_id AND s.bucket = t.bucket) AS n "
          "FROM (SELECT DISTINCT h.meter, h.tenant_id, h.{} AS bucket FROM temp.rollup_hours h{}) t",
          period, col, only);
    }
    Sql(db_).exec(fmt::format(
        "UPDATE usage_rollups SET value = 1000000 * c.n FROM ({}) AS c WHERE usage_rollups.period = {} "
        "AND usage_rollups.meter = c.meter AND usage_rollups.tenant_id = c.tenant_id "
        "AND usage_rollups.bucket = c.bucket",
        counts, period));
    return Status::OK();
  });
}

Status RollupStore::SetMonthSpans(const std::vector<MonthSpan>& spans) {
  return Guarded(db_, [&]() -> Status {
    Sql(db_).exec(
        "CREATE TEMP TABLE IF NOT EXISTS rollup_months(tenant_id TEXT NOT NULL, start INTEGER NOT NULL, "
        "stop INTEGER NOT NULL, PRIMARY KEY(tenant_id, start)) WITHOUT ROWID");
    Sql(db_).exec("DELETE FROM temp.rollup_months");
    SQLite::Statement q(Sql(db_), "INSERT OR IGNORE INTO temp.rollup_months VALUES(?,?,?)");
    for (const MonthSpan& s : spans) {
      q.bind(1, s.tenant);
      q.bind(2, static_cast<int64_t>(s.start));
      q.bind(3, static_cast<int64_t>(s.end));
      q.exec();
      q.reset();
    }
    return Status::OK();
  });
}

Result<std::vector<TenantTimeRange>> RollupStore::TenantTimeRanges(int64_t upto) {
  return Guarded(db_, [&]() -> Result<std::vector<TenantTimeRange>> {
    std::vector<TenantTimeRange> out;
    SQLite::Statement q(Sql(db_), "SELECT tenant_id, MIN(ts), MAX(ts) FROM events WHERE seq <= ? GROUP BY tenant_id");
    q.bind(1, upto);
    while (q.executeStep())
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64()});
    return out;
  });
}

Result<std::vector<RollupBucket>> RollupStore::Recompute(const Meter& m, RollupPeriod p, int64_t upto,
                                                         const BucketWindow& w) {
  return Guarded(db_, [&]() -> Result<std::vector<RollupBucket>> {
    std::string bucket = BucketOfTs(p);
    // A bucket inside the window only holds events from its start on, and
    // no bucket is longer than 32 days: the ts bounds let SQLite skip early.
    std::string window = fmt::format(" AND seq <= ?1 AND ts >= ?2 AND ts < ?3 + {} AND {} >= ?2 AND {} < ?3",
                                     32 * kMillisPerDay, bucket, bucket);
    std::string sql;
    if (m.aggregation == Aggregation::kLatest) {
      sql = LatestSql(m, bucket, window) + " ORDER BY tenant_id, b";
    } else {
      std::string v = ContributionSql(m), agg;
      switch (m.aggregation) {
        case Aggregation::kSum: agg = "SUM(v)"; break;
        case Aggregation::kCount: agg = "COUNT(*) * 1000000"; v = "1"; break;
        case Aggregation::kMax: agg = "MAX(v)"; break;
        case Aggregation::kUniqueCount: agg = "COUNT(DISTINCT v) * 1000000"; break;
        case Aggregation::kLatest: break;
      }
      sql = fmt::format(
          "SELECT tenant_id, b, 0, {0}, COUNT(*) FROM (SELECT tenant_id, {1} AS b, {2} AS v FROM events "
          "WHERE {3}{4}) WHERE v IS NOT NULL GROUP BY tenant_id, b ORDER BY tenant_id, b",
          agg, bucket, v, FilterSql(m), window);
    }
    SQLite::Statement q(Sql(db_), sql);
    q.bind(1, upto);
    BindWindow(q, 2, w);
    std::vector<RollupBucket> out;
    while (q.executeStep())
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(3).getInt64(),
                     q.getColumn(4).getInt64(), q.getColumn(2).getInt64()});
    return out;
  });
}

Result<int64_t> RollupStore::Rebuild(const Meter& m, RollupPeriod p, int64_t upto, const BucketWindow& w) {
  return Guarded(db_, [&]() -> Result<int64_t> {
    METER_ASSIGN_OR_RETURN(auto buckets, Recompute(m, p, upto, w));
    std::string period(RollupPeriodName(p));
    for (const char* table : {"usage_rollups", "usage_rollup_uniques"}) {
      SQLite::Statement d(Sql(db_), fmt::format(
          "DELETE FROM {} WHERE period=?1 AND meter=?2 AND bucket >= ?3 AND bucket < ?4", table));
      d.bind(1, period);
      d.bind(2, m.key);
      BindWindow(d, 3, w);
      d.exec();
    }
    SQLite::Statement ins(Sql(db_),
        "INSERT INTO usage_rollups(period, meter, tenant_id, bucket, value, events, latest_ts) VALUES(?,?,?,?,?,?,?)");
    for (const RollupBucket& b : buckets) InsertBucket(ins, period, m.key, b, b.value);
    if (m.aggregation == Aggregation::kUniqueCount && p != RollupPeriod::kHour) {
      std::string bucket = BucketOfTs(p);
      SQLite::Statement u(Sql(db_), fmt::format(
          "INSERT OR IGNORE INTO usage_rollup_uniques(period, meter, tenant_id, bucket, value) "
          "SELECT ?1, ?2, tenant_id, b, v FROM (SELECT tenant_id, {0} AS b, {1} AS v FROM events WHERE {2} "
          "AND seq <= ?3 AND ts >= ?4 AND ts < ?5 + {3}) WHERE v IS NOT NULL AND b >= ?4 AND b < ?5",
          bucket, UniqueSql(m), FilterSql(m), 32 * kMillisPerDay));
      u.bind(1, period);
      u.bind(2, m.key);
      u.bind(3, upto);
      BindWindow(u, 4, w);
      u.exec();
    }
    return static_cast<int64_t>(buckets.size());
  });
}

Result<std::vector<RollupBucket>> RollupStore::Buckets(RollupPeriod p, const std::string& meter,
                                                       const BucketWindow& w, const std::string& tenant) {
  return Guarded(db_, [&]() -> Result<std::vector<RollupBucket>> {
    SQLite::Statement q(Sql(db_),
        "SELECT tenant_id, bucket, value, events, IFNULL(latest_ts, 0) FROM usage_rollups "
        "WHERE period=?1 AND meter=?2 AND bucket >= ?3 AND bucket < ?4 AND (?5 = '' OR tenant_id = ?5) "
        "ORDER BY tenant_id, bucket");
    q.bind(1, std::string(RollupPeriodName(p)));
    q.bind(2, meter);
    BindWindow(q, 3, w);
    q.bind(5, tenant);
    std::vector<RollupBucket> out;
    while (q.executeStep())
      out.push_back({q.getColumn(0).getString(), q.getColumn(1).getInt64(), q.getColumn(2).getInt64(),
                     q.getColumn(3).getInt64(), q.getColumn(4).getInt64()});
    return out;
  });
}

}  // namespace meter::store
