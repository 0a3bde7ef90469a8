// The reference of SPEC section 9's ingest benchmark: a minimal C++ program
// that parses usage records (simdjson for NDJSON and CloudEvents, a split on
// commas for CSV) and inserts the same columns into SQLite with one prepared
// statement in one transaction, into a table with a unique index on the
// event's identity. Single-threaded; no validation, no counters, no rejects.
//
// It gets the same table shape and connection settings as meter's own
// database (WAL, 64 MiB page cache, synchronous=FULL, the events columns and
// the (id, source) unique index), so the ratio measures what meter adds, not
// a difference in tuning.
//
//   bench_ingest_reference [--format ndjson|csv|cloudevents] INPUT DB
// prints one JSON line: {"events","seconds","events_per_second"}.
#include <simdjson.h>
#include <sqlite3.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"

namespace {

using simdjson::ondemand::object;

constexpr const char* kSchema = R"(CREATE TABLE IF NOT EXISTS events(
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL, tenant_id TEXT NOT NULL, metric TEXT NOT NULL,
    ts INTEGER NOT NULL, quantity INTEGER NOT NULL, user_id TEXT, operation TEXT, status TEXT,
    latency_ms INTEGER, cost TEXT, properties TEXT, ingested_at INTEGER NOT NULL,
    source TEXT NOT NULL DEFAULT ''))";

// One record's columns, as views into the input (or `props`).
struct Row {
  std::string_view id, source, tenant, metric, ts, user, op, status, cost, props;
  double quantity = 1;
  int64_t latency = -1;
};

void BindText(sqlite3_stmt* st, int i, std::string_view v) {
  if (v.empty()) sqlite3_bind_null(st, i);
  else sqlite3_bind_text(st, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}

void Exec(sqlite3* db, const char* sql) {
  if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
    std::exit(74);
  }
}

// Binds and inserts one row; false when its time cannot be read.
bool Insert(const Row& r, sqlite3_stmt* st) {
  auto t = meter::ParseRfc3339(r.ts);
  if (!t.ok()) return false;
  BindText(st, 1, r.id);
  BindText(st, 2, r.tenant);
  BindText(st, 3, r.metric);
  sqlite3_bind_int64(st, 4, *t);
  sqlite3_bind_int64(st, 5, static_cast<int64_t>(r.quantity * 1000000));
  BindText(st, 6, r.user);
  BindText(st, 7, r.op);
  BindText(st, 8, r.status);
  if (r.latency >= 0) sqlite3_bind_int64(st, 9, r.latency);
  else sqlite3_bind_null(st, 9);
  BindText(st, 10, r.cost);
  BindText(st, 11, r.props);
  sqlite3_bind_int64(st, 12, 0);
  sqlite3_bind_text(st, 13, r.source.empty() ? "" : r.source.data(), static_cast<int>(r.source.size()),
                    SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE) {
    std::fprintf(stderr, "insert: %s\n", sqlite3_errmsg(sqlite3_db_handle(st)));
    std::exit(74);
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return true;
}

// The native fields of an object (a native record, or a CloudEvent's data);
// other members are appended to `props` as JSON when it is given.
bool ReadFields(object obj, Row* r, std::string* props) {
  for (auto field : obj) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    auto v = field.value();
    if (key == "id") { if (v.get_string().get(r->id)) return false; }
    else if (key == "tenant") { if (v.get_string().get(r->tenant)) return false; }
    else if (key == "metric") { if (v.get_string().get(r->metric)) return false; }
    else if (key == "timestamp") { if (v.get_string().get(r->ts)) return false; }
    else if (key == "quantity") { if (v.get_double().get(r->quantity)) return false; }
    else if (key == "user") { if (v.get_string().get(r->user)) return false; }
    else if (key == "operation") { if (v.get_string().get(r->op)) return false; }
    else if (key == "status") { if (v.get_string().get(r->status)) return false; }
    else if (key == "latency_ms") { if (v.get_int64().get(r->latency)) return false; }
    else if (key == "cost") { if (v.get_string().get(r->cost)) return false; }
    else if (key == "properties") {
      object p;
      if (v.get_object().get(p) || p.raw_json().get(r->props)) return false;
    } else if (props) {
      simdjson::ondemand::value value;
      simdjson::ondemand::json_type type;
      std::string_view raw;
      if (v.get(value) || value.type().get(type)) return false;
      if (type == simdjson::ondemand::json_type::object) {
        object o;
        if (value.get_object().get(o) || o.raw_json().get(raw)) return false;
      } else if (type == simdjson::ondemand::json_type::array) {
        simdjson::ondemand::array a;
        if (value.get_array().get(a) || a.raw_json().get(raw)) return false;
      } else {
        raw = value.raw_json_token();
        while (!raw.empty() && (raw.back() == ' ' || raw.back() == '\n')) raw.remove_suffix(1);
      }
      props->append(props->empty() ? "{\"" : ",\"").append(key).append("\":").append(raw);
    }
  }
  return true;
}

