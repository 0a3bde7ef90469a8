// libFuzzer target: CSV usage logs (`meter ingest --format csv`) through
// CsvRecordParser (header, then rows) and ToEventView, as ingest reads them.
// Accepted events must hold CheckEvent's invariants; each row is also split
// on its own with SplitCsvLine, which must agree with the parser on whether
// the quoting is valid.
#include <cstddef>
#include <cstdint>

#include "fuzz_support.h"
#include "ingest/csv_record.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace meter;
  using namespace meter::fuzz;
  std::vector<RecordLine> lines = RecordLines(data, size);
  if (lines.empty()) return 0;
  ingest::CsvRecordParser csv;
  if (!csv.SetHeader(lines[0].text).ok()) return 0;  // every row is rejected with the header's error
  ingest::RawRecord raw;
  EventView event;
  ingest::EventScratch scratch;
  std::vector<std::string_view> cells;
  std::string cell_scratch;
  for (size_t i = 1; i < lines.size(); ++i) {
    Status split = ingest::SplitCsvLine(lines[i].text, &cells, &cell_scratch);
    Status st = csv.Parse(lines[i].text, &raw);
    if (!split.ok())
      METER_FUZZ_CHECK(!st.ok() && (st.message() == split.message() || st.message() == "record is not valid UTF-8"),
                       lines[i].text);
    if (st.ok()) st = ToEventView(raw, &event, &scratch);
    if (st.ok()) CheckEvent(raw, event);
    else METER_FUZZ_CHECK(st.IsDataError(), st.message());
  }
  return 0;
}
