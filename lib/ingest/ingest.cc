#include "ingest/ingest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>

#include "ingest/csv_record.h"
#include "ingest/json_record.h"
#include "ingest/line_reader.h"
#include "ingest/recorder.h"
#include "ingest/rejects.h"
#include "ingest/validator.h"
#include "store/event_store.h"

namespace meter::ingest {

void IngestCounts::Add(const IngestCounts& o) {
  read += o.read;
  accepted += o.accepted;
  duplicates += o.duplicates;
  rejected += o.rejected;
  late += o.late;
}

namespace {

constexpr size_t kMaxSamples = 10;
// Records staged before they are written in id order: enough for the id
// index to be walked in order, little enough to keep memory small.
constexpr size_t kStageChunk = 50000;
// A batch that cannot start because another process holds the write lock
// past the busy timeout is tried again this many times before giving up.
constexpr int kBusyRetries = 5;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

std::string DisplayName(const std::string& path) { return path == "-" ? "stdin" : path; }

std::string DefaultRejectsPath(const std::string& input) {
  return input == "-" ? "stdin.rejects" : input + ".rejects";
}

// One input file (or stdin) being read.
struct Input {
  size_t index = 0;
  std::string path;
  int fd = -1;
  std::unique_ptr<LineReader> reader;
  enum class Kind { kUnknown, kJson, kCsv } kind = Kind::kUnknown;
  CsvRecordParser csv;
  Status csv_header_error;
  ~Input() {
    if (fd > 0) ::close(fd);
  }
};

class Pipeline {
 public:
  Pipeline(store::Database& db, const catalog::Catalog& catalog, const std::vector<std::string>& inputs,
           const IngestOptions& options, const ProgressFn& progress, IngestSummary* summary)
      : db_(db), inputs_(inputs), options_(options), progress_(progress), summary_(summary),
        validator_(catalog), recorder_(db, catalog), store_(db), pending_(inputs.size()) {
    for (const std::string& p : inputs) summary_->inputs.push_back({p, "", {}, ""});
  }

  // Reads every input to the end, one transaction per batch.
  Status Run();
  bool strict_failed() const { return strict_failed_; }
  Status Finish() {
    summary_->rejects_files = rejects_.paths();
    return rejects_.CloseAll();
  }

 private:
  Result<bool> NextLine(LineReader::Line* line);
  Status OpenInput(size_t index);
  Status CloseInput();
  void DetectKind(std::string_view text);
  Status RunBatch(bool* done);
  Status Process(const LineReader::Line& line);
  Status ProcessBatch(const LineReader::Line& line);
  Status Accept();
  Status Outcome(const Status& st, const LineReader::Line& line, size_t event, std::string_view record);
  Status WriteStaged();
  Status Reject(const LineReader::Line& line, size_t event, std::string_view record, const std::string& reason);
  Result<bool> IsLate(const EventView& e);
  void Commit();
  void ReportProgress();

