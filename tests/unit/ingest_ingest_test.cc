// The ingest pipeline (ingest/ingest.h) from files to a real database:
// counts of read, accepted, duplicate, rejected and late records, the
// rejects files, batches, --strict, re-runs and the checks made before
// anything is read. Quantities checked through the usage counters.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "billing/generate.h"
#include "ingest/ingest.h"
#include "support/usage_events.h"
#include "usage/quantity.h"

namespace meter::ingest {
namespace {

using testing::At;

constexpr const char* kCatalog = R"({
  "meters": [{"key": "api_calls"}],
  "plans": [{"key": "p", "base_price": "0"}],
  "tenants": [{"id": "acme", "plan": "p"}, {"id": "beta", "plan": "p"}]})";

// Line 1 a comment, 3 blank; 5 repeats line 2's id; 6 names no tenant.
constexpr const char* kJson =
    "# a comment\n"
    R"({"id":"e1","tenant":"acme","metric":"api_calls","quantity":2,"timestamp":"2026-02-03T10:00:00Z"})" "\n"
    "\n"
    R"({"id":"e2","tenant":"acme","metric":"api_calls","quantity":3.5,"timestamp":"2026-02-03T10:30:00Z"})" "\n"
    R"({"id":"e1","tenant":"acme","metric":"api_calls","quantity":2,"timestamp":"2026-02-03T10:00:00Z"})" "\n"
    R"({"id":"e3","tenant":"nobody","metric":"api_calls","quantity":1,"timestamp":"2026-02-03T10:00:00Z"})" "\n"
    R"({"id":"e4","tenant":"beta","metric":"api_calls","quantity":1,"timestamp":"2026-02-03T11:00:00Z"})" "\n";

constexpr const char* kCsv =
    "id,tenant,metric,quantity,timestamp,region\n"
    "c1,acme,api_calls,10,2026-02-04T00:00:00Z,eu\n"
    "c2,acme,api_calls,ten,2026-02-04T00:00:00Z,eu\n";

std::string Slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Fixture : testing::UsageDb {
  std::string json = (t.dir / "a.ndjson").string();
  std::string csv = (t.dir / "b.csv").string();

  Fixture() : UsageDb(kCatalog) {
    std::ofstream(json) << kJson;
    std::ofstream(csv) << kCsv;
  }
  IngestSummary Run(const std::vector<std::string>& inputs, IngestOptions o = {}) {
    IngestSummary s;
    Status st = Ingest(db, c, inputs, o, [](uint64_t) {}, &s);
    REQUIRE_MESSAGE(st.ok(), st.message());
    return s;
  }
  std::string Used(const char* tenant) {
    auto q = usage::MeterQuantity(db, tenant, *c.FindMeter("api_calls"),
                                  {At("2026-02-01T00:00:00Z"), At("2026-03-01T00:00:00Z")});
    REQUIRE(q.ok());
    return q->ToString();
  }
};

void CheckCounts(const IngestCounts& c, uint64_t read, uint64_t accepted, uint64_t duplicates, uint64_t rejected) {
  CHECK(c.read == read);
  CHECK(c.accepted == accepted);
  CHECK(c.duplicates == duplicates);
  CHECK(c.rejected == rejected);
}

TEST_CASE("ingest.ingest: JSON and CSV inputs counted, stored and rejected record by record") {
  Fixture f;
  IngestSummary s = f.Run({f.json, f.csv});
  CHECK(s.committed);
  CheckCounts(s.totals, 7, 4, 1, 2);
  REQUIRE(s.inputs.size() == 2);
  CHECK(s.inputs[0].path == f.json);
  CHECK(s.inputs[0].format == "json");
  CheckCounts(s.inputs[0].counts, 5, 3, 1, 1);
  CHECK(s.inputs[0].rejects_file == f.json + ".rejects");
  CHECK(s.inputs[1].format == "csv");
  CheckCounts(s.inputs[1].counts, 2, 1, 0, 1);
  CHECK(s.rejects_files == std::vector<std::string>{f.json + ".rejects", f.csv + ".rejects"});
  REQUIRE(s.samples.size() == 2);
  CHECK(s.samples[0] == f.json + " line 6: unknown tenant 'nobody'");
  CHECK(s.samples[1].starts_with(f.csv + " line 3: "));
  CHECK(f.Used("acme") == "15.5");  // 2 + 3.5 + 10
  CHECK(f.Used("beta") == "1");
  // Each rejected record verbatim under its reason; the CSV header repeated.
  std::string json_rejects = Slurp(f.json + ".rejects");
  CHECK(json_rejects.ends_with(
      "# line 6: unknown tenant 'nobody'\n"
      R"({"id":"e3","tenant":"nobody","metric":"api_calls","quantity":1,"timestamp":"2026-02-03T10:00:00Z"})" "\n"));
  std::string csv_rejects = Slurp(f.csv + ".rejects");
  CHECK(csv_rejects.find("\nid,tenant,metric,quantity,timestamp,region\n# line 3: ") != std::string::npos);
  CHECK(csv_rejects.ends_with("\nc2,acme,api_calls,ten,2026-02-04T00:00:00Z,eu\n"));
}

TEST_CASE("ingest.ingest: small batches, a re-run and one rejects file for all inputs") {
  Fixture f;
  IngestOptions o;
  o.batch_size = 2;
  o.rejects_path = (f.t.dir / "all.rejects").string();
  IngestSummary s = f.Run({f.json, f.csv}, o);
  CheckCounts(s.totals, 7, 4, 1, 2);
  CHECK(s.rejects_files == std::vector<std::string>{o.rejects_path});
  CHECK(f.Used("acme") == "15.5");
  // The same input again: every valid record is a duplicate, counted once.
  s = f.Run({f.json, f.csv}, o);
  CheckCounts(s.totals, 7, 0, 5, 2);
  CHECK(f.Used("acme") == "15.5");
}

