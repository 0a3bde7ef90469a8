#include "ingest/ingest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>

#include <fmt/format.h>

#include "core/thread_priority.h"
#include "ingest/csv_record.h"
#include "ingest/delta_buffer.h"
#include "ingest/json_record.h"
#include "ingest/line_reader.h"
#include "ingest/recorder.h"
#include "ingest/rejects.h"
#include "ingest/staged_events.h"
#include "ingest/string_hash.h"
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
// A chunk (records the reading thread hands to the writing one) closes at
// this many events, or this much text, whichever comes first: enough for the
// id index to be walked in order, little enough to keep memory small.
constexpr size_t kChunkEvents = 50000;
// The first chunks are smaller, doubling up to kChunkEvents: the writer,
// which sets the pace, starts after a few milliseconds of reading instead of
// waiting for a whole chunk.
constexpr size_t kFirstChunkEvents = 2048;
constexpr size_t kChunkBytes = size_t{32} << 20;
// StagedEvents' 32-bit text offsets: a chunk's text stays far below 4 GiB.
static_assert(kChunkBytes + 64 * kMaxRecordBytes < (size_t{1} << 32));
// A batch that cannot start because another process holds the write lock
// past the busy timeout is tried again this many times before giving up.
constexpr int kBusyRetries = 5;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

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

// What a batch adds to the counters, as the reading thread finds it: the
// keys (ids and their order), and the rows the counters get if every event
// staged in the batch is new, summed by the rule the writer's EventRecorder
// uses (DeltaSums), so the writer, finding no duplicate, writes them as they
// are; else it writes its own sums of the events it inserted.
//
// A batch read while the writer finds mostly duplicates (a file ingested
// again) is staged unkeyed instead: the reader, then the slower thread, skips
// the keys and sums, and the writer keys the few events it inserts. A batch
// begun with keys goes on unkeyed from the chunk where the reader learns
// that (the first batch of a file ingested again): the writer then writes
// the sums of the inserted events of both parts, each by its own keys.
//
// Sorting the keys and making the rows (Prepare) runs on a thread of its own,
// started when the batch's last chunk is handed over: neither the reader,
// reading the next batch, nor the writer, writing this one's last chunks,
// waits for it; the writer takes the result when it reaches the batch's end.
struct BatchDeltas {
  static constexpr int kPrepareNiceAbove = 10;  // the process's own, at most 19
  bool keyed = true;      // its first events were staged with keys
  bool all_keyed = true;  // and so were all the others
  DeltaKeys keys;
  DeltaSums sums;        // of every event staged in the batch (the reader's)
  bool sums_ok = true;   // false once a sum passed what a counter holds
  std::vector<uint32_t> sorted_counters, sorted_uniques;
  bool rows_made = false;  // false unless all_keyed and every sum fits a counter
  std::vector<store::CounterDelta> counters;
  std::vector<store::UniqueValue> uniques;
  store::DayRows days;  // of `counters` and `uniques`
  Status prepare_error;
  // Last: destroyed first, so a batch dropped on an error waits for its task.
  std::future<void> prepared;

  void Prepare() {
    try {
      sorted_counters = keys.SortedCounters();
      sorted_uniques = keys.SortedUniques();
      rows_made = all_keyed && sums_ok;
      if (rows_made) {
        sums.Counters(keys, sorted_counters, &counters);
        sums.Uniques(keys, sorted_uniques, &uniques);
        // Not made: the writer then writes its own sums (AddCounters).
        rows_made = days.SetCounters(counters).ok() && days.SetUniques(uniques).ok();
      }
    } catch (const std::bad_alloc&) {
      prepare_error = Status::IOError("out of memory");
    } catch (const std::exception& e) {
      prepare_error = Status::Internal(e.what());
    }
  }
  // Reader: the batch is complete. A batch staged without keys has nothing
  // to prepare. The task gives way to the reader and the writer (as the
  // checkpointer does): it has until the writer reaches the batch's end, and
  // runs in the time the writer waits for the reader.
  void StartPrepare() {
    if (keyed)
      prepared = std::async(std::launch::async, [this] {
        LowerThreadPriority(kPrepareNiceAbove);
        Prepare();
      });
  }
  // Writer: waits for Prepare.
  Status WaitPrepared() {
    if (prepared.valid()) prepared.get();
    return prepare_error;
  }

  void Clear() {
    keyed = all_keyed = true;
    keys.Clear();
    sums.Clear();
    sums_ok = true;
    rows_made = false;
    prepare_error = Status::OK();
  }
};