  store::Database& db_;
  const std::vector<std::string>& inputs_;
  const IngestOptions& options_;
  const ProgressFn& progress_;
  IngestSummary* summary_;
  Validator validator_;
  EventRecorder recorder_;
  store::EventStore store_;
  JsonRecordParser json_;
  RejectsWriter rejects_;
  RawRecord raw_;
  EventView event_;
  EventScratch scratch_;
  std::unique_ptr<Input> input_;
  size_t next_input_ = 0;
  uint64_t bytes_done_ = 0;  // of the inputs already closed
  uint64_t records_since_progress_ = 0;
  Timestamp now_ = 0;
  bool strict_failed_ = false;
  std::vector<IngestCounts> pending_;  // per input, for the batch in progress
  bool any_issued_ = false;  // are there issued invoices at all (this batch)?
  std::unordered_map<std::string, std::vector<Period>, StringHash, std::equal_to<>> issued_;  // per tenant
};

Status Pipeline::OpenInput(size_t index) {
  input_ = std::make_unique<Input>();
  input_->index = index;
  input_->path = inputs_[index];
  if (input_->path == "-") {
    input_->fd = 0;
  } else {
    input_->fd = ::open(input_->path.c_str(), O_RDONLY | O_CLOEXEC);
    if (input_->fd < 0)
      return Status::NoInput(fmt::format("cannot open input file '{}': {}", input_->path, std::strerror(errno)));
  }
  input_->reader = std::make_unique<LineReader>(input_->fd);
  if (options_.format == Format::kCsv) input_->kind = Input::Kind::kCsv;
  else if (options_.format != Format::kAuto) input_->kind = Input::Kind::kJson;
  return Status::OK();
}

Status Pipeline::CloseInput() {
  bytes_done_ += input_->reader->bytes_read();
  InputSummary& s = summary_->inputs[input_->index];
  s.format = input_->kind == Input::Kind::kCsv ? "csv" : "json";
  input_.reset();
  return Status::OK();
}

// The first record line of a file decides how the whole file is read: an
// object or array opener means JSON lines, anything else is a CSV header.
void Pipeline::DetectKind(std::string_view text) {
  if (input_->kind == Input::Kind::kUnknown)
    input_->kind = (text[0] == '{' || text[0] == '[') ? Input::Kind::kJson : Input::Kind::kCsv;
}

// The next line holding a record, across inputs; CSV headers, blank lines
// and '#' comment lines are consumed here.
Result<bool> Pipeline::NextLine(LineReader::Line* line) {
  for (;;) {
    if (!input_) {
      if (next_input_ == inputs_.size()) return false;
      METER_RETURN_IF_ERROR(OpenInput(next_input_++));
    }
    auto got = input_->reader->Next(line);
    if (!got.ok())
      return Status::IOError(fmt::format("cannot read '{}': {}", DisplayName(input_->path), got.status().message()));
    if (!*got) {
      METER_RETURN_IF_ERROR(CloseInput());
      continue;
    }
    std::string_view text = Trim(line->text);
    if (text.empty() || text[0] == '#') continue;
    DetectKind(text);
    if (input_->kind == Input::Kind::kCsv && !input_->csv.has_header() && input_->csv_header_error.ok()) {
      input_->csv_header_error =
          line->too_long ? Status::DataError("header is longer than 1 MiB") : input_->csv.SetHeader(text);
      if (!input_->csv_header_error.ok())
        input_->csv_header_error = Status::DataError(fmt::format(
            "the CSV header (line {}) cannot be read: {}", line->number, input_->csv_header_error.message()));
      continue;
    }
    return true;
  }
}

Result<bool> Pipeline::IsLate(const EventView& e) {
  if (!any_issued_) return false;
  auto it = issued_.find(e.tenant);
  if (it == issued_.end()) {
    METER_ASSIGN_OR_RETURN(auto periods, store_.IssuedInvoicePeriods(e.tenant));
    it = issued_.emplace(std::string(e.tenant), std::move(periods)).first;
  }
  for (const Period& p : it->second)
    if (p.Contains(e.timestamp)) return true;
  return false;
}

// Checks and records one parsed record. A DataError means the record is
// rejected; any other error stops the run.
Status Pipeline::Accept() {
  METER_RETURN_IF_ERROR(ToEventView(raw_, &event_, &scratch_));
  METER_RETURN_IF_ERROR(validator_.Check(event_, now_, raw_.names->timestamp));
  if (strict_failed_) return recorder_.Check(event_);  // nothing will be committed
  return recorder_.Stage(event_, input_->index);
}

// Writes what is staged; the counts of each input follow.
Status Pipeline::WriteStaged() {
  return recorder_.WriteStaged([this](uint64_t input, bool inserted, const EventView& e) -> Status {
    IngestCounts& counts = pending_[input];
    if (!inserted) {
      ++counts.duplicates;
      return Status::OK();
    }
    ++counts.accepted;
    METER_ASSIGN_OR_RETURN(bool late, IsLate(e));
    if (late) ++counts.late;
    return Status::OK();
  });
}

// One line: one record, or for a Lago batch envelope each of its events.
Status Pipeline::Process(const LineReader::Line& line) {
  if (line.too_long) {
    ++pending_[input_->index].read;
    return Reject(line, 0, line.text, fmt::format("record is longer than 1 MiB ({} bytes)", kMaxRecordBytes));
  }
  std::string_view text = Trim(line.text);
  Status st;
  if (input_->kind == Input::Kind::kCsv) {
    st = input_->csv_header_error;
    if (st.ok()) st = input_->csv.Parse(text, &raw_);
  } else {
    st = json_.Parse(text, options_.format, &raw_);
    if (st.ok() && json_.is_batch()) return ProcessBatch(line);
  }
  ++pending_[input_->index].read;
  if (st.ok()) st = Accept();
  return Outcome(st, line, 0, line.text);
}

// The events of a Lago batch, each a record of its own ("line N event K").
Status Pipeline::ProcessBatch(const LineReader::Line& line) {
  const std::vector<std::string_view>& events = json_.batch_events();
  for (size_t k = 0; k < events.size(); ++k) {
    ++pending_[input_->index].read;
    Status st = json_.ParseBatchEvent(events[k], &raw_);
    if (st.ok()) st = Accept();
    METER_RETURN_IF_ERROR(Outcome(st, line, k + 1, events[k]));
  }
  return Status::OK();
}

// What follows one record's check: a reject, the next chunk, or nothing.
Status Pipeline::Outcome(const Status& st, const LineReader::Line& line, size_t event, std::string_view record) {
  if (!st.ok() && !st.IsDataError()) return st;
  if (!st.ok()) return Reject(line, event, record, st.message());
  if (recorder_.staged() >= kStageChunk) return WriteStaged();
  return Status::OK();
}

// `event` is the record's place in a Lago batch (1-based), 0 for a whole line.
Status Pipeline::Reject(const LineReader::Line& line, size_t event, std::string_view record,
                        const std::string& reason) {
  ++pending_[input_->index].rejected;
  if (options_.strict && !strict_failed_) {
    strict_failed_ = true;
    recorder_.Discard();  // nothing will be committed
  }
  std::string display = DisplayName(input_->path);
  std::string where = event ? fmt::format("line {} event {}", line.number, event) : fmt::format("line {}", line.number);
  if (summary_->samples.size() < kMaxSamples) summary_->samples.push_back(fmt::format("{} {}: {}", display, where, reason));
  std::string path = options_.rejects_path.empty() ? DefaultRejectsPath(input_->path) : options_.rejects_path;
  std::string_view header = input_->kind == Input::Kind::kCsv ? std::string_view(input_->csv.header()) : "";
  METER_RETURN_IF_ERROR(rejects_.Write(path, display, header, where, reason, record));
  if (line.too_long)
    METER_RETURN_IF_ERROR(input_->reader->ReadRest([&](std::string_view more) { return rejects_.Append(more); }));
  METER_RETURN_IF_ERROR(rejects_.EndRecord());
  if (summary_->inputs[input_->index].rejects_file.empty()) summary_->inputs[input_->index].rejects_file = path;
  return Status::OK();
}

void Pipeline::ReportProgress() {
  if (!progress_ || ++records_since_progress_ < 4096) return;
  records_since_progress_ = 0;
  progress_(bytes_done_ + (input_ ? input_->reader->bytes_read() : 0));
}

// The batch's counts join the summary once its transaction has committed.
void Pipeline::Commit() {
  for (size_t i = 0; i < pending_.size(); ++i) {
    summary_->inputs[i].counts.Add(pending_[i]);
    summary_->totals.Add(pending_[i]);
    pending_[i] = IngestCounts{};
  }
}

Status Pipeline::RunBatch(bool* done) {
  now_ = Clock::Now();
  issued_.clear();
  METER_ASSIGN_OR_RETURN(any_issued_, store_.AnyIssuedInvoices());
  size_t records = 0;
  LineReader::Line line;
  while (records < options_.batch_size) {
    METER_ASSIGN_OR_RETURN(bool got, NextLine(&line));
    if (!got) {
      *done = true;
      break;
    }
    METER_RETURN_IF_ERROR(Process(line));
    ++records;
    ReportProgress();
  }
  if (!strict_failed_) {
    METER_RETURN_IF_ERROR(WriteStaged());
    METER_RETURN_IF_ERROR(recorder_.Flush());
  }
  // The rejects must be on disk before the batch that rejected them commits.
  return rejects_.Flush();
}

Status Pipeline::Run() {
  bool done = false;
  while (!done) {
    bool started = false;
    Status st;
    for (int attempt = 0; attempt <= kBusyRetries; ++attempt) {
      st = db_.Transaction([&] {
        started = true;
        return RunBatch(&done);
      });
      // Retry only a batch that never began: its records were not consumed.
      if (!st.IsBusy() || started) break;
    }
    if (!st.ok()) {
      recorder_.Discard();
      for (IngestCounts& c : pending_) c = IngestCounts{};
      return st;
    }
    Commit();
  }
  return Status::OK();
}

}  // namespace

Status CheckInputs(const std::vector<std::string>& inputs, const IngestOptions& options) {
  int stdin_count = 0;
  for (const std::string& path : inputs) {
    if (path == "-") {
      if (++stdin_count > 1) return Status::InvalidArgument("'-' (stdin) can be given only once");
      continue;
    }
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return Status::NoInput(fmt::format("input file '{}' does not exist", path));
      return Status::NoInput(fmt::format("cannot read input file '{}': {}", path, std::strerror(errno)));
    }
    if (S_ISDIR(st.st_mode)) return Status::NoInput(fmt::format("input '{}' is a directory, not a file", path));
    if (::access(path.c_str(), R_OK) != 0)
      return Status::NoInput(fmt::format("cannot read input file '{}': {}", path, std::strerror(errno)));
    if (!options.rejects_path.empty() && options.rejects_path == path)
      return Status::InvalidArgument(fmt::format("--rejects '{}' is also an input file", path));
  }
  return Status::OK();
}

