// LineReader: block reads, line ends, the 1 MiB cap, padding for simdjson.
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "ingest/json_record.h"
#include "ingest/line_reader.h"

namespace meter::ingest {
namespace {

// A temporary file holding `content`, open for reading.
struct TempInput {
  explicit TempInput(const std::string& content) {
    f = std::tmpfile();
    std::fwrite(content.data(), 1, content.size(), f);
    std::fflush(f);
    std::rewind(f);
    fd = fileno(f);
  }
  ~TempInput() { std::fclose(f); }
  std::FILE* f;
  int fd;
};

struct Got {
  std::string text;
  uint64_t number;
  bool too_long;
  std::string rest;
};

std::vector<Got> ReadAll(const std::string& content, size_t max_line, bool take_rest) {
  TempInput in(content);
  LineReader reader(in.fd, max_line);
  std::vector<Got> out;
  LineReader::Line line;
  for (;;) {
    auto r = reader.Next(&line);
    REQUIRE(r.ok());
    if (!*r) break;
    Got g{std::string(line.text), line.number, line.too_long, ""};
    if (line.too_long && take_rest)
      REQUIRE(reader.ReadRest([&](std::string_view more) {
                g.rest.append(more);
                return Status::OK();
              }).ok());
    out.push_back(g);
  }
  CHECK(reader.bytes_read() == content.size());
  return out;
}

TEST_CASE("ingest.line_reader_splits_lines") {
  auto lines = ReadAll("\xEF\xBB\xBF" "a\r\nbb\n\nccc", 100, false);
  REQUIRE(lines.size() == 4);
  CHECK(lines[0].text == "a");
  CHECK(lines[1].text == "bb");
  CHECK(lines[2].text == "");
  CHECK(lines[3].text == "ccc");  // no final newline
  CHECK(lines[3].number == 4);
  CHECK(ReadAll("", 100, false).empty());
  CHECK(ReadAll("\n", 100, false).size() == 1);
}

TEST_CASE("ingest.line_reader_caps_long_lines") {
  std::string content = "short\n" + std::string(25, 'x') + "\nnext\n" + std::string(30, 'y');
  auto lines = ReadAll(content, 10, true);
  REQUIRE(lines.size() == 4);
  CHECK(lines[1].too_long);
  CHECK(lines[1].text == std::string(10, 'x'));
  CHECK(lines[1].rest == std::string(15, 'x'));
  CHECK(lines[2].text == "next");
  CHECK(lines[2].number == 3);
  CHECK(lines[3].too_long);
  CHECK(lines[3].rest == std::string(20, 'y'));

  // Without ReadRest the rest is skipped.
  auto skipped = ReadAll(content, 10, false);
  REQUIRE(skipped.size() == 4);
  CHECK(skipped[2].text == "next");
  // A line of exactly the cap is not too long.
  auto exact = ReadAll(std::string(10, 'z') + "\n", 10, false);
  REQUIRE(exact.size() == 1);
  CHECK(!exact[0].too_long);
}

TEST_CASE("ingest.line_reader_crosses_blocks") {
  // Lines of varied lengths over several 1 MiB blocks, plus one over-long line.
  std::string content;
  std::vector<std::string> expected;
  for (int i = 0; i < 30000; ++i) {
    std::string l = std::to_string(i) + std::string(i % 97, 'a');
    expected.push_back(l);
    content += l + "\n";
  }
  std::string huge(kMaxRecordBytes + 5, 'h');
  content += huge + "\nend\n";
  TempInput in(content);
  LineReader reader(in.fd);
  LineReader::Line line;
  for (const std::string& want : expected) {
    REQUIRE(*reader.Next(&line));
    REQUIRE(line.text == want);
  }
  REQUIRE(*reader.Next(&line));
  CHECK(line.too_long);
  CHECK(line.text.size() == kMaxRecordBytes);
  size_t rest = 0;
  REQUIRE(reader.ReadRest([&](std::string_view more) {
    rest += more.size();
    return Status::OK();
  }).ok());
  CHECK(rest == 5);
  REQUIRE(*reader.Next(&line));
  CHECK(line.text == "end");
  CHECK(!*reader.Next(&line));
}

TEST_CASE("ingest.line_reader_leaves_padding") {
  // Parsing straight out of the reader's buffer must work for the last line
  // of a full buffer too; the parser reads kJsonPadding bytes ahead.
  std::string content;
  for (int i = 0; i < 20000; ++i)
    content += R"({"tenant":"t","metric":"m","timestamp":)" + std::to_string(i + 1) + "}\n";
  TempInput in(content);
  LineReader reader(in.fd);
  JsonRecordParser parser;
  RawRecord raw;
  LineReader::Line line;
  int n = 0;
  while (*reader.Next(&line)) {
    REQUIRE(parser.Parse(line.text, Format::kAuto, &raw).ok());
    CHECK(raw.timestamp.text == std::to_string(++n));
  }
  CHECK(n == 20000);
}

}  // namespace
}  // namespace meter::ingest
