// RejectsWriter (ingest/rejects.h): one heading per input (with the CSV
// header under it), each record after its "# where: reason" line exactly as
// read, files created on the first reject only.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "ingest/rejects.h"
#include "support/temp_db.h"

namespace meter::ingest {
namespace {

std::string Slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST_CASE("ingest.rejects: headings per input, records verbatim, appended parts, one file for two inputs") {
  testing::TempDb d;  // for its directory, removed afterwards
  std::string path = (d.dir / "all.rejects").string();
  {
    RejectsWriter w;
    CHECK(w.paths().empty());
    REQUIRE(w.Write(path, "a.ndjson", "", "line 3", "unknown tenant 'x'", R"({"tenant":"x"})").ok());
    REQUIRE(w.EndRecord().ok());
    REQUIRE(w.Write(path, "a.ndjson", "", "line 9 event 2", "bad", "{\"a\":").ok());
    REQUIRE(w.Append("1}").ok());
    REQUIRE(w.EndRecord().ok());
    REQUIRE(w.Write(path, "b.csv", "tenant,metric", "line 2", "unknown metric 'm'", "acme,m").ok());
    REQUIRE(w.EndRecord().ok());
    CHECK(w.paths() == std::vector<std::string>{path});
    REQUIRE(w.CloseAll().ok());
  }
  CHECK(Slurp(path) ==
        "# meter ingest rejects from a.ndjson: fix these records and ingest this file again (lines starting with # "
        "are skipped)\n"
        "# line 3: unknown tenant 'x'\n"
        "{\"tenant\":\"x\"}\n"
        "# line 9 event 2: bad\n"
        "{\"a\":1}\n"
        "# meter ingest rejects from b.csv: fix these records and ingest this file again (lines starting with # "
        "are skipped)\n"
        "tenant,metric\n"
        "# line 2: unknown metric 'm'\n"
        "acme,m\n");
}

TEST_CASE("ingest.rejects: a file per path in the order first written; an unwritable one is an IOError") {
  testing::TempDb d;  // for its directory, removed afterwards
  RejectsWriter w;
  std::string b = (d.dir / "b.rejects").string(), a = (d.dir / "a.rejects").string();
  REQUIRE(w.Write(b, "in", "", "line 1", "r", "x").ok());
  REQUIRE(w.Write(a, "in", "", "line 2", "r", "y").ok());
  REQUIRE(w.Write(b, "in", "", "line 3", "r", "z").ok());  // back to b: no second heading
  REQUIRE(w.EndRecord().ok());
  REQUIRE(w.CloseAll().ok());
  CHECK(w.paths() == std::vector<std::string>{b, a});
  CHECK(Slurp(b).ends_with("# line 1: r\nx# line 3: r\nz\n"));
  RejectsWriter bad;
  Status st = bad.Write((d.dir / "no" / "such" / "dir.rejects").string(), "in", "", "line 1", "r", "x");
  CHECK(st.code() == Status::Code::kIOError);
  CHECK(RejectsWriter().Append("x").code() == Status::Code::kInternal);
}

}  // namespace
}  // namespace meter::ingest