uint64_t InputBytes(const std::vector<std::string>& inputs) {
  uint64_t total = 0;
  for (const std::string& path : inputs) {
    struct stat st;
    if (path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) total += st.st_size;
  }
  return total;
}

Status Ingest(store::Database& db, const catalog::Catalog& catalog, const std::vector<std::string>& inputs,
              const IngestOptions& options, const ProgressFn& progress, IngestSummary* summary) {
  auto start = std::chrono::steady_clock::now();
  *summary = IngestSummary{};
  Pipeline pipeline(db, catalog, inputs, options, progress, summary);
  // A lost batch is recovered by running the same input again, so commits
  // need not wait for the disk; the file stays consistent whatever happens.
  store::EventStore settings(db);
  METER_RETURN_IF_ERROR(settings.SetBulkLoad(true));
  Status st;
  if (options.strict) {
    // One transaction around every batch (they join it): all or nothing.
    st = db.Transaction([&]() -> Status {
      METER_RETURN_IF_ERROR(pipeline.Run());
      return pipeline.strict_failed() ? Status::DataError("strict: rolled back") : Status::OK();
    });
    if (pipeline.strict_failed() && st.IsDataError()) {
      st = Status::OK();
      summary->committed = false;
      for (InputSummary& s : summary->inputs) s.counts.accepted = s.counts.duplicates = s.counts.late = 0;
      summary->totals.accepted = summary->totals.duplicates = summary->totals.late = 0;
    }
  } else {
    st = pipeline.Run();
  }
  Status closed = pipeline.Finish();
  if (st.ok()) st = closed;
  Status restored = settings.SetBulkLoad(false);
  if (st.ok()) st = restored;
  summary->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return st;
}

}  // namespace meter::ingest
