// libFuzzer target: JSON usage records (native NDJSON, CloudEvents 1.0 with
// data or data_base64 and extension attributes, Lago-style events and Lago's
// {"event":...} / {"events":[...]} envelopes) through JsonRecordParser::Parse
// (ParseBatchEvent for a batch's events) and ToEventView, as `meter ingest`
// reads them. Built once per format (METER_FUZZ_FORMAT): a forced
// --format, or kAuto, which reads the input as `--format auto` reads a file
// (its first record line picks JSON or CSV, then each JSON record is
// detected on its own).
//
// Beyond "no crash, no sanitizer report", each record is parsed twice, with
// different bytes in the padding after it, and the two outcomes must agree
// (the padding is allocated but not part of the record); accepted events
// must hold CheckEvent's invariants.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "ingest/csv_record.h"

namespace meter::fuzz {
namespace {

using ingest::Format;

struct Parsers {
  ingest::JsonRecordParser json;
  ingest::JsonRecordParser json_again;  // the second parse, other padding
  ingest::RawRecord raw;
  EventView event;
  ingest::EventScratch scratch;
};

// One record, or each event of a Lago batch {"events":[...]}.
std::string ParseOne(ingest::JsonRecordParser& parser, std::string_view text, Format format, Parsers& p,
                     bool check) {
  auto finish = [&](Status st) {
    if (st.ok()) st = ToEventView(p.raw, &p.event, &p.scratch);
    if (st.ok() && check) CheckEvent(p.raw, p.event);
    if (!st.ok()) METER_FUZZ_CHECK(st.IsDataError(), st.message());
    return Describe(st, p.event);
  };
  Status st = parser.Parse(text, format, &p.raw);
  if (!st.ok() || !parser.is_batch()) return finish(st);
  METER_FUZZ_CHECK(format == Format::kAuto || format == Format::kLago, "a batch under another format");
  std::string all = "batch";
  for (std::string_view event : std::vector<std::string_view>(parser.batch_events())) {
    // Each event is a view into the record, followed by the record's padding.
    METER_FUZZ_CHECK(event.data() >= text.data() && event.data() + event.size() <= text.data() + text.size(),
                     "a batch event outside its record");
    all += "|" + finish(parser.ParseBatchEvent(event, &p.raw));
  }
  return all;
}

void JsonRecord(const RecordLine& line, Format format, Parsers& p) {
  PaddedLine real(line.text, line.after, '\0');
  PaddedLine other(line.text, {}, '"');
  std::string first = ParseOne(p.json, real.text(), format, p, true);
  std::string second = ParseOne(p.json_again, other.text(), format, p, false);
  METER_FUZZ_CHECK(first == second, first + " <> " + second);
}

// `--format csv` or a file that auto detection reads as CSV: the first record
// line is the header.
void CsvFile(const std::vector<RecordLine>& lines, Parsers& p) {
  ingest::CsvRecordParser csv;
  Status header = csv.SetHeader(lines[0].text);
  if (!header.ok()) return;  // every row is rejected with the header's error
  for (size_t i = 1; i < lines.size(); ++i) {
    Status st = csv.Parse(lines[i].text, &p.raw);
    if (st.ok()) st = ToEventView(p.raw, &p.event, &p.scratch);
    if (st.ok()) CheckEvent(p.raw, p.event);
    else METER_FUZZ_CHECK(st.IsDataError(), st.message());
  }
}

}  // namespace
}  // namespace meter::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meter::fuzz;
  static Parsers* parsers = new Parsers;
  std::vector<RecordLine> lines = RecordLines(data, size);
  if (lines.empty()) return 0;
  constexpr meter::ingest::Format kFormat = meter::ingest::Format::METER_FUZZ_FORMAT;
  // Ingest's per-file choice: an object or array opener means JSON lines.
  if (kFormat == meter::ingest::Format::kAuto && lines[0].text[0] != '{' && lines[0].text[0] != '[') {
    CsvFile(lines, *parsers);
    return 0;
  }
  for (const RecordLine& line : lines) JsonRecord(line, kFormat, *parsers);
  return 0;
}
