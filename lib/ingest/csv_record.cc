#include "ingest/csv_record.h"

#include <fmt/format.h>
#include <simdjson.h>

namespace meter::ingest {
namespace {

Status BadQuoting(std::string_view why) { return Status::DataError(fmt::format("bad CSV quoting: {}", why)); }

// Reads a quoted cell starting after its opening quote at line[*i - 1];
// leaves *i after the closing quote.
Status QuotedCell(std::string_view line, size_t* i, std::string* scratch, std::string_view* cell) {
  size_t start = scratch->size();
  for (;;) {
    if (*i >= line.size()) return BadQuoting("unterminated quoted field");
    char c = line[(*i)++];
    if (c != '"') {
      scratch->push_back(c);
    } else if (*i < line.size() && line[*i] == '"') {
      scratch->push_back('"');
      ++*i;
    } else {
      break;
    }
  }
  *cell = std::string_view(scratch->data() + start, scratch->size() - start);
  if (*i < line.size() && line[*i] != ',') return BadQuoting("text after a closing quote");
  return Status::OK();
}

RawValue RawRecord::*NativeColumn(std::string_view name) {
  if (name == "id") return &RawRecord::id;
  if (name == "tenant") return &RawRecord::tenant;
  if (name == "metric") return &RawRecord::metric;
  if (name == "quantity") return &RawRecord::quantity;
  if (name == "timestamp") return &RawRecord::timestamp;
  if (name == "user") return &RawRecord::user;
  if (name == "operation") return &RawRecord::operation;
  if (name == "status") return &RawRecord::status;
  if (name == "latency_ms") return &RawRecord::latency_ms;
  if (name == "cost") return &RawRecord::cost;
  return nullptr;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

Status SplitCsvLine(std::string_view line, std::vector<std::string_view>* cells, std::string* scratch) {
  cells->clear();
  scratch->clear();
  // Unquoted text is never longer than the line: views into scratch stay valid.
  scratch->reserve(line.size());
  size_t i = 0;
  for (;;) {
    std::string_view cell;
    if (i < line.size() && line[i] == '"') {
      ++i;
      METER_RETURN_IF_ERROR(QuotedCell(line, &i, scratch, &cell));
    } else {
      size_t start = i;
      while (i < line.size() && line[i] != ',') {
        if (line[i] == '"') return BadQuoting("'\"' inside an unquoted field");
        ++i;
      }
      cell = line.substr(start, i - start);
    }
    cells->push_back(cell);
    if (i >= line.size()) break;
    ++i;  // the comma
    if (i == line.size()) {
      cells->push_back({});
      break;
    }
  }
  return Status::OK();
}

Status CsvRecordParser::SetHeader(std::string_view line) {
  // Column names become property keys: stored JSON must be valid UTF-8.
  if (!simdjson::validate_utf8(line.data(), line.size())) return Status::DataError("not valid UTF-8");
  std::vector<std::string_view> names;
  std::string scratch;
  METER_RETURN_IF_ERROR(SplitCsvLine(line, &names, &scratch));
  header_.assign(line);
  columns_.clear();
  for (std::string_view raw : names) {
    std::string_view name = Trim(raw);
    Column c;
    if (name == "properties") c.properties_object = true;
    else if (!(c.field = NativeColumn(name)))
      c.property = std::string(name.substr(name.starts_with("properties.") ? 11 : 0));
    columns_.push_back(std::move(c));
  }
  return Status::OK();
}

Status CsvRecordParser::Parse(std::string_view line, RawRecord* out) {
  // Cells are stored and later printed as JSON strings, which must be UTF-8
  // (JSON records get the same check from simdjson).
  if (!simdjson::validate_utf8(line.data(), line.size())) return Status::DataError("record is not valid UTF-8");
  METER_RETURN_IF_ERROR(SplitCsvLine(line, &cells_, &scratch_));
  if (cells_.size() != columns_.size())
    return Status::DataError(fmt::format("CSV row has {} field{}, the header has {}", cells_.size(),
                                         cells_.size() == 1 ? "" : "s", columns_.size()));
  *out = RawRecord{};
  out->format = Format::kCsv;
  out->content = line;
  out->content_context = header_;
  for (size_t i = 0; i < columns_.size(); ++i)
    if (columns_[i].field && !cells_[i].empty()) out->*(columns_[i].field) = {ValueKind::kString, cells_[i]};
  return BuildProperties(cells_, out);
}

Status CsvRecordParser::BuildProperties(const std::vector<std::string_view>& cells, RawRecord* out) {
  properties_.clear();
  auto add = [&](std::string_view key, std::string_view json) {
    properties_.push_back(properties_.empty() ? '{' : ',');
    AppendJsonString(key, &properties_);
    properties_.push_back(':');
    properties_.append(json);
  };
  std::string_view object_cell;
  for (size_t i = 0; i < columns_.size(); ++i) {
    const Column& c = columns_[i];
    if (c.properties_object) object_cell = cells[i];
    if (c.field || c.properties_object || c.property.empty() || cells[i].empty()) continue;
    if (IsJsonNumber(cells[i])) {
      add(c.property, cells[i]);
    } else {
      std::string quoted;
      AppendJsonString(cells[i], &quoted);
      add(c.property, quoted);
    }
  }
  if (!object_cell.empty()) {
    // A "properties" cell holding a JSON object: its entries join the
    // columns' (a column of the same name wins).
    if (object_cell.front() != '{') return Status::DataError("properties must be a JSON object");
    METER_RETURN_IF_ERROR(reader_.Read(object_cell, "properties", &entries_));
    for (const JsonEntry& e : entries_) {
      bool taken = false;
      for (size_t i = 0; i < columns_.size(); ++i)
        taken = taken || (!columns_[i].field && columns_[i].property == e.key && !cells[i].empty());
      if (!taken) add(e.key, e.raw);
    }
  }
  if (!properties_.empty()) {
    properties_.push_back('}');
    out->properties = {ValueKind::kObject, properties_};
  }
  return Status::OK();
}

}  // namespace meter::ingest