// The reading thread sums every event it stages and makes the counter rows
// of each batch; the writer writes those rows only when it found no
// duplicate in the batch, else its own sums of the events it inserted. A
// duplicate (of a stored event, or of one earlier in its batch) differs here
// from its original in every way a meter reads: were its contribution
// written, a sum, max, latest or distinct count below would be off.
TEST_CASE("ingest.ingest: batches with and without duplicates count each new event once, by every aggregation") {
  testing::UsageDb f(R"({
    "meters": [{"key": "calls"},
               {"key": "peak", "event": "calls", "aggregation": "max"},
               {"key": "last", "event": "calls", "aggregation": "latest"},
               {"key": "users", "event": "calls", "aggregation": "unique_count", "value": "user"}],
    "plans": [{"key": "p", "base_price": "0"}],
    "tenants": [{"id": "acme", "plan": "p"}]})");
  auto line = [](const char* id, int quantity, const char* minute, const char* user) {
    return fmt::format(R"({{"id":"{}","tenant":"acme","metric":"calls","quantity":{},)"
                       R"("timestamp":"2026-02-03T10:{}:00Z","user":"{}"}})" "\n", id, quantity, minute, user);
  };
  std::string first = (f.t.dir / "first.ndjson").string(), second = (f.t.dir / "second.ndjson").string();
  std::ofstream(first) << line("a", 2, "00", "u1") << line("b", 3, "10", "u2") << line("c", 1, "20", "u1");
  // Batches of 2: [a', d] (a stored one), [e, e'] (e' a copy of e within its
  // batch), [f] (all new).
  std::ofstream(second) << line("a", 90, "59", "dup1") << line("d", 4, "30", "u3") << line("e", 5, "40", "u4")
                        << line("e", 80, "50", "dup2") << line("f", 1, "05", "u1");
  IngestOptions o;
  o.batch_size = 2;
  IngestSummary s;
  REQUIRE(Ingest(f.db, f.c, {first}, o, [](uint64_t) {}, &s).ok());
  REQUIRE(Ingest(f.db, f.c, {second}, o, [](uint64_t) {}, &s).ok());
  CheckCounts(s.totals, 5, 3, 2, 0);
  Period hour{At("2026-02-03T10:00:00Z"), At("2026-02-03T11:00:00Z")};
  auto value = [&](const char* meter) {
    auto q = usage::MeterQuantity(f.db, "acme", *f.c.FindMeter(meter), hour);
    REQUIRE(q.ok());
    return q->ToString();
  };
  CHECK(value("calls") == "16");  // 2 + 3 + 1 + 4 + 5 + 1
  CHECK(value("peak") == "5");
  CHECK(value("last") == "5");    // e, at 10:40
  CHECK(value("users") == "4");   // u1 to u4
}

TEST_CASE("ingest.ingest: --strict commits nothing when a record is refused") {
  Fixture f;
  IngestOptions o;
  o.strict = true;
  IngestSummary s = f.Run({f.json}, o);
  CHECK(!s.committed);
  CHECK(s.totals.accepted == 0);
  CHECK(s.totals.rejected == 1);
  CHECK(f.Used("acme") == "0");
  std::ofstream(f.json) << R"({"id":"ok","tenant":"acme","metric":"api_calls","quantity":4,"timestamp":"2026-02-03T10:00:00Z"})";
  s = f.Run({f.json}, o);
  CHECK(s.committed);
  CHECK(f.Used("acme") == "4");  // a last line without a newline is a record too
}

TEST_CASE("ingest.ingest: an event inside a finalized invoice's period is late") {
  Fixture f;
  REQUIRE(billing::GenerateInvoices(f.db, f.c,
      {.month = "2026-01", .tenant = "acme", .finalize = true, .now = At("2026-02-02T00:00:00Z")}).ok());
  std::ofstream(f.json) << R"({"id":"old","tenant":"acme","metric":"api_calls","quantity":1,"timestamp":"2026-01-20T10:00:00Z"})" "\n"
                        << R"({"id":"old2","tenant":"beta","metric":"api_calls","quantity":1,"timestamp":"2026-01-20T10:00:00Z"})" "\n";
  IngestSummary s = f.Run({f.json});
  CHECK(s.totals.accepted == 2);
  CHECK(s.totals.late == 1);  // beta's January was never invoiced
}

TEST_CASE("ingest.ingest: inputs checked before anything is read") {
  Fixture f;
  IngestOptions o;
  CHECK(CheckInputs({f.json, f.csv}, o).ok());
  Status missing = CheckInputs({f.json, (f.t.dir / "missing.ndjson").string()}, o);
  CHECK(missing.code() == Status::Code::kNoInput);
  CHECK(missing.message().find("missing.ndjson") != std::string::npos);
  CHECK(CheckInputs({"-", "-"}, o).code() == Status::Code::kInvalidArgument);
  o.rejects_path = f.csv;
  CHECK(CheckInputs({f.json, f.csv}, o).code() == Status::Code::kInvalidArgument);
  CHECK(InputBytes({f.json, f.csv, "-"}) == std::string(kJson).size() + std::string(kCsv).size());
}

}  // namespace
}  // namespace meter::ingest