// Records read and checked, on their way from the reading thread to the
// writing one.
struct Chunk {
  StagedEvents stage;
  std::vector<uint32_t> order;       // stage.ById(), or empty for the writer to find
  std::vector<IngestCounts> counts;  // per input: records read and rejected
  bool end_of_batch = false;         // the batch's transaction commits after this chunk
  bool last = false;                 // nothing follows
  Status error;                      // the reader stopped: the batch rolls back
  // With the chunk that ends a batch: the whole batch's counter deltas (the
  // reader no longer touches them).
  std::unique_ptr<BatchDeltas> deltas;

  void Reset(size_t inputs) {
    stage.Clear();
    order.clear();
    counts.assign(inputs, IngestCounts{});
    end_of_batch = last = false;
    error = Status::OK();
  }
};

// The hand-over between the two threads: at most one filled chunk waits
// while the reader fills the next and the writer writes the one before, so
// memory stays bounded; written chunks come back to be filled again.
class ChunkQueue {
 public:
  explicit ChunkQueue(size_t inputs) : inputs_(inputs) {}

  // Reader: an empty chunk to fill; nullptr once the writer has stopped.
  std::unique_ptr<Chunk> Spare() {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_) return nullptr;
    std::unique_ptr<Chunk> c;
    if (spares_.empty()) {
      c = std::make_unique<Chunk>();
    } else {
      c = std::move(spares_.back());
      spares_.pop_back();
    }
    c->Reset(inputs_);
    return c;
  }

  // Reader: hands `c` over, waiting while the writer is behind; false once
  // the writer has stopped (nothing more will be written).
  bool Push(std::unique_ptr<Chunk> c) {
    std::unique_lock<std::mutex> lock(mu_);
    space_.wait(lock, [&] { return stopped_ || filled_.size() < kWaiting; });
    if (stopped_) return false;
    filled_.push_back(std::move(c));
    ready_.notify_one();
    return true;
  }

  // Writer: the next chunk, waiting for the reader. The reader always ends
  // with a chunk marked last (or with an error), so this returns.
  std::unique_ptr<Chunk> Pop() {
    std::unique_lock<std::mutex> lock(mu_);
    ready_.wait(lock, [&] { return !filled_.empty(); });
    std::unique_ptr<Chunk> c = std::move(filled_.front());
    filled_.pop_front();
    space_.notify_one();
    return c;
  }

  // Writer: a written chunk, for the reader to fill again; the batch deltas
  // it carries are kept apart for the next batch (their tables and lists
  // stay grown, their memory mapped).
  void Recycle(std::unique_ptr<Chunk> c) {
    std::lock_guard<std::mutex> lock(mu_);
    if (c->deltas && spare_deltas_.size() < 2) spare_deltas_.push_back(std::move(c->deltas));
    c->deltas.reset();
    if (spares_.size() < kWaiting + 1) spares_.push_back(std::move(c));
  }

  // Reader: empty deltas for a batch.
  std::unique_ptr<BatchDeltas> SpareDeltas() {
    std::unique_ptr<BatchDeltas> d;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!spare_deltas_.empty()) {
        d = std::move(spare_deltas_.back());
        spare_deltas_.pop_back();
      }
    }
    if (!d) return std::make_unique<BatchDeltas>();
    d->Clear();
    return d;
  }

  // Writer: whether most events of the chunk it last wrote were duplicates.
  void SetMostlyDuplicates(bool yes) { mostly_duplicates_.store(yes, std::memory_order_relaxed); }
  // Reader: the same, to choose how to stage the next batch.
  bool MostlyDuplicates() const { return mostly_duplicates_.load(std::memory_order_relaxed); }

  // Writer: nothing more will be written; the reader stops at its next call.
  void Stop() {
    std::lock_guard<std::mutex> lock(mu_);
    stopped_ = true;
    filled_.clear();
    space_.notify_all();
  }

 private:
  static constexpr size_t kWaiting = 4;
  const size_t inputs_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<std::unique_ptr<Chunk>> filled_;
  std::vector<std::unique_ptr<Chunk>> spares_;
  std::vector<std::unique_ptr<BatchDeltas>> spare_deltas_;
  bool stopped_ = false;
  std::atomic<bool> mostly_duplicates_{false};
};

