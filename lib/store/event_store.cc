#include "store/event_store.h"

#include <sqlite3.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "store/event_columns.h"
#include "store/stage.h"
#include "store/sqlite_internal.h"

namespace meter::store {
namespace {

// The event's columns (event_columns.h), then ingested_at.
std::string EventInsertColumns() { return "events(" + EventColumnList() + ", ingested_at)"; }

// "(?,?,...)" with one parameter per column of `table_columns` ("t(a, b)").
std::string RowOfParameters(std::string_view table_columns) {
  std::string row = "(";
  for (char c : table_columns)
    if (c == ',') row += "?,";
  return row + "?)";
}

// "INSERT INTO <table_columns> VALUES <row>,<row>,... <conflict>", `rows` rows.
std::string MultiRowSql(std::string_view table_columns, std::string_view row, size_t rows,
                        std::string_view conflict) {
  std::string sql = "INSERT INTO ";
  sql.append(table_columns).append(" VALUES ");
  for (size_t r = 0; r < rows; ++r) sql.append(r ? "," : "").append(row);
  sql.append(" ").append(conflict);
  return sql;
}

constexpr const char* kEventConflict = "ON CONFLICT (id, source) DO NOTHING";

const std::string& InsertEventSql() {
  static const std::string sql =
      MultiRowSql(EventInsertColumns(), RowOfParameters(EventInsertColumns()), 1, kEventConflict);
  return sql;
}

// SQLite's form of the same. A statement of several rows that could stop
// half-way (a NOT NULL column, under ON CONFLICT's default) makes SQLite copy
// each page it first touches into a statement journal, to undo the rows
// already written: an eighth of the insert's time. OR IGNORE cannot stop
// half-way, and skips exactly what DO NOTHING skips, a row whose identity is
// stored (every NOT NULL column is always bound: see BindEvent).
const std::string& SqliteInsertEventSql() {
  static const std::string sql = [] {
    std::string text = MultiRowSql(EventInsertColumns(), RowOfParameters(EventInsertColumns()), 1, "");
    return text.replace(0, std::string_view("INSERT INTO").size(), "INSERT OR IGNORE INTO");
  }();
  return sql;
}

// On SQLite, ingest writes many rows with one statement (kRowsPerStatement
// rows per INSERT): SQLite then runs one program for all of them and keeps
// its cursors where the last row went, instead of seeking from the root for
// each row (about a third fewer instructions per event, half per counter).
constexpr size_t kRowsPerStatement = 64;

// A sum past int64 would turn into a REAL on SQLite (a rounded count that
// reads back wrong): NULL instead fails the NOT NULL column, so the batch
// rolls back with an error (PostgreSQL's bigint refuses it by itself).
constexpr const char* kAddCounter =
    "INSERT INTO usage_counters(tenant_id, meter, hour, value, events, latest_ts) VALUES(?,?,?,?,?,NULL) "
    "ON CONFLICT(tenant_id, meter, hour) DO UPDATE SET value = CASE WHEN excluded.value > "
    "9223372036854775807 - usage_counters.value THEN NULL ELSE usage_counters.value + excluded.value END, "
    "events = usage_counters.events + excluded.events";

constexpr const char* kMaxCounter =
    "INSERT INTO usage_counters(tenant_id, meter, hour, value, events, latest_ts) VALUES(?,?,?,?,?,NULL) "
    "ON CONFLICT(tenant_id, meter, hour) DO UPDATE SET value = CASE WHEN excluded.value > usage_counters.value "
    "THEN excluded.value ELSE usage_counters.value END, events = usage_counters.events + excluded.events";

// Every SET expression reads the row as it was before the update, so the
// value and its time are compared against the same old pair. Ties on the
// time keep the larger value, so the result does not depend on arrival order.
constexpr const char* kLatestCounter =
    "INSERT INTO usage_counters(tenant_id, meter, hour, value, events, latest_ts) VALUES(?,?,?,?,?,?) "
    "ON CONFLICT(tenant_id, meter, hour) DO UPDATE SET "
    "value = CASE WHEN usage_counters.latest_ts IS NULL OR excluded.latest_ts > usage_counters.latest_ts OR "
    "(excluded.latest_ts = usage_counters.latest_ts AND excluded.value > usage_counters.value) "
    "THEN excluded.value ELSE usage_counters.value END, "
    "latest_ts = CASE WHEN usage_counters.latest_ts IS NULL OR excluded.latest_ts > usage_counters.latest_ts "
    "THEN excluded.latest_ts ELSE usage_counters.latest_ts END, "
    "events = usage_counters.events + excluded.events";

constexpr const char* kAddUnique =
    "INSERT INTO usage_uniques(tenant_id, meter, hour, value) VALUES(?,?,?,?) "
    "ON CONFLICT (tenant_id, meter, hour, value) DO NOTHING";

// Text bound without a copy: the caller keeps it alive until the step.
void BindText(sqlite3_stmt* s, int i, std::string_view v, bool null_if_empty) {
  if (v.empty() && null_if_empty) sqlite3_bind_null(s, i);
  else sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

void Bind(sqlite3_stmt* s, int i, EventColumn c, std::string_view v) { BindText(s, i, v, !c.required); }
void Bind(sqlite3_stmt* s, int i, EventColumn, int64_t v) { sqlite3_bind_int64(s, i, v); }
void Bind(sqlite3_stmt* s, int i, EventColumn, std::optional<int64_t> v) {
  if (v) sqlite3_bind_int64(s, i, *v);
  else sqlite3_bind_null(s, i);
}

// Binds one event row from parameter *p on.
void BindEvent(sqlite3_stmt* s, int* p, const EventView& e, Timestamp ingested_at) {
  ForEachEventField(e, e, [&](EventColumn c, const auto& field, const auto&) { Bind(s, (*p)++, c, field); });
  sqlite3_bind_int64(s, (*p)++, ingested_at);
}

void BindCounter(sqlite3_stmt* s, int* p, const CounterDelta& d) {
  BindText(s, (*p)++, d.tenant, false);
  BindText(s, (*p)++, d.meter, false);
  sqlite3_bind_int64(s, (*p)++, d.hour);
  sqlite3_bind_int64(s, (*p)++, d.value);
  sqlite3_bind_int64(s, (*p)++, d.events);
  if (d.merge == CounterMerge::kLatest) sqlite3_bind_int64(s, (*p)++, d.latest_ts);
}

void BindUnique(sqlite3_stmt* s, int* p, const UniqueValue& u) {
  BindText(s, (*p)++, u.tenant, false);
  BindText(s, (*p)++, u.meter, false);
  sqlite3_bind_int64(s, (*p)++, u.hour);
  BindText(s, (*p)++, u.value, false);
}

// The same bindings through the backend-neutral Statement (PostgreSQL, one event).
void Bind(Statement& s, int i, EventColumn c, std::string_view v) {
  if (v.empty() && !c.required) s.bind(i);
  else s.bindNoCopy(i, v);
}
void Bind(Statement& s, int i, EventColumn, int64_t v) { s.bind(i, v); }
void Bind(Statement& s, int i, EventColumn, std::optional<int64_t> v) { s.bind(i, v); }

void BindCounter(Statement& s, int* p, const CounterDelta& d) {
  s.bindNoCopy((*p)++, d.tenant);
  s.bindNoCopy((*p)++, d.meter);
  s.bind((*p)++, d.hour);
  s.bind((*p)++, d.value);
  s.bind((*p)++, d.events);
  if (d.merge == CounterMerge::kLatest) s.bind((*p)++, d.latest_ts);
}

void BindUnique(Statement& s, int* p, const UniqueValue& u) {
  s.bindNoCopy((*p)++, u.tenant);
  s.bindNoCopy((*p)++, u.meter);
  s.bind((*p)++, u.hour);
  s.bindNoCopy((*p)++, u.value);
}

}  // namespace

// Ingest's hot path: on SQLite, raw statements prepared once
// (SQLITE_PREPARE_PERSISTENT) and bound without copies; on PostgreSQL the
// same SQL taking its rows from a temporary table filled by COPY.
struct EventStore::Impl {
  enum Which { kInsert, kAdd, kMax, kLatest, kUnique, kCount };
  static const char* Sql(Which w) {
    static const char* const kSql[kCount] = {InsertEventSql().c_str(), kAddCounter, kMaxCounter, kLatestCounter,
                                             kAddUnique};
    return kSql[w];
  }
  // SQLite's text of `w` (Sql's but for the events' INSERT).
  static const char* SqliteSql(Which w) { return w == kInsert ? SqliteInsertEventSql().c_str() : Sql(w); }
  // The same statement for kRowsPerStatement rows: the single-row text up
  // to " VALUES ", its row repeated, then the conflict clause.
  static std::string ManySql(Which w, size_t rows = kRowsPerStatement) { return ManySql(Sql(w), rows); }
  static std::string ManySql(std::string one, size_t rows) {
    size_t values = one.find(" VALUES") + 7, open = one.find('(', values), close = one.find(')', open);
    std::string head = one.substr(0, values), row = one.substr(open, close + 1 - open), rest = one.substr(close + 1);
    std::string sql = head + " ";
    for (size_t r = 0; r < rows; ++r) sql.append(r ? "," : "").append(row);
    return sql + rest;
  }
  bool postgres = false;
  sqlite3* handle = nullptr;
  sqlite3_stmt* statements[kCount] = {};  // one row
  sqlite3_stmt* many[kCount] = {};        // kRowsPerStatement rows
  ~Impl() {
    for (sqlite3_stmt* s : statements)
      if (s) sqlite3_finalize(s);
    for (sqlite3_stmt* s : many)
      if (s) sqlite3_finalize(s);
  }
  // The statement writing `rows` rows: 1 or kRowsPerStatement.
  sqlite3_stmt* Get(Which w, size_t rows = 1) {
    sqlite3_stmt*& s = rows == 1 ? statements[w] : many[w];
    if (!s) {
      std::string sql = rows == 1 ? std::string(SqliteSql(w)) : ManySql(SqliteSql(w), rows);
      int rc = sqlite3_prepare_v3(handle, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
      if (rc != SQLITE_OK) throw SQLite::Exception(handle, rc);
    }
    return s;
  }
  // SQLite: writes rows [0, n) of `w`, kRowsPerStatement per statement and
  // the rest one by one; bind(statement, &parameter, i) binds row i, and
  // after(first, rows) runs after each statement. Throws on failures.
  template <typename BindRow, typename After>
  void WriteRows(Which w, size_t n, BindRow bind, After after) {
    for (size_t first = 0; first < n;) {
      size_t rows = n - first >= kRowsPerStatement ? kRowsPerStatement : 1;
      sqlite3_stmt* s = Get(w, rows);
      int p = 1;
      for (size_t r = 0; r < rows; ++r) bind(s, &p, first + r);
      Step(s);
      after(first, rows);
      first += rows;
    }
  }
  // PostgreSQL, up to kRowsPerStatement rows (quota reserve's one event):
  // one statement through a cached Statement, bind(statement, &parameter, i)
  // binding row i. A temporary table would cost more than it saves.
  template <typename BindRow>
  void WriteFew(Database& db, Which w, size_t n, BindRow bind) {
    Statement& s = Cached(db, n == 1 ? std::string(Sql(w)) : ManySql(w, n));
    int p = 1;
    for (size_t r = 0; r < n; ++r) bind(s, &p, r);
    s.exec();
  }
  // Which of the `rows` events todo[first...] the statement just run
  // inserted: each new row gets the highest seq yet, so those it inserted
  // are the `changes` rows with the highest seqs, in the statement's order;
  // the others were duplicates.
  void MarkInserted(Database& db, const std::vector<EventView>& events, const std::vector<size_t>& todo,
                    size_t first, size_t rows, std::vector<bool>* inserted) {
    int changes = sqlite3_changes(handle);
    if (changes == 0) return;
    if (static_cast<size_t>(changes) == rows) {
      for (size_t r = 0; r < rows; ++r) (*inserted)[todo[first + r]] = true;
      return;
    }
    Statement& q = Cached(db, "SELECT id, source FROM events ORDER BY seq DESC LIMIT ?");
    q.bind(1, changes);
    std::vector<std::pair<std::string, std::string>> added;  // newest first
    while (q.executeStep()) added.emplace_back(q.getColumn(0).getString(), q.getColumn(1).getString());
    size_t next = added.size();
    for (size_t r = 0; r < rows && next > 0; ++r) {
      const EventView& e = events[todo[first + r]];
      if (added[next - 1].first == e.id && added[next - 1].second == e.source) {
        (*inserted)[todo[first + r]] = true;
        --next;
      }
    }
  }
  // Before the events table had a source column, a CloudEvent's identity was
  // stored as the id "source#id"; events stored then (seq <= last_seq of
  // events_legacy_identity) are found under that key too.
  // Throws on failures (the caller is Guarded).
  bool StoredUnderLegacyId(Database& db, const EventView& e) {
    if (!legacy_last_seq) {
      Statement& q = Cached(db, "SELECT last_seq FROM events_legacy_identity");
      legacy_last_seq = q.executeStep() ? q.getColumn(0).getInt64() : 0;
      q.reset();
    }
    if (*legacy_last_seq == 0) return false;
    legacy_id.assign(e.source).append("#").append(e.id);
    Statement& q = Cached(db, "SELECT 1 FROM events WHERE id = ? AND source = '' AND seq <= ?");
    q.bindNoCopy(1, legacy_id);
    q.bind(2, *legacy_last_seq);
    bool found = q.executeStep();
    q.reset();  // a statement left on a row would keep its read snapshot open past the commit
    return found;
  }
  std::optional<int64_t> legacy_last_seq;
  std::string legacy_id;
  // Scratch lists of InsertMany and AddCounters, kept between batches so
  // their memory is not faulted in again each time.
  std::vector<size_t> todo;
  std::vector<const CounterDelta*> kind;

  // Runs a bound statement that returns no rows, then resets it.
  void Step(sqlite3_stmt* s) {
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_DONE) throw SQLite::Exception(handle, rc);
  }
};

namespace {

// One event's columns (event_columns.h), then ingested_at, into `rows`.
void AddEventRow(BulkInsert& rows, const EventView& e, Timestamp ingested_at) {
  ForEachEventField(e, e, [&](EventColumn c, const auto& field, const auto&) {
    using T = std::decay_t<decltype(field)>;
    if constexpr (std::is_same_v<T, std::string_view>) {
      if (field.empty() && !c.required) rows.add(nullptr);
      else rows.add(field);
    } else {
      rows.add(field);
    }
  });
  rows.add(ingested_at);
  rows.endRow();
}

// Of the events `todo` names, those that are the first copy of their
// identity (id, source) in it, in its order.
std::vector<size_t> FirstCopies(const std::vector<EventView>& events, const std::vector<size_t>& todo) {
  using Identity = std::pair<std::string_view, std::string_view>;
  struct IdentityHash {
    size_t operator()(const Identity& k) const {
      return std::hash<std::string_view>()(k.first) * 31 + std::hash<std::string_view>()(k.second);
    }
  };
  std::unordered_set<Identity, IdentityHash> seen;
  seen.reserve(todo.size());
  std::vector<size_t> first_copies;
  first_copies.reserve(todo.size());
  for (size_t i : todo)
    if (seen.insert({events[i].id, events[i].source}).second) first_copies.push_back(i);
  return first_copies;
}

// On PostgreSQL a batch's events go in with COPY, the fastest way in, which
// cannot skip duplicates; so they are found first (those within the batch
// are gone already: `first_copies`). One query over a temporary table of the
// batch's identities probes the identity index for the stored ones. Nobody
// else can store an event in between: every write transaction holds the
// schema's writer lock (PgConnection::BeginWrite). Four round trips per
// batch, the same whatever share of it is new. Throws on failures.
void CopyNewEvents(Database& db, const std::vector<EventView>& events, const std::vector<size_t>& first_copies,
                   Timestamp ingested_at, std::vector<bool>* inserted) {
  static const std::string kKeys = "meter_ingest_keys";
  EmptyStage(db, kKeys, "SELECT 0::bigint AS ord, id, source FROM events");
  BulkInsert keys(db, kKeys, {"ord", "id", "source"});
  for (size_t i : first_copies) {
    keys.add(static_cast<int64_t>(i));
    keys.add(events[i].id);
    keys.add(events[i].source);
    keys.endRow();
  }
  keys.finish();
  std::unordered_set<int64_t> stored;
  // A probe of the index per identity (the LATERAL ... LIMIT 1 keeps the
  // planner from merging or hashing the whole events table instead).
  Statement q(db, "SELECT k.ord FROM " + kKeys + " k, LATERAL "
                  "(SELECT 1 FROM events e WHERE e.id = k.id AND e.source = k.source LIMIT 1) stored");
  while (q.executeStep()) stored.insert(q.getColumn(0).getInt64());

  std::vector<std::string> names;
  EventView none;
  ForEachEventField(none, none, [&](EventColumn c, auto&, auto&) { names.emplace_back(c.name); });
  names.emplace_back("ingested_at");
  BulkInsert rows(db, "events", names);
  for (size_t i : first_copies) {
    if (stored.count(static_cast<int64_t>(i))) continue;
    AddEventRow(rows, events[i], ingested_at);
    (*inserted)[i] = true;
  }
  rows.finish();
}

// The INSERT `sql` ("INSERT INTO t(a, b) VALUES(?, ?) <rest>") taking its
// rows from `stage`, a table with those columns: "INSERT INTO t(a, b) SELECT
// a, b FROM stage <rest>".
std::string FromStage(std::string_view sql, std::string_view stage) {
  size_t open = sql.find('('), close = sql.find(')', open);
  size_t values = sql.find(" VALUES"), end = sql.find(')', values);
  std::string out(sql.substr(0, values));
  out.append(" SELECT ").append(sql.substr(open + 1, close - open - 1)).append(" FROM ").append(stage);
  return out.append(sql.substr(end + 1));
}

}  // namespace

EventStore::EventStore(Database& db) : db_(db), impl_(std::make_unique<Impl>()) {
  impl_->postgres = Dialect(db) == Backend::kPostgres;
  if (!impl_->postgres) impl_->handle = store::Sql(db).getHandle();
}

EventStore::~EventStore() = default;

Result<bool> EventStore::Insert(const EventView& e, Timestamp ingested_at) {
  return Guarded(db_, [&]() -> Result<bool> {
    if (!e.source.empty() && impl_->StoredUnderLegacyId(db_, e)) return false;
    if (impl_->postgres) {
      Statement& s = Cached(db_, Impl::Sql(Impl::kInsert));
      int i = 1;
      ForEachEventField(e, e, [&](EventColumn c, const auto& field, const auto&) { Bind(s, i++, c, field); });
      s.bind(i, ingested_at);
      return s.exec() > 0;
    }
    sqlite3_stmt* s = impl_->Get(Impl::kInsert);
    int p = 1;
    BindEvent(s, &p, e, ingested_at);
    impl_->Step(s);
    return sqlite3_changes(impl_->handle) > 0;
  });
}

Status EventStore::InsertMany(const std::vector<EventView>& events, Timestamp ingested_at,
                              std::vector<bool>* inserted) {
  return Guarded(db_, [&]() -> Status {
    inserted->assign(events.size(), false);
    std::vector<size_t>& todo = impl_->todo;
    todo.clear();
    todo.reserve(events.size());
    for (size_t i = 0; i < events.size(); ++i)
      if (events[i].source.empty() || !impl_->StoredUnderLegacyId(db_, events[i])) todo.push_back(i);
    if (impl_->postgres) {
      std::vector<size_t> first_copies = FirstCopies(events, todo);
      if (first_copies.size() > kRowsPerStatement) {
        CopyNewEvents(db_, events, first_copies, ingested_at, inserted);
        return Status::OK();
      }
      if (first_copies.empty()) return Status::OK();
      // A few events: one INSERT, whose RETURNING names those it stored.
      Statement& q = Cached(db_, Impl::ManySql(Impl::kInsert, first_copies.size()) + " RETURNING id, source");
      int p = 1;
      for (size_t i : first_copies) {
        ForEachEventField(events[i], events[i], [&](EventColumn c, const auto& field, const auto&) {
          Bind(q, p++, c, field);
        });
        q.bind(p++, ingested_at);
      }
      std::set<std::pair<std::string, std::string>> stored;
      while (q.executeStep()) stored.emplace(q.getColumn(0).getString(), q.getColumn(1).getString());
      for (size_t i : first_copies)
        if (stored.count({std::string(events[i].id), std::string(events[i].source)})) (*inserted)[i] = true;
      return Status::OK();
    }
    impl_->WriteRows(
        Impl::kInsert, todo.size(),
        [&](sqlite3_stmt* s, int* p, size_t i) { BindEvent(s, p, events[todo[i]], ingested_at); },
        [&](size_t first, size_t rows) { impl_->MarkInserted(db_, events, todo, first, rows, inserted); });
    return Status::OK();
  });
}

namespace {

// "SELECT seq, <event columns>, ingested_at, voided_at, void_reason FROM events"
std::string SelectStored() {
  return "SELECT seq, " + EventColumnList() + ", ingested_at, voided_at, void_reason FROM events";
}

StoredEvent ReadStored(Statement& q) {
  StoredEvent out;
  out.seq = q.getColumn(0).getInt64();
  int next = ReadEventColumns(q, 1, &out.event);
  out.ingested_at = q.getColumn(next).getInt64();
  if (!q.getColumn(next + 1).isNull()) out.voided_at = q.getColumn(next + 1).getInt64();
  if (!q.getColumn(next + 2).isNull()) out.void_reason = q.getColumn(next + 2).getString();
  return out;
}

}  // namespace

Result<std::vector<StoredEvent>> EventStore::FindById(std::string_view id) {
  return Guarded(db_, [&]() -> Result<std::vector<StoredEvent>> {
    Statement& q = Cached(db_, SelectStored() + " WHERE id = ? ORDER BY source");
    q.bind(1, id);
    std::vector<StoredEvent> out;
    while (q.executeStep()) out.push_back(ReadStored(q));
    return out;
  });
}

Result<bool> EventStore::Void(std::string_view id, std::string_view source, std::string_view reason,
                              Timestamp now) {
  return Guarded(db_, [&]() -> Result<bool> {
    Statement& q = Cached(db_,
                          "UPDATE events SET voided_at = ?, void_reason = ? "
                          "WHERE id = ? AND source = ? AND voided_at IS NULL");
    q.bind(1, now);
    q.bind(2, reason);
    q.bind(3, id);
    q.bind(4, source);
    return q.exec() > 0;
  });
}

Result<std::vector<StoredEvent>> EventStore::List(const EventFilter& f) {
  return Guarded(db_, [&]() -> Result<std::vector<StoredEvent>> {
    std::string sql = SelectStored() + " WHERE 1 = 1";
    if (!f.tenant.empty()) sql += " AND tenant_id = ?";
    if (!f.metric.empty()) sql += " AND metric = ?";
    if (f.from) sql += " AND ts >= ?";
    if (f.to) sql += " AND ts < ?";
    if (f.voided_only) sql += " AND voided_at IS NOT NULL";
    sql += " ORDER BY ts DESC, seq DESC LIMIT ?";
    Statement q(db_, sql);
    int n = 1;
    if (!f.tenant.empty()) q.bind(n++, f.tenant);
    if (!f.metric.empty()) q.bind(n++, f.metric);
    if (f.from) q.bind(n++, *f.from);
    if (f.to) q.bind(n++, *f.to);
    q.bind(n, f.limit);
    std::vector<StoredEvent> out;
    while (q.executeStep()) out.push_back(ReadStored(q));
    return out;
  });
}

Status EventStore::AddCounters(const std::vector<CounterDelta>& deltas) {
  return Guarded(db_, [&]() -> Status {
    // One statement merges one way: each kind's deltas, in the order given.
    std::vector<const CounterDelta*>& kind = impl_->kind;
    kind.reserve(deltas.size());
    for (CounterMerge merge : {CounterMerge::kAdd, CounterMerge::kMax, CounterMerge::kLatest}) {
      kind.clear();
      for (const CounterDelta& d : deltas)
        if (d.merge == merge) kind.push_back(&d);
      Impl::Which w = merge == CounterMerge::kAdd ? Impl::kAdd : merge == CounterMerge::kMax ? Impl::kMax : Impl::kLatest;
      if (kind.empty()) continue;
      if (impl_->postgres && kind.size() <= kRowsPerStatement) {
        impl_->WriteFew(db_, w, kind.size(), [&](Statement& s, int* p, size_t i) { BindCounter(s, p, *kind[i]); });
        continue;
      }
      if (impl_->postgres) {
        // COPY into a temporary table, then one upsert from it (the deltas
        // have distinct keys, so no row is updated twice by it).
        static const std::string kStage = "meter_counter_stage";
        EmptyStage(db_, kStage, "SELECT tenant_id, meter, hour, value, events, latest_ts FROM usage_counters");
        BulkInsert rows(db_, kStage, {"tenant_id", "meter", "hour", "value", "events", "latest_ts"});
        for (const CounterDelta* d : kind) {
          rows.add(d->tenant);
          rows.add(d->meter);
          rows.add(d->hour);
          rows.add(d->value);
          rows.add(d->events);
          if (merge == CounterMerge::kLatest) rows.add(d->latest_ts);
          else rows.add(nullptr);
          rows.endRow();
        }
        rows.finish();
        Cached(db_, FromStage(Impl::Sql(w), kStage)).exec();
        continue;
      }
      impl_->WriteRows(
          w, kind.size(), [&](sqlite3_stmt* s, int* p, size_t i) { BindCounter(s, p, *kind[i]); },
          [](size_t, size_t) {});
    }
    return Status::OK();
  });
}

Status EventStore::AddUniques(const std::vector<UniqueValue>& values) {
  return Guarded(db_, [&]() -> Status {
    if (impl_->postgres && values.size() <= kRowsPerStatement) {
      if (!values.empty())
        impl_->WriteFew(db_, Impl::kUnique, values.size(),
                        [&](Statement& s, int* p, size_t i) { BindUnique(s, p, values[i]); });
      return Status::OK();
    }
    if (impl_->postgres) {
      static const std::string kStage = "meter_unique_stage";
      EmptyStage(db_, kStage, "SELECT tenant_id, meter, hour, value FROM usage_uniques");
      BulkInsert rows(db_, kStage, {"tenant_id", "meter", "hour", "value"});
      for (const UniqueValue& u : values) {
        rows.add(u.tenant);
        rows.add(u.meter);
        rows.add(u.hour);
        rows.add(u.value);
        rows.endRow();
      }
      rows.finish();
      Cached(db_, FromStage(Impl::Sql(Impl::kUnique), kStage)).exec();
      return Status::OK();
    }
    impl_->WriteRows(
        Impl::kUnique, values.size(), [&](sqlite3_stmt* s, int* p, size_t i) { BindUnique(s, p, values[i]); },
        [](size_t, size_t) {});
    return Status::OK();
  });
}

Result<std::vector<Period>> EventStore::IssuedInvoicePeriods(std::string_view tenant) {
  return Guarded(db_, [&]() -> Result<std::vector<Period>> {
    Statement& q = Cached(db_,
        "SELECT period_start, period_end FROM invoices "
        "WHERE tenant_id = ? AND status IN ('open', 'paid', 'overdue')");
    q.bind(1, std::string(tenant));
    std::vector<Period> out;
    while (q.executeStep()) out.push_back({q.getColumn(0).getInt64(), q.getColumn(1).getInt64()});
    return out;
  });
}

Result<bool> EventStore::AnyIssuedInvoices() {
  return Guarded(db_, [&]() -> Result<bool> {
    Statement& q = Cached(db_,
        "SELECT EXISTS(SELECT 1 FROM invoices WHERE status IN ('open', 'paid', 'overdue'))");
    q.executeStep();
    bool any = q.getColumn(0).getInt() != 0;
    q.reset();  // a statement left on a row would keep its read snapshot open past the commit
    return any;
  });
}

Status EventStore::SetBulkLoad(bool on) {
  return Guarded(db_, [&]() -> Status {
    if (impl_->postgres) {
      // The server's own checkpoints are its business; commits need not
      // wait for the WAL flush (events are deduplicated: safe to repeat).
      Exec(db_, on ? "SET synchronous_commit TO off" : "RESET synchronous_commit");
      // The batch statements' estimated costs are high enough for the
      // server to compile them (JIT), which costs more than it saves on
      // statements that each run once.
      Exec(db_, on ? "SET jit TO off" : "RESET jit");
      return Status::OK();
    }
    // Each batch rewrites most pages of the id index; checkpointing after
    // every batch would copy them into the database file every time.
    Exec(db_, on ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=FULL");
    Exec(db_, on ? "PRAGMA wal_autocheckpoint=65536" : "PRAGMA wal_autocheckpoint=1000");
    return Status::OK();
  });
}

struct BackgroundCheckpointer::Impl {
  static constexpr int kCheckpointNiceAbove = 10;  // the process's own, at most 19
  sqlite3* handle = nullptr;
  std::mutex mu;
  std::condition_variable wake;
  bool pending = false, stop = false;
  std::thread thread;

  void Run() {
    // Ingest has three threads on what is often two cores: the writer, on
    // which the run's time depends, the reader, which keeps ahead of it, and
    // this one, which only has to keep the log short. Yielding to the other
    // two keeps the writer on a core of its own; the copy catches up
    // whenever the reader waits, and the last one runs once both are done.
    // Relative to the process's own nice, so that `nice -n 19 meter ingest`
    // does not leave this thread above the other two.
    errno = 0;
    int own = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
    if (errno == 0) setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), std::min(own + kCheckpointNiceAbove, 19));
    std::unique_lock<std::mutex> lock(mu);
    for (;;) {
      wake.wait(lock, [&] { return pending || stop; });
      if (!pending) return;  // stopped, and nothing left to copy
      pending = false;
      lock.unlock();
      sqlite3_wal_checkpoint_v2(handle, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
      lock.lock();
    }
  }
};

BackgroundCheckpointer::BackgroundCheckpointer(Database& db) {
  if (Dialect(db) != Backend::kSqlite) return;
  sqlite3* handle = nullptr;
  if (sqlite3_open_v2(db.path().c_str(), &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(handle);
    return;
  }
  // A connection reads the write-ahead log only once it has read the
  // database: until then it has no log to checkpoint.
  sqlite3_busy_timeout(handle, 1000);
  if (sqlite3_exec(handle, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) != SQLITE_OK) {
    sqlite3_close(handle);
    return;
  }
  impl_ = std::make_unique<Impl>();
  impl_->handle = handle;
  impl_->thread = std::thread([impl = impl_.get()] { impl->Run(); });
}

BackgroundCheckpointer::~BackgroundCheckpointer() {
  if (!impl_) return;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->stop = true;
  }
  impl_->wake.notify_one();
  impl_->thread.join();
  sqlite3_close(impl_->handle);
}

void BackgroundCheckpointer::Committed() {
  if (!impl_) return;
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->pending = true;
  }
  impl_->wake.notify_one();
}

Result<int64_t> EventStore::CountEvents() {
  return Guarded(db_, [&]() -> Result<int64_t> {
    Statement& q = Cached(db_, "SELECT COUNT(*) FROM events");
    q.executeStep();
    int64_t n = q.getColumn(0).getInt64();
    q.reset();
    return n;
  });
}

}  // namespace meter::store
