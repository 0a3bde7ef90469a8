#include "store/pg_driver.h"


#include <cctype>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "store/dialect.h"
#include "store/pg_url.h"
#include "store/pq_api.h"

namespace meter::store {
namespace {

const PqApi* g_pq = nullptr;

// The loaded libpq; PgConnection's constructor loads it before any use.
const PqApi& Pq() { return *g_pq; }

// Type OIDs from PostgreSQL's catalog (pg_type.dat); stable across versions.
constexpr Oid kBoolOid = 16;
constexpr Oid kInt8Oid = 20;
constexpr Oid kTextOid = 25;
constexpr Oid kFloat8Oid = 701;
constexpr Oid kInt2Oid = 21;
constexpr Oid kInt4Oid = 23;
constexpr Oid kOidOid = 26;
constexpr Oid kFloat4Oid = 700;

// The class half of the writer lock's advisory key: "metr".
constexpr int32_t kLockClass = 0x6d657472;

std::string FirstLine(std::string_view s) {
  size_t nl = s.find('\n');
  std::string line(s.substr(0, nl));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line;
}

// "host:port" for messages; a Unix socket shows as its directory.
std::string Where(PGconn* c) {
  const char* host = c ? Pq().PQhost(c) : nullptr;
  const char* port = c ? Pq().PQport(c) : nullptr;
  std::string h = host && *host ? host : "localhost";
  std::string p = port && *port ? port : "5432";
  if (h.starts_with("/")) return fmt::format("local socket {} port {}", h, p);
  return fmt::format("{}:{}", h, p);
}

// libpq's reason after its "connection to server at ... failed: " preamble.
std::string ConnectReason(PGconn* c) {
  std::string msg = Pq().PQerrorMessage(c);
  size_t failed = msg.find("failed: ");
  std::string reason = failed == std::string::npos ? msg : msg.substr(failed + 8);
  reason = FirstLine(reason);
  if (reason.starts_with("FATAL:")) reason = reason.substr(6);
  while (!reason.empty() && reason.front() == ' ') reason.erase(0, 1);
  return reason;
}

bool Contains(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// Exit 69 when no server answered, 74 when one refused the login (naming the
// user) or has no such database, 75 when it is full for now.
Status ConnectFailure(PGconn* c) {
  std::string full = c ? Pq().PQerrorMessage(c) : "out of memory";
  std::string reason = c ? ConnectReason(c) : full;
  const char* user = c ? Pq().PQuser(c) : nullptr;
  std::string who = user && *user ? user : "(default)";
  bool answered = Contains(full, "FATAL:") || Contains(full, "fe_sendauth") || Contains(full, "SCRAM");
  if (answered && Contains(full, "too many clients"))
    return Status::Busy(fmt::format("PostgreSQL server at {} has no free connection ({}); try again later", Where(c),
                                    reason));
  if (answered && (Contains(full, "password") || Contains(full, "authentication") || Contains(full, "role") ||
                   Contains(full, "pg_hba.conf") || Contains(full, "permission denied") ||
                   Contains(full, "fe_sendauth") || Contains(full, "SCRAM")))
    return Status::IOError(fmt::format(
        "PostgreSQL server at {} refused the login of user '{}': {}; check the user, its password (URL, "
        "PGPASSWORD or ~/.pgpass) and pg_hba.conf",
        Where(c), who, reason));
  if (answered && Contains(full, "does not exist"))
    return Status::IOError(fmt::format(
        "PostgreSQL server at {} has no database '{}' (user '{}'): {}; create it (createdb) or fix the URL's "
        "database name",
        Where(c), Pq().PQdb(c), who, reason));
  return Status::Unavailable(fmt::format(
      "cannot reach PostgreSQL server at {}: {}; check that it runs and accepts connections there", Where(c),
      reason));
}

// CREATE and ALTER statements are written with SQLite's types (dialect.h).
std::string Translate(std::string_view sql) {
  size_t i = sql.find_first_not_of(" \t\n");
  std::string_view head = i == std::string_view::npos ? "" : sql.substr(i, 6);
  auto upper = [](std::string_view s) {
    std::string u(s);
    for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return u;
  };
  std::string h = upper(head);
  if (h.starts_with("CREATE") || h.starts_with("ALTER")) return PostgresDdl(sql);
  return std::string(sql);
}

class PgStatement : public StatementDriver {
 public:
  PgStatement(PgConnection& c, std::string_view sql) : c_(c) {
    int n = 0;
    sql_ = PostgresPlaceholders(Translate(sql), &n);
    values_.resize(static_cast<size_t>(n));
    types_.assign(static_cast<size_t>(n), 0);
  }
  ~PgStatement() override {
    Clear();
    if (!name_.empty() && Pq().PQstatus(c_.handle()) == CONNECTION_OK) {
      // Prepared statements live as long as the connection; drop ours.
      PGresult* r = Pq().PQexec(c_.handle(), ("DEALLOCATE " + name_).c_str());
      Pq().PQclear(r);
    }
  }

  void BindNull(int i) override { Set(i, std::nullopt, 0); }
  void BindInt64(int i, int64_t v) override { Set(i, std::to_string(v), kInt8Oid); }
  void BindDouble(int i, double v) override { Set(i, fmt::format("{}", v), kFloat8Oid); }
  void BindText(int i, std::string_view v, bool) override { Set(i, std::string(v), kTextOid); }
  void ClearBindings() override {
    for (auto& v : values_) v.reset();
  }

  bool Step() override {
    if (!res_) {
      Run();
      row_ = 0;
    } else {
      ++row_;
    }
    return row_ < Pq().PQntuples(res_);
  }
  int64_t Changes() override {
    if (!res_) return 0;
    const char* n = Pq().PQcmdTuples(res_);
    return n && *n ? std::strtoll(n, nullptr, 10) : 0;
  }
  void Reset() override { Clear(); }
  int ColumnCount() override { return res_ ? Pq().PQnfields(res_) : 0; }
  bool IsNull(int col) override { return Pq().PQgetisnull(res_, row_, col) != 0; }
  int64_t Int64(int col) override {
    if (IsNull(col)) return 0;
    const char* v = Pq().PQgetvalue(res_, row_, col);
    if (Pq().PQftype(res_, col) == kBoolOid) return v[0] == 't' ? 1 : 0;
    char* end = nullptr;
    long long n = std::strtoll(v, &end, 10);
    // A NUMERIC with a fraction (AVG) reads like SQLite's integer cast.
    if (end && *end == '.') return static_cast<int64_t>(std::strtod(v, nullptr));
    return n;
  }
  double Double(int col) override { return IsNull(col) ? 0.0 : std::strtod(Pq().PQgetvalue(res_, row_, col), nullptr); }
  std::string_view Text(int col) override {
    if (IsNull(col)) return {};
    const char* v = Pq().PQgetvalue(res_, row_, col);
    if (Pq().PQftype(res_, col) == kBoolOid) return v[0] == 't' ? "1" : "0";
    return std::string_view(v, static_cast<size_t>(Pq().PQgetlength(res_, row_, col)));
  }
  ValueType Type(int col) override {
    if (IsNull(col)) return ValueType::kNull;
    switch (Pq().PQftype(res_, col)) {
      case kBoolOid:
      case kInt2Oid:
      case kInt4Oid:
      case kInt8Oid:
      case kOidOid:
        return ValueType::kInteger;
      case kFloat4Oid:
      case kFloat8Oid:
        return ValueType::kReal;
      default:
        return ValueType::kText;
    }
  }
  std::string ColumnName(int col) override {
    const char* name = res_ ? Pq().PQfname(res_, col) : nullptr;
    return name ? name : "";
  }

 private:
  void Set(int i, std::optional<std::string> v, Oid type) {
    if (i < 1 || static_cast<size_t>(i) > values_.size())
      throw DbError(Status::Internal(fmt::format("bind index {} out of range for: {}", i, sql_)));
    values_[static_cast<size_t>(i - 1)] = std::move(v);
    if (type != 0) types_[static_cast<size_t>(i - 1)] = type;
  }
  void Clear() {
    if (res_) Pq().PQclear(res_);
    res_ = nullptr;
    row_ = 0;
  }
  // The first run parses on the server with the bound types; a statement
  // run again is prepared once and executed by name from then on.
  void Run() {
    std::vector<const char*> values(values_.size());
    for (size_t i = 0; i < values_.size(); ++i) values[i] = values_[i] ? values_[i]->c_str() : nullptr;
    int n = static_cast<int>(values.size());
    if (runs_++ == 1) {
      std::string name = c_.NextStatementName();
      Pq().PQclear(c_.Check(Pq().PQprepare(c_.handle(), name.c_str(), sql_.c_str(), n, types_.data())));
      name_ = name;
    }
    if (!name_.empty()) {
      res_ = c_.Check(Pq().PQexecPrepared(c_.handle(), name_.c_str(), n, values.data(), nullptr, nullptr, 0));
    } else {
      res_ = c_.Check(Pq().PQexecParams(c_.handle(), sql_.c_str(), n, types_.data(), values.data(), nullptr, nullptr, 0));
    }
  }

  PgConnection& c_;
  std::string sql_;
  std::vector<std::optional<std::string>> values_;
  std::vector<Oid> types_;
  PGresult* res_ = nullptr;
  int row_ = 0;
  int runs_ = 0;
  std::string name_;
};

// COPY ... FROM STDIN in text format: rows buffered and sent in chunks of
// about 1 MiB, so a large table costs a few round trips.
class PgBulkWriter : public BulkWriter {
 public:
  PgBulkWriter(PgConnection& c, std::string_view table, const std::vector<std::string>& columns) : c_(c) {
    std::string names;
    for (const std::string& col : columns) names += (names.empty() ? "" : ", ") + QuoteIdentifier(col);
    std::string sql = fmt::format("COPY {}({}) FROM STDIN", table, names);
    Pq().PQclear(c_.Check(Pq().PQexec(c_.handle(), sql.c_str())));
    active_ = true;
  }
  ~PgBulkWriter() override {
    if (!active_) return;
    // Abandoned (an exception is on its way): end the COPY with an error so
    // the connection is usable for the ROLLBACK.
    Pq().PQputCopyEnd(c_.handle(), "abandoned");
    while (PGresult* r = Pq().PQgetResult(c_.handle())) Pq().PQclear(r);
  }

  void Null() override {
    Separate();
    buf_ += "\\N";
  }
  void Int64(int64_t v) override {
    Separate();
    fmt::format_to(std::back_inserter(buf_), "{}", v);
  }
  void Double(double v) override {
    Separate();
    fmt::format_to(std::back_inserter(buf_), "{}", v);
  }
  void Text(std::string_view v) override {
    Separate();
    for (char ch : v) {
      switch (ch) {
        case '\\': buf_ += "\\\\"; break;
        case '\n': buf_ += "\\n"; break;
        case '\r': buf_ += "\\r"; break;
        case '\t': buf_ += "\\t"; break;
        default: buf_ += ch;
      }
    }
  }
  void EndRow() override {
    buf_ += '\n';
    first_ = true;
    ++rows_;
    if (buf_.size() >= kChunk) Send();
  }
  int64_t Finish() override {
    Send();
    active_ = false;
    if (Pq().PQputCopyEnd(c_.handle(), nullptr) != 1) c_.Throw(nullptr);
    // Every result is read before the first error is thrown, so the
    // connection is left ready for the next command.
    PGresult* failed = nullptr;
    while (PGresult* r = Pq().PQgetResult(c_.handle())) {
      ExecStatusType st = Pq().PQresultStatus(r);
      if (st != PGRES_COMMAND_OK && !failed) failed = r;
      else Pq().PQclear(r);
    }
    if (failed) c_.Throw(failed);
    return rows_;
  }

 private:
  static constexpr size_t kChunk = 1 << 20;
  void Separate() {
    if (!first_) buf_ += '\t';
    first_ = false;
  }
  void Send() {
    if (buf_.empty()) return;
    if (Pq().PQputCopyData(c_.handle(), buf_.data(), static_cast<int>(buf_.size())) != 1) c_.Throw(nullptr);
    buf_.clear();
  }
  PgConnection& c_;
  std::string buf_;
  bool first_ = true;
  bool active_ = false;
  int64_t rows_ = 0;
};

void IgnoreNotice(void*, const char*) {}


}  // namespace

PgConnection::PgConnection(const std::string& url, const OpenOptions& options) : display_(MaskedUrl(url)) {
  auto api = LoadPq();
  if (!api.ok()) throw DbError(api.status());
  g_pq = *api;
  PgTarget target = ParsePgUrl(url);
  conn_ = Pq().PQconnectdb(target.conninfo.c_str());
  if (!conn_ || Pq().PQstatus(conn_) != CONNECTION_OK) {
    Status st = ConnectFailure(conn_);
    Pq().PQfinish(conn_);
    conn_ = nullptr;
    throw DbError(st);
  }
  Pq().PQsetNoticeProcessor(conn_, IgnoreNotice, nullptr);
  if (!target.schema.empty() && options.create && !options.read_only) {
    // Under an advisory lock: two processes creating the same schema at
    // once would otherwise collide in the catalog.
    Exec(fmt::format("BEGIN; SELECT pg_advisory_xact_lock({}, hashtext({})); CREATE SCHEMA IF NOT EXISTS {}; COMMIT",
                     kLockClass, "'schema:" + target.schema + "'", QuoteIdentifier(target.schema)));
  }
  // One round trip sets the session up and reads what the open needs next:
  // the writer lock's key and whether meter's version table exists (a short
  // command such as `quota check` is mostly round trips and server start-up).
  std::string setup = fmt::format("SET client_min_messages = warning; SET lock_timeout = {}; SET TIME ZONE 'UTC'; ",
                                  options.busy_timeout_ms);
  if (!target.schema.empty()) setup += "SET search_path TO " + QuoteIdentifier(target.schema) + "; ";
  setup += "SELECT hashtext(current_schema()), to_regclass('meter_schema') IS NOT NULL";
  PGresult* r = Check(Pq().PQexec(conn_, setup.c_str()));
  lock_key_ = Pq().PQgetisnull(r, 0, 0) ? 0 : static_cast<int32_t>(std::strtol(Pq().PQgetvalue(r, 0, 0), nullptr, 10));
  version_table_seen_ = Pq().PQgetvalue(r, 0, 1)[0] == 't';
  Pq().PQclear(r);
}

PgConnection::~PgConnection() {
  if (conn_) Pq().PQfinish(conn_);
}

void PgConnection::Throw(PGresult* res) {
  std::string sqlstate, primary;
  if (res) {
    const char* s = Pq().PQresultErrorField(res, PG_DIAG_SQLSTATE);
    const char* m = Pq().PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
    sqlstate = s ? s : "";
    primary = m ? m : FirstLine(Pq().PQresultErrorMessage(res));
    Pq().PQclear(res);
  }
  if (primary.empty()) primary = FirstLine(Pq().PQerrorMessage(conn_));
  Status st;
  if (Pq().PQstatus(conn_) != CONNECTION_OK || sqlstate.starts_with("08") || sqlstate == "57P01" ||
      sqlstate == "57P02" || sqlstate == "57P03") {
    st = Status::Busy(fmt::format(
        "lost the connection to PostgreSQL server at {} ({}); the transaction was rolled back and nothing "
        "was half-written; try again",
        Where(conn_), primary));
  } else if (sqlstate == "55P03" || sqlstate == "57014") {
    st = Status::Busy(fmt::format(
        "database '{}' is locked by another process past the busy timeout; try again later "
        "(or raise METER_BUSY_TIMEOUT_MS)",
        display_));
  } else if (sqlstate == "40001" || sqlstate == "40P01") {
    st = Status::Busy(fmt::format("database '{}': {} (retried); try again", display_, primary));
  } else if (sqlstate.starts_with("53")) {
    st = Status::IOError(fmt::format("PostgreSQL server at {} is out of resources: {}; nothing was committed",
                                     Where(conn_), primary));
  } else if (sqlstate == "42501" || sqlstate == "25006") {
    st = Status::IOError(fmt::format("database '{}': {}; grant the role the privileges README lists", display_,
                                     primary));
  } else if (sqlstate.starts_with("XX")) {
    st = Status::IOError(fmt::format("database '{}' reports an internal error: {}", display_, primary));
  } else {
    st = Status::Internal(fmt::format("database '{}': {}", display_, primary));
  }
  DbError e(st);
  e.sqlstate = sqlstate;
  throw e;
}

PGresult* PgConnection::Check(PGresult* res) {
  ExecStatusType s = res ? Pq().PQresultStatus(res) : PGRES_FATAL_ERROR;
  if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK || s == PGRES_COPY_IN) return res;
  Throw(res);
}

std::unique_ptr<StatementDriver> PgConnection::Prepare(std::string_view sql) {
  return std::make_unique<PgStatement>(*this, sql);
}

std::unique_ptr<BulkWriter> PgConnection::Bulk(std::string_view table, const std::vector<std::string>& columns) {
  return std::make_unique<PgBulkWriter>(*this, table, columns);
}

void PgConnection::Exec(std::string_view sql) { Pq().PQclear(Check(Pq().PQexec(conn_, Translate(sql).c_str()))); }

void PgConnection::BeginWrite() {
  Exec(fmt::format("BEGIN; SELECT pg_advisory_xact_lock({}, {})", kLockClass, lock_key_));
}

void PgConnection::BeginRead() { Exec("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); }

void PgConnection::Commit() { Exec("COMMIT"); }

void PgConnection::Rollback() noexcept {
  if (Pq().PQstatus(conn_) == CONNECTION_OK) Pq().PQclear(Pq().PQexec(conn_, "ROLLBACK"));
}

int PgConnection::UserVersion() {
  if (!version_table_seen_) {
    // Not there when the connection opened: another process may have made it.
    PGresult* r = Check(Pq().PQexec(conn_, "SELECT to_regclass('meter_schema') IS NOT NULL"));
    version_table_seen_ = Pq().PQgetvalue(r, 0, 0)[0] == 't';
    Pq().PQclear(r);
    if (!version_table_seen_) return 0;
  }
  PGresult* r = Check(Pq().PQexec(conn_, "SELECT COALESCE(MAX(version), 0) FROM meter_schema"));
  int v = std::atoi(Pq().PQgetvalue(r, 0, 0));
  Pq().PQclear(r);
  return v;
}

void PgConnection::SetUserVersion(int version) {
  Exec(fmt::format("CREATE TABLE IF NOT EXISTS meter_schema(version BIGINT NOT NULL); DELETE FROM meter_schema; "
                   "INSERT INTO meter_schema(version) VALUES({})",
                   version));
  version_table_seen_ = true;
}

}  // namespace meter::store