// The reading half of ingest, run on its own thread: inputs -> lines ->
// records -> checked events staged in chunks; bad records -> rejects files.
// It never touches the database. Each batch's rejects are on disk before
// the chunk that ends the batch is handed over, so before it commits.
class Reader {
 public:
  Reader(const catalog::Catalog& catalog, const std::vector<std::string>& inputs, const IngestOptions& options,
         const ProgressFn& progress, ChunkQueue& queue)
      : inputs_(inputs), options_(options), progress_(progress), queue_(queue), validator_(catalog),
        stager_(catalog), files_(inputs.size()) {}

  // Reads every input to the end. Ends with a chunk marked last, or with
  // one holding the error that stopped it, unless the writer stopped first.
  void Run();

  bool strict_failed() const { return strict_failed_; }
  // What the run found about each input: its format and rejects file.
  const std::vector<InputSummary>& files() const { return files_; }
  const std::vector<std::string>& samples() const { return samples_; }
  // Closes the rejects files; their paths in the order first written.
  Status CloseRejects(std::vector<std::string>* paths) {
    *paths = rejects_.paths();
    return rejects_.CloseAll();
  }

 private:
  Status ReadAll();
  Result<bool> NextLine(LineReader::Line* line);
  Status OpenInput(size_t index);
  void CloseInput();
  void DetectKind(std::string_view text);
  Status Process(const LineReader::Line& line);
  Status ProcessBatch(const LineReader::Line& line);
  Status Accept();
  Status Outcome(const Status& st, const LineReader::Line& line, size_t event, std::string_view record);
  Status Reject(const LineReader::Line& line, size_t event, std::string_view record, const std::string& reason);
  bool Ship(bool end_of_batch, bool last);
  void ReportProgress();
  IngestCounts& counts() { return chunk_->counts[input_->index]; }
  bool NextChunk();

  const std::vector<std::string>& inputs_;
  const IngestOptions& options_;
  const ProgressFn& progress_;
  ChunkQueue& queue_;
  Validator validator_;
  EventStager stager_;
  JsonRecordParser json_;
  RejectsWriter rejects_;
  RawRecord raw_;
  EventView event_;
  EventScratch scratch_;
  std::unique_ptr<Input> input_;
  std::unique_ptr<Chunk> chunk_;
  std::unique_ptr<BatchDeltas> deltas_;  // of the batch in progress
  bool keyed_ = true;                    // the chunk in progress is staged with its keys
  size_t next_input_ = 0;
  size_t chunk_events_ = kFirstChunkEvents;  // the chunk in progress closes at this many events
  size_t batch_records_ = 0;  // records read in the batch in progress
  uint64_t bytes_done_ = 0;   // of the inputs already closed
  uint64_t records_since_progress_ = 0;
  Timestamp now_ = 0;
  bool strict_failed_ = false;
  std::vector<InputSummary> files_;
  std::vector<std::string> samples_;
};

void Reader::Run() {
  Status st;
  try {
    st = ReadAll();
  } catch (const std::bad_alloc&) {
    st = Status::IOError("out of memory");
  } catch (const std::exception& e) {
    st = Status::Internal(e.what());
  }
  if (st.ok()) return;
  std::unique_ptr<Chunk> c = queue_.Spare();
  if (!c) return;
  c->error = st;
  c->last = true;
  queue_.Push(std::move(c));
}

Status Reader::ReadAll() {
  if (!NextChunk()) return Status::OK();
  for (bool done = false; !done;) {
    now_ = Clock::Now();
    batch_records_ = 0;
    keyed_ = deltas_->keyed = !queue_.MostlyDuplicates();
    LineReader::Line line;
    while (batch_records_ < options_.batch_size) {
      METER_ASSIGN_OR_RETURN(bool got, NextLine(&line));
      if (!got) {
        done = true;
        break;
      }
      METER_RETURN_IF_ERROR(Process(line));
      if (!chunk_) return Status::OK();  // the writer stopped
      ReportProgress();
    }
    // The rejects must be on disk before the batch that rejected them commits.
    METER_RETURN_IF_ERROR(rejects_.Flush());
    if (!Ship(true, done)) return Status::OK();
  }
  return Status::OK();
}

