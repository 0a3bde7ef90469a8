#include "store/event_store.h"

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/thread_priority.h"
#include "store/counter_days.h"
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

// On SQLite, ingest writes many rows with one statement (kRowsPerStatement
// rows per INSERT): SQLite then runs one program for all of them and keeps
// its cursors where the last row went, instead of seeking from the root for
// each row (about a third fewer instructions per event, half per counter).
constexpr size_t kRowsPerStatement = 64;

// The events INSERT of `rows` rows, skipping a stored identity.
std::string InsertEventSql(size_t rows = 1) {
  return MultiRowSql(EventInsertColumns(), RowOfParameters(EventInsertColumns()), rows,
                     "ON CONFLICT (id, source) DO NOTHING");
}

// SQLite's form of the same. A statement of several rows that could stop
// half-way (a NOT NULL column, under ON CONFLICT's default) makes SQLite copy
// each page it first touches into a statement journal, to undo the rows
// already written: an eighth of the insert's time. OR IGNORE cannot stop
// half-way, and skips exactly what DO NOTHING skips, a row whose identity is
// stored (every NOT NULL column is always bound: see BindEvent).
std::string SqliteInsertEventSql(size_t rows) {
  std::string text = MultiRowSql(EventInsertColumns(), RowOfParameters(EventInsertColumns()), rows, "");
  return text.replace(0, std::string_view("INSERT INTO").size(), "INSERT OR IGNORE INTO");
}

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

// The same bindings through the backend-neutral Statement (PostgreSQL, one event).
void Bind(Statement& s, int i, EventColumn c, std::string_view v) {
  if (v.empty() && !c.required) s.bind(i);
  else s.bindNoCopy(i, v);
}
void Bind(Statement& s, int i, EventColumn, int64_t v) { s.bind(i, v); }
void Bind(Statement& s, int i, EventColumn, std::optional<int64_t> v) { s.bind(i, v); }

// One day row's share of a sorted list of counter deltas or values: rows
// [first, end) all have `tenant`, `meter` and an hour of `day`.
struct DayGroup {
  std::string_view tenant, meter;
  Timestamp day = 0;
  size_t first = 0, end = 0;
};

// The kinds of day row a statement writes: a CounterMerge (0-2), or
// kUniqueKind for distinct values.
constexpr int kUniqueKind = 3;
constexpr int kDayRowKinds = 4;

}  // namespace