int64_t LoadNdjson(const simdjson::padded_string& input, bool cloudevents, sqlite3_stmt* insert) {
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document_stream stream;
  if (parser.iterate_many(input).get(stream)) std::exit(65);
  int64_t events = 0;
  std::string props;
  for (auto doc : stream) {
    object obj;
    if (doc.get_object().get(obj)) continue;
    Row r;
    bool ok = true;
    if (!cloudevents) {
      ok = ReadFields(obj, &r, nullptr);
    } else {
      props.clear();
      for (auto field : obj) {
        std::string_view key;
        if (field.unescaped_key().get(key)) { ok = false; break; }
        auto v = field.value();
        if (key == "id") ok = !v.get_string().get(r.id);
        else if (key == "source") ok = !v.get_string().get(r.source);
        else if (key == "type") ok = !v.get_string().get(r.metric);
        else if (key == "subject") ok = !v.get_string().get(r.tenant);
        else if (key == "time") ok = !v.get_string().get(r.ts);
        else if (key == "data") {
          object data;
          ok = !v.get_object().get(data) && ReadFields(data, &r, &props);
        }
        if (!ok) break;
      }
      if (!props.empty()) {
        props += '}';
        r.props = props;
      }
    }
    if (ok && Insert(r, insert)) ++events;
  }
  return events;
}

// Comma-separated cells (no quoting: the benchmark's CSV has none).
void Split(std::string_view line, std::vector<std::string_view>* cells) {
  cells->clear();
  for (size_t start = 0;;) {
    size_t comma = line.find(',', start);
    cells->push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) return;
    start = comma + 1;
  }
}

int64_t LoadCsv(std::string_view input, sqlite3_stmt* insert) {
  std::vector<std::string_view> header, cells;
  int64_t events = 0;
  std::string props;
  for (size_t pos = 0; pos < input.size();) {
    size_t end = input.find('\n', pos);
    if (end == std::string_view::npos) end = input.size();
    std::string_view line = input.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty()) continue;
    if (header.empty()) {
      Split(line, &header);
      continue;
    }
    Split(line, &cells);
    if (cells.size() != header.size()) continue;
    Row r;
    props.clear();
    for (size_t i = 0; i < cells.size(); ++i) {
      std::string_view name = header[i], cell = cells[i];
      if (cell.empty()) continue;
      if (name == "id") r.id = cell;
      else if (name == "tenant") r.tenant = cell;
      else if (name == "metric") r.metric = cell;
      else if (name == "timestamp") r.ts = cell;
      else if (name == "quantity") r.quantity = std::strtod(std::string(cell).c_str(), nullptr);
      else if (name == "user") r.user = cell;
      else if (name == "operation") r.op = cell;
      else if (name == "status") r.status = cell;
      else if (name == "latency_ms") r.latency = std::strtoll(std::string(cell).c_str(), nullptr, 10);
      else if (name == "cost") r.cost = cell;
      else {
        bool number = cell.find_first_not_of("0123456789.") == std::string_view::npos;
        props.append(props.empty() ? "{\"" : ",\"").append(name).append(number ? "\":" : "\":\"").append(cell);
        if (!number) props += '"';
      }
    }
    if (!props.empty()) {
      props += '}';
      r.props = props;
    }
    if (Insert(r, insert)) ++events;
  }
  return events;
}

}  // namespace

int main(int argc, char** argv) {
  std::string format = "ndjson";
  int arg = 1;
  if (argc == 5 && std::strcmp(argv[1], "--format") == 0) {
    format = argv[2];
    arg = 3;
  }
  if (argc - arg != 2 || (format != "ndjson" && format != "csv" && format != "cloudevents")) {
    std::fprintf(stderr, "usage: %s [--format ndjson|csv|cloudevents] INPUT DB\n", argv[0]);
    return 2;
  }
  auto start = std::chrono::steady_clock::now();
  sqlite3* db = nullptr;
  if (sqlite3_open(argv[arg + 1], &db) != SQLITE_OK) return 74;
  Exec(db, "PRAGMA journal_mode=WAL");
  Exec(db, "PRAGMA synchronous=FULL");
  Exec(db, "PRAGMA cache_size=-65536");
  Exec(db, kSchema);
  Exec(db, "CREATE UNIQUE INDEX IF NOT EXISTS events_identity ON events(id, source)");
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db,
      "INSERT INTO events(id, tenant_id, metric, ts, quantity, user_id, operation, status, latency_ms, cost, "
      "properties, ingested_at, source) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?) ON CONFLICT (id, source) DO NOTHING",
      -1, &insert, nullptr);

  simdjson::padded_string input;
  if (simdjson::padded_string::load(argv[arg]).get(input)) {
    std::fprintf(stderr, "cannot read %s\n", argv[arg]);
    return 66;
  }
  Exec(db, "BEGIN");
  int64_t events = format == "csv" ? LoadCsv(std::string_view(input.data(), input.size()), insert)
                                   : LoadNdjson(input, format == "cloudevents", insert);
  Exec(db, "COMMIT");
  sqlite3_finalize(insert);
  sqlite3_close(db);
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("{\"events\":%lld,\"seconds\":%.3f,\"events_per_second\":%.0f}\n",
              static_cast<long long>(events), seconds, events / seconds);
  return 0;
}
