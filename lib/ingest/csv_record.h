// CSV records: a header row naming the columns, then one record per line.
//
// Columns named like the native fields (id, tenant, metric, quantity,
// timestamp, user, operation, status, latency_ms, cost) fill them; a
// "properties" column may hold a JSON object; every other column (a
// "properties." prefix is dropped) becomes a property, numeric-looking cells
// as JSON numbers, others as strings, empty cells absent. Quoting follows
// RFC 4180 ("" inside quotes), but a record is one line: quoted fields cannot
// hold newlines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "ingest/json_record.h"
#include "ingest/record.h"

namespace meter::ingest {

// Splits one line into cells (views into `line`, or into `scratch` for
// quoted cells). DataError "bad CSV quoting: ..." for an unterminated quote,
// a quote inside an unquoted cell or text after a closing quote.
Status SplitCsvLine(std::string_view line, std::vector<std::string_view>* cells, std::string* scratch);

class CsvRecordParser {
 public:
  // Reads the header row; DataError when it cannot be split or is not
  // valid UTF-8.
  Status SetHeader(std::string_view line);
  bool has_header() const { return !columns_.empty(); }
  const std::string& header() const { return header_; }

  // Parses one data row. DataError for bad quoting, text that is not valid
  // UTF-8, or a cell count that differs from the header's. `out` holds
  // views into `line` and this parser until the next call.
  Status Parse(std::string_view line, RawRecord* out);

 private:
  struct Column {
    RawValue RawRecord::*field = nullptr;  // a native field, or
    std::string property;                  // a property name
    bool properties_object = false;        // the "properties" column
  };
  std::vector<Column> columns_;
  std::string header_;
  std::vector<std::string_view> cells_;
  std::string scratch_;
  std::string properties_;
  std::vector<JsonEntry> entries_;
  JsonObjectReader reader_;

  Status BuildProperties(const std::vector<std::string_view>& cells, RawRecord* out);
};

}  // namespace meter::ingest