// Hands the chunk in progress to the writer and starts the next; false (and
// no chunk in progress) once the writer has stopped. The chunk that ends a
// batch takes the batch's deltas along, their keys being sorted and their
// rows made by a task of their own (BatchDeltas::StartPrepare).
bool Reader::Ship(bool end_of_batch, bool last) {
  chunk_events_ = std::min(kChunkEvents, chunk_events_ * 2);
  // Finding a chunk staged without keys, the writer sorts it itself: the
  // reader is then the slower thread.
  if (keyed_) chunk_->order = chunk_->stage.ById();
  chunk_->end_of_batch = end_of_batch;
  chunk_->last = last;
  if (end_of_batch) {
    deltas_->all_keyed = deltas_->keyed && keyed_;
    deltas_->StartPrepare();
    chunk_->deltas = std::move(deltas_);
  }
  if (!queue_.Push(std::move(chunk_)) || last) return false;
  // Mostly duplicates: the rest of the batch goes unkeyed.
  if (!end_of_batch && queue_.MostlyDuplicates()) keyed_ = false;
  return NextChunk();
}

// An empty chunk to fill, and deltas for the batch when one starts; false
// once the writer has stopped.
bool Reader::NextChunk() {
  if (!(chunk_ = queue_.Spare())) return false;
  if (!deltas_) deltas_ = queue_.SpareDeltas();
  return true;
}