// Ingest's hot path: on SQLite, raw statements prepared once
// (SQLITE_PREPARE_PERSISTENT) and bound without copies; on PostgreSQL the
// same SQL taking its rows from a temporary table filled by COPY.
struct EventStore::Impl {
  bool postgres = false;
  sqlite3* handle = nullptr;
  // SQLite: the events INSERT of one row and of kRowsPerStatement rows, and
  // the look-up of one identity.
  sqlite3_stmt* insert_one = nullptr;
  sqlite3_stmt* insert_many = nullptr;
  sqlite3_stmt* lookup = nullptr;
  // The last InsertMany found mostly duplicates (a file ingested again): the
  // next one looks each event up before inserting (Stored).
  bool lookup_first = false;
  ~Impl() {
    for (sqlite3_stmt* s : {insert_one, insert_many, lookup})
      if (s) sqlite3_finalize(s);
    for (auto& kind : day_upserts)
      for (sqlite3_stmt* s : kind)
        if (s) sqlite3_finalize(s);
  }
  // `s`, prepared from `sql` on first use.
  sqlite3_stmt* Prepared(sqlite3_stmt*& s, const std::string& sql) {
    if (!s) {
      int rc = sqlite3_prepare_v3(handle, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
      if (rc != SQLITE_OK) throw SQLite::Exception(handle, rc);
    }
    return s;
  }
  // The INSERT of `rows` events: 1 or kRowsPerStatement.
  sqlite3_stmt* Insert(size_t rows = 1) {
    return rows == 1 ? Prepared(insert_one, SqliteInsertEventSql(1))
                     : Prepared(insert_many, SqliteInsertEventSql(kRowsPerStatement));
  }
  // SQLite: inserts events [0, n), kRowsPerStatement per statement and the
  // rest one by one; bind(statement, &parameter, i) binds event i, and
  // after(first, rows) runs after each statement. Throws on failures.
  template <typename BindRow, typename After>
  void InsertRows(size_t n, BindRow bind, After after) {
    for (size_t first = 0; first < n;) {
      size_t rows = n - first >= kRowsPerStatement ? kRowsPerStatement : 1;
      sqlite3_stmt* s = Insert(rows);
      int p = 1;
      for (size_t r = 0; r < rows; ++r) bind(s, &p, first + r);
      Step(s);
      after(first, rows);
      first += rows;
    }
  }
  // SQLite: whether `e`'s identity is stored. Binding two values instead of
  // the INSERT's fourteen makes a duplicate about a quarter cheaper to find.
  // Throws on failures.
  bool Stored(const EventView& e) {
    sqlite3_stmt* s = Prepared(lookup, "SELECT 1 FROM events WHERE id = ? AND source = ?");
    sqlite3_bind_text(s, 1, e.id.data(), static_cast<int>(e.id.size()), SQLITE_STATIC);
    sqlite3_bind_text(s, 2, e.source.data(), static_cast<int>(e.source.size()), SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) throw SQLite::Exception(handle, rc);
    return rc == SQLITE_ROW;
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
  // The counters' day rows (counter_days.h) on SQLite: upserts of 1 or
  // kRowsPerStatement rows whose conflict branch merges the stored text
  // with the new one through meter_day_merge(stored, new, kind), a function
  // registered on the connection; kind: a CounterMerge, or kUniqueKind for
  // distinct values. It keeps no pointer to this Impl (another EventStore
  // on the same connection registers it again): its scratch and a failed
  // merge's Status (DayMergeError) are the calling thread's.
  sqlite3_stmt* day_upserts[kDayRowKinds][2] = {};
  static Status& DayMergeError() {
    thread_local Status error;
    return error;
  }
  static void DayMerge(sqlite3_context* ctx, int, sqlite3_value** argv) {
    thread_local std::string merged;
    auto text = [&](int i) {
      return std::string_view(reinterpret_cast<const char*>(sqlite3_value_text(argv[i])),
                              static_cast<size_t>(sqlite3_value_bytes(argv[i])));
    };
    int kind = sqlite3_value_int(argv[2]);
    Status s = kind == kUniqueKind
                   ? counter_days::MergeUniqueText(text(0), text(1), &merged)
                   : counter_days::MergeCounterText(static_cast<CounterMerge>(kind), text(0), text(1), &merged);
    if (!s.ok()) {
      DayMergeError() = s;
      sqlite3_result_error(ctx, s.message().c_str(), -1);
      return;
    }
    sqlite3_result_text(ctx, merged.data(), static_cast<int>(merged.size()), SQLITE_TRANSIENT);
  }
  sqlite3_stmt* DayUpsert(int kind, size_t rows) {
    sqlite3_stmt*& s = day_upserts[kind][rows == 1 ? 0 : 1];
    if (!s) {
      std::string sql = "INSERT INTO ";
      sql += kind == kUniqueKind ? "usage_unique_days" : "usage_counter_days";
      sql += "(tenant_id, meter, day, data) VALUES ";
      for (size_t r = 0; r < rows; ++r) sql += r ? ",(?,?,?,?)" : "(?,?,?,?)";
      sql += " ON CONFLICT(tenant_id, meter, day) DO UPDATE SET data = meter_day_merge(data, excluded.data, " +
             std::to_string(kind) + ")";
      int rc = sqlite3_create_function_v2(handle, "meter_day_merge", 3, SQLITE_UTF8, nullptr, &DayMerge, nullptr,
                                          nullptr, nullptr);
      if (rc == SQLITE_OK) rc = sqlite3_prepare_v3(handle, sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
      if (rc != SQLITE_OK) throw SQLite::Exception(handle, rc);
    }
    return s;
  }
  // Writes texts[i] as the new share of day row groups[i] (i < n), merged
  // into the stored row by `kind`. Throws on failures but a merge's.
  Status WriteDayRows(Database& db, int kind, const std::vector<DayGroup>& groups,
                      const std::vector<std::string>& texts, size_t n);
  // AddCounters' and AddUniques' rows, kept between batches.
  DayRows days;

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
      Statement& s = Cached(db_, InsertEventSql());
      int i = 1;
      ForEachEventField(e, e, [&](EventColumn c, const auto& field, const auto&) { Bind(s, i++, c, field); });
      s.bind(i, ingested_at);
      return s.exec() > 0;
    }
    sqlite3_stmt* s = impl_->Insert();
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
      Statement& q = Cached(db_, InsertEventSql(first_copies.size()) + " RETURNING id, source");
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
    if (impl_->lookup_first) std::erase_if(todo, [&](size_t i) { return impl_->Stored(events[i]); });
    impl_->InsertRows(
        todo.size(), [&](sqlite3_stmt* s, int* p, size_t i) { BindEvent(s, p, events[todo[i]], ingested_at); },
        [&](size_t first, size_t rows) { impl_->MarkInserted(db_, events, todo, first, rows, inserted); });
    size_t added = static_cast<size_t>(std::count(inserted->begin(), inserted->end(), true));
    impl_->lookup_first = 2 * (events.size() - added) > events.size();
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

namespace {

template <typename Row>
void GroupByDay(const std::vector<Row>& rows, std::vector<DayGroup>* out) {
  out->clear();
  for (size_t i = 0; i < rows.size(); ++i) {
    Timestamp day = counter_days::DayOf(rows[i].hour);
    if (out->empty() || out->back().day != day || out->back().tenant != rows[i].tenant ||
        out->back().meter != rows[i].meter)
      out->push_back({rows[i].tenant, rows[i].meter, day, i, i});
    out->back().end = i + 1;
  }
}

bool KeyLess(const CounterDelta& a, const CounterDelta& b) {
  return std::tie(a.tenant, a.meter, a.hour) < std::tie(b.tenant, b.meter, b.hour);
}
bool KeyLess(const UniqueValue& a, const UniqueValue& b) {
  return std::tie(a.tenant, a.meter, a.hour, a.value) < std::tie(b.tenant, b.meter, b.hour, b.value);
}

}  // namespace

// SQLite: kRowsPerStatement rows per statement and the rest one by one, as
// InsertMany. PostgreSQL: one row alone (quota reserve's one event) by a
// point SELECT, the merge and an upsert; more by COPY of the groups' keys
// into a temporary table, one join for the stored rows, the merge here,
// COPY of the merged rows, one upsert. The caller's transaction holds the
// writer lock, so nobody writes in between.
Status EventStore::Impl::WriteDayRows(Database& db, int kind, const std::vector<DayGroup>& groups,
                                      const std::vector<std::string>& texts, size_t n) {
  if (!postgres) {
    for (size_t first = 0; first < n;) {
      size_t rows = n - first >= kRowsPerStatement ? kRowsPerStatement : 1;
      sqlite3_stmt* s = DayUpsert(kind, rows);
      int p = 1;
      for (size_t r = first; r < first + rows; ++r) {
        const DayGroup& k = groups[r];
        BindText(s, p++, k.tenant, false);
        BindText(s, p++, k.meter, false);
        sqlite3_bind_int64(s, p++, k.day);
        BindText(s, p++, texts[r], false);
      }
      DayMergeError() = Status::OK();
      int rc = sqlite3_step(s);
      sqlite3_reset(s);
      if (rc != SQLITE_DONE) {
        if (!DayMergeError().ok()) return std::exchange(DayMergeError(), Status::OK());
        throw SQLite::Exception(handle, rc);
      }
      first += rows;
    }
    return Status::OK();
  }
  auto merge = [&](std::string_view stored, std::string_view add, std::string* out) {
    return kind == kUniqueKind ? counter_days::MergeUniqueText(stored, add, out)
                               : counter_days::MergeCounterText(static_cast<CounterMerge>(kind), stored, add, out);
  };
  const std::string name = kind == kUniqueKind ? "usage_unique_days" : "usage_counter_days";
  if (n == 1) {
    const DayGroup& k = groups[0];
    Statement& q = Cached(db, "SELECT data FROM " + name + " WHERE tenant_id=? AND meter=? AND day=?");
    q.bindNoCopy(1, k.tenant);
    q.bindNoCopy(2, k.meter);
    q.bind(3, k.day);
    std::string stored = q.executeStep() ? q.getColumn(0).getString() : std::string();
    q.reset();
    std::string merged;
    METER_RETURN_IF_ERROR(merge(stored, texts[0], &merged));
    Statement& u = Cached(db, "INSERT INTO " + name + "(tenant_id, meter, day, data) VALUES(?,?,?,?) "
                                  "ON CONFLICT(tenant_id, meter, day) DO UPDATE SET data = excluded.data");
    u.bindNoCopy(1, k.tenant);
    u.bindNoCopy(2, k.meter);
    u.bind(3, k.day);
    u.bindNoCopy(4, merged);
    u.exec();
    return Status::OK();
  }
  static const std::string kKeys = "meter_day_keys", kRows = "meter_day_rows";
  EmptyStage(db, kKeys, "SELECT 0::bigint AS ord, tenant_id, meter, day FROM usage_counter_days");
  BulkInsert keys(db, kKeys, {"ord", "tenant_id", "meter", "day"});
  for (size_t i = 0; i < n; ++i) {
    keys.add(static_cast<int64_t>(i));
    keys.add(groups[i].tenant);
    keys.add(groups[i].meter);
    keys.add(groups[i].day);
    keys.endRow();
  }
  keys.finish();
  std::vector<std::string> rows(n);
  {
    // A probe of the primary key per group (LATERAL .. LIMIT 1 keeps the
    // planner from hashing the whole table).
    Statement q(db, "SELECT k.ord, d.data FROM " + kKeys + " k, LATERAL (SELECT data FROM " + name +
                        " t WHERE t.tenant_id = k.tenant_id AND t.meter = k.meter AND t.day = k.day LIMIT 1) d");
    while (q.executeStep()) rows[static_cast<size_t>(q.getColumn(0).getInt64())] = q.getColumn(1).getString();
  }
  for (size_t i = 0; i < n; ++i) {
    if (rows[i].empty()) rows[i] = texts[i];
    else METER_RETURN_IF_ERROR(merge(std::string(rows[i]), texts[i], &rows[i]));
  }
  EmptyStage(db, kRows, "SELECT tenant_id, meter, day, data FROM usage_counter_days");
  BulkInsert out(db, kRows, {"tenant_id", "meter", "day", "data"});
  for (size_t i = 0; i < n; ++i) {
    out.add(groups[i].tenant);
    out.add(groups[i].meter);
    out.add(groups[i].day);
    out.add(rows[i]);
    out.endRow();
  }
  out.finish();
  Cached(db, "INSERT INTO " + name + "(tenant_id, meter, day, data) SELECT tenant_id, meter, day, data FROM " +
                 kRows + " ON CONFLICT(tenant_id, meter, day) DO UPDATE SET data = excluded.data")
      .exec();
  return Status::OK();
}

// The day rows of one kind (a CounterMerge, or kUniqueKind): groups[i]'s
// new share encoded in texts[i], for i < n.
struct DayRows::Impl {
  struct Part {
    std::vector<DayGroup> groups;
    std::vector<std::string> texts;
    size_t n = 0;
    void Add(const DayGroup& g) {
      if (groups.size() <= n) groups.emplace_back(), texts.emplace_back();
      groups[n++] = g;
    }
  };
  Part parts[kDayRowKinds];  // by kind
  std::vector<DayGroup> all;
  std::vector<counter_days::CounterHour> delta_hours;
  std::vector<counter_days::UniqueHour> new_values;
};

DayRows::DayRows() : impl_(std::make_unique<Impl>()) {}
DayRows::~DayRows() = default;

Status DayRows::SetCounters(const std::vector<CounterDelta>& deltas) {
  Impl& m = *impl_;
  for (int kind = 0; kind < kUniqueKind; ++kind) m.parts[kind].n = 0;
  for (size_t i = 1; i < deltas.size(); ++i)
    if (KeyLess(deltas[i], deltas[i - 1])) return Status::InvalidArgument("counter deltas not sorted by key");
  GroupByDay(deltas, &m.all);
  for (const DayGroup& k : m.all) {
    CounterMerge merge = deltas[k.first].merge;
    Impl::Part& part = m.parts[static_cast<int>(merge)];
    part.Add(k);
    std::vector<counter_days::CounterHour>& add = m.delta_hours;
    add.clear();
    for (size_t i = k.first; i < k.end; ++i) {
      const CounterDelta& d = deltas[i];
      counter_days::CounterHour h{d.hour, d.value, d.events, std::nullopt};
      if (merge == CounterMerge::kLatest) h.latest_ts = d.latest_ts;
      if (!add.empty() && add.back().hour == h.hour) METER_RETURN_IF_ERROR(counter_days::Merge(merge, h, &add.back()));
      else add.push_back(h);
    }
    counter_days::EncodeCounters(k.day, add, &part.texts[part.n - 1]);
  }
  return Status::OK();
}

Status DayRows::SetUniques(const std::vector<UniqueValue>& values) {
  Impl& m = *impl_;
  Impl::Part& part = m.parts[kUniqueKind];
  part.n = 0;
  for (size_t i = 1; i < values.size(); ++i)
    if (KeyLess(values[i], values[i - 1])) return Status::InvalidArgument("distinct values not sorted by key");
  GroupByDay(values, &m.all);
  for (const DayGroup& k : m.all) {
    part.Add(k);
    std::vector<counter_days::UniqueHour>& add = m.new_values;
    add.clear();
    for (size_t i = k.first; i < k.end; ++i)
      if (add.empty() || add.back().hour != values[i].hour || add.back().value != values[i].value)
        add.push_back({values[i].hour, values[i].value});
    counter_days::EncodeUniques(k.day, add, &part.texts[part.n - 1]);
  }
  return Status::OK();
}

Status EventStore::AddDays(const DayRows& rows) {
  return Guarded(db_, [&]() -> Status {
    // One statement merges one way: each kind's day rows, in key order.
    for (int kind = 0; kind <= kUniqueKind; ++kind) {
      const DayRows::Impl::Part& part = rows.impl_->parts[kind];
      if (part.n > 0) METER_RETURN_IF_ERROR(impl_->WriteDayRows(db_, kind, part.groups, part.texts, part.n));
    }
    return Status::OK();
  });
}

namespace {

// Calls write(rows), sorted by key first (a sorted copy) when they are not.
template <typename Row, typename Write>
Status InKeyOrder(const std::vector<Row>& rows, Write write) {
  auto less = [](const Row& a, const Row& b) { return KeyLess(a, b); };
  if (std::is_sorted(rows.begin(), rows.end(), less)) return write(rows);
  std::vector<Row> sorted = rows;
  std::stable_sort(sorted.begin(), sorted.end(), less);
  return write(sorted);
}

}  // namespace

Status EventStore::AddCounters(const std::vector<CounterDelta>& deltas) {
  return InKeyOrder(deltas, [this](const std::vector<CounterDelta>& sorted) {
    DayRows& days = impl_->days;
    days.impl_->parts[kUniqueKind].n = 0;
    METER_RETURN_IF_ERROR(days.SetCounters(sorted));
    return AddDays(days);
  });
}

Status EventStore::AddUniques(const std::vector<UniqueValue>& values) {
  return InKeyOrder(values, [this](const std::vector<UniqueValue>& sorted) {
    DayRows& days = impl_->days;
    for (int kind = 0; kind < kUniqueKind; ++kind) days.impl_->parts[kind].n = 0;
    METER_RETURN_IF_ERROR(days.SetUniques(sorted));
    return AddDays(days);
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
    LowerThreadPriority(kCheckpointNiceAbove);
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