Status Reader::OpenInput(size_t index) {
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

void Reader::CloseInput() {
  bytes_done_ += input_->reader->bytes_read();
  files_[input_->index].format = input_->kind == Input::Kind::kCsv ? "csv" : "json";
  input_.reset();
}

// The first record line of a file decides how the whole file is read: an
// object or array opener means JSON lines, anything else is a CSV header.
void Reader::DetectKind(std::string_view text) {
  if (input_->kind == Input::Kind::kUnknown)
    input_->kind = (text[0] == '{' || text[0] == '[') ? Input::Kind::kJson : Input::Kind::kCsv;
}

// The next line holding a record, across inputs; CSV headers, blank lines
// and '#' comment lines are consumed here.
Result<bool> Reader::NextLine(LineReader::Line* line) {
  for (;;) {
    if (!input_) {
      if (next_input_ == inputs_.size()) return false;
      METER_RETURN_IF_ERROR(OpenInput(next_input_++));
    }
    auto got = input_->reader->Next(line);
    if (!got.ok())
      return Status::IOError(fmt::format("cannot read '{}': {}", DisplayName(input_->path), got.status().message()));
    if (!*got) {
      CloseInput();
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

// Checks and stages one parsed record. A DataError means the record is
// rejected; any other error stops the run.
Status Reader::Accept() {
  METER_RETURN_IF_ERROR(ToEventView(raw_, &event_, &scratch_));
  METER_RETURN_IF_ERROR(validator_.Check(event_, now_, raw_.names->timestamp));
  if (strict_failed_) return stager_.Check(event_);  // nothing will be committed
  METER_RETURN_IF_ERROR(stager_.Stage(event_, input_->index, &chunk_->stage, keyed_ ? &deltas_->keys : nullptr));
  // A sum past a counter's capacity is the writer's to report (if the events
  // behind it are inserted): the rows are just not made.
  BatchDeltas& d = *deltas_;
  if (keyed_ && d.sums_ok) d.sums_ok = d.sums.AddStaged(chunk_->stage, chunk_->stage.size() - 1).ok();
  return Status::OK();
}

// One line: one record, or for a Lago batch envelope each of its events.
Status Reader::Process(const LineReader::Line& line) {
  if (line.too_long) {
    ++batch_records_;
    ++counts().read;
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
  ++batch_records_;
  ++counts().read;
  if (st.ok()) st = Accept();
  return Outcome(st, line, 0, line.text);
}

// The events of a Lago batch, each a record of its own ("line N event K").
Status Reader::ProcessBatch(const LineReader::Line& line) {
  const std::vector<std::string_view>& events = json_.batch_events();
  for (size_t k = 0; k < events.size() && chunk_; ++k) {
    ++batch_records_;
    ++counts().read;
    Status st = json_.ParseBatchEvent(events[k], &raw_);
    if (st.ok()) st = Accept();
    METER_RETURN_IF_ERROR(Outcome(st, line, k + 1, events[k]));
  }
  return Status::OK();
}

// What follows one record's check: a reject, the next chunk, or nothing.
Status Reader::Outcome(const Status& st, const LineReader::Line& line, size_t event, std::string_view record) {
  if (!st.ok() && !st.IsDataError()) return st;
  if (!st.ok()) return Reject(line, event, record, st.message());
  if (chunk_->stage.size() >= chunk_events_ || chunk_->stage.bytes() >= kChunkBytes) Ship(false, false);
  return Status::OK();
}

// `event` is the record's place in a Lago batch (1-based), 0 for a whole line.
Status Reader::Reject(const LineReader::Line& line, size_t event, std::string_view record,
                      const std::string& reason) {
  ++counts().rejected;
  if (options_.strict && !strict_failed_) {
    strict_failed_ = true;
    chunk_->stage.Clear();  // nothing will be committed
  }
  std::string display = DisplayName(input_->path);
  std::string where = event ? fmt::format("line {} event {}", line.number, event) : fmt::format("line {}", line.number);
  if (samples_.size() < kMaxSamples) samples_.push_back(fmt::format("{} {}: {}", display, where, reason));
  std::string path = options_.rejects_path.empty() ? DefaultRejectsPath(input_->path) : options_.rejects_path;
  std::string_view header = input_->kind == Input::Kind::kCsv ? std::string_view(input_->csv.header()) : "";
  METER_RETURN_IF_ERROR(rejects_.Write(path, display, header, where, reason, record));
  if (line.too_long)
    METER_RETURN_IF_ERROR(input_->reader->ReadRest([&](std::string_view more) { return rejects_.Append(more); }));
  METER_RETURN_IF_ERROR(rejects_.EndRecord());
  if (files_[input_->index].rejects_file.empty()) files_[input_->index].rejects_file = path;
  return Status::OK();
}

void Reader::ReportProgress() {
  if (!progress_ || ++records_since_progress_ < 4096) return;
  records_since_progress_ = 0;
  progress_(bytes_done_ + (input_ ? input_->reader->bytes_read() : 0));
}

// The writing half of ingest, on the calling thread (which owns the
// database connection): chunks -> one transaction per batch, events and
// their counter deltas together; the counts join the summary once a batch
// has committed. The only writer, so transactions, the counters rule and
// the crash guarantees are those of a single-threaded ingest.
class Writer {
 public:
  // `checkpointer` (null in strict mode: nothing commits before the end)
  // hears of each commit.
  Writer(store::Database& db, const catalog::Catalog& catalog, ChunkQueue& queue, IngestSummary* summary,
         store::BackgroundCheckpointer* checkpointer)
      : db_(db), queue_(queue), summary_(summary), checkpointer_(checkpointer), recorder_(db, catalog), store_(db),
        pending_(summary->inputs.size()) {}

  // Writes every chunk until the one marked last. On an error (its own or
  // one the reader handed over), the batch in progress rolls back and the
  // reader is stopped.
  Status Run();

 private:
  Status WriteBatch(std::unique_ptr<Chunk>* first, bool* last);
  Result<bool> IsLate(const EventView& e);
  void Commit();

  store::Database& db_;
  ChunkQueue& queue_;
  IngestSummary* summary_;
  store::BackgroundCheckpointer* checkpointer_;
  EventRecorder recorder_;
  store::EventStore store_;
  std::vector<IngestCounts> pending_;  // per input, for the batch in progress
  bool duplicates_ = false;            // in the batch in progress
  bool any_issued_ = false;  // are there issued invoices at all (this batch)?
  std::unordered_map<std::string, std::vector<Period>, StringHash, std::equal_to<>> issued_;  // per tenant
};

Status Writer::Run() {
  for (;;) {
    std::unique_ptr<Chunk> first = queue_.Pop();
    if (!first->error.ok()) return first->error;
    bool started = false, last = false;
    Status st;
    for (int attempt = 0; attempt <= kBusyRetries; ++attempt) {
      st = db_.Transaction([&] {
        started = true;
        return WriteBatch(&first, &last);
      });
      // Retry only a batch that never began: its chunk was not consumed.
      if (!st.IsBusy() || started) break;
    }
    if (!st.ok()) {
      queue_.Stop();
      recorder_.Discard();
      for (IngestCounts& c : pending_) c = IngestCounts{};
      return st;
    }
    Commit();
    if (checkpointer_) checkpointer_->Committed();
    if (last) return Status::OK();
  }
}

// Writes chunks from `first` through the one that ends the batch.
Status Writer::WriteBatch(std::unique_ptr<Chunk>* first, bool* last) {
  issued_.clear();
  duplicates_ = false;
  METER_ASSIGN_OR_RETURN(any_issued_, store_.AnyIssuedInvoices());
  std::unique_ptr<Chunk> chunk = std::move(*first);
  for (;;) {
    if (!chunk->error.ok()) return chunk->error;
    size_t chunk_duplicates = 0;
    if (chunk->order.size() != chunk->stage.size()) chunk->order = chunk->stage.ById();
    METER_RETURN_IF_ERROR(recorder_.Write(chunk->stage, chunk->order,
                                          [&](uint64_t input, bool inserted, const EventView& e) -> Status {
      IngestCounts& counts = pending_[input];
      if (!inserted) {
        ++counts.duplicates;
        ++chunk_duplicates;
        duplicates_ = true;
        return Status::OK();
      }
      ++counts.accepted;
      METER_ASSIGN_OR_RETURN(bool late, IsLate(e));
      if (late) ++counts.late;
      return Status::OK();
    }));
    for (size_t i = 0; i < pending_.size(); ++i) {
      pending_[i].read += chunk->counts[i].read;
      pending_[i].rejected += chunk->counts[i].rejected;
    }
    if (chunk->stage.size() > 0) queue_.SetMostlyDuplicates(2 * chunk_duplicates > chunk->stage.size());
    *last = chunk->last;
    if (chunk->end_of_batch) {
      BatchDeltas& d = *chunk->deltas;
      Status st = d.WaitPrepared();
      if (st.ok() && !duplicates_ && d.rows_made) {
        st = recorder_.FlushDays(d.days);
      } else if (st.ok()) {
        if (d.keyed) st = recorder_.Flush(d.keys, d.sorted_counters, d.sorted_uniques);
        if (st.ok() && !d.all_keyed) st = recorder_.Flush();
      }
      queue_.Recycle(std::move(chunk));
      return st;
    }
    queue_.Recycle(std::move(chunk));
    chunk = queue_.Pop();
  }
}

Result<bool> Writer::IsLate(const EventView& e) {
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

// The batch's counts join the summary once its transaction has committed.
void Writer::Commit() {
  for (size_t i = 0; i < pending_.size(); ++i) {
    summary_->inputs[i].counts.Add(pending_[i]);
    summary_->totals.Add(pending_[i]);
    pending_[i] = IngestCounts{};
  }
}

// Both halves of one run: the reader on a thread of its own, the writer on
// the calling one. Returns the writer's outcome; the summary is complete
// when it returns.
Status RunPipeline(store::Database& db, const catalog::Catalog& catalog, const std::vector<std::string>& inputs,
                   const IngestOptions& options, const ProgressFn& progress, IngestSummary* summary,
                   store::BackgroundCheckpointer* checkpointer, bool* strict_failed) {
  ChunkQueue queue(inputs.size());
  Reader reader(catalog, inputs, options, progress, queue);
  Writer writer(db, catalog, queue, summary, checkpointer);
  std::thread thread([&reader] { reader.Run(); });
  Status st = writer.Run();
  queue.Stop();  // the reader may still be reading after a failure
  thread.join();
  *strict_failed = reader.strict_failed();
  for (size_t i = 0; i < inputs.size(); ++i) {
    summary->inputs[i].format = reader.files()[i].format;
    summary->inputs[i].rejects_file = reader.files()[i].rejects_file;
  }
  summary->samples = reader.samples();
  Status closed = reader.CloseRejects(&summary->rejects_files);
  return st.ok() ? closed : st;
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
  for (const std::string& p : inputs) summary->inputs.push_back({p, "", {}, ""});
  // A lost batch is recovered by running the same input again, so commits
  // need not wait for the disk; the file stays consistent whatever happens.
  store::EventStore settings(db);
  METER_RETURN_IF_ERROR(settings.SetBulkLoad(true));
  bool strict_failed = false;
  Status st;
  if (options.strict) {
    // One transaction around every batch (they join it): all or nothing.
    st = db.Transaction([&]() -> Status {
      METER_RETURN_IF_ERROR(RunPipeline(db, catalog, inputs, options, progress, summary, nullptr, &strict_failed));
      return strict_failed ? Status::DataError("strict: rolled back") : Status::OK();
    });
    if (strict_failed && st.IsDataError()) {
      st = Status::OK();
      summary->committed = false;
      for (InputSummary& s : summary->inputs) s.counts.accepted = s.counts.duplicates = s.counts.late = 0;
      summary->totals.accepted = summary->totals.duplicates = summary->totals.late = 0;
    }
  } else {
    // Each batch's pages are copied into the database file while the next
    // batches are written, not by the writer (see BackgroundCheckpointer).
    store::BackgroundCheckpointer checkpointer(db);
    st = RunPipeline(db, catalog, inputs, options, progress, summary, &checkpointer, &strict_failed);
  }
  Status restored = settings.SetBulkLoad(false);
  if (st.ok()) st = restored;
  summary->seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return st;
}

}  // namespace meter::ingest
