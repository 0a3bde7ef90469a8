// Ingest: usage logs -> events and counters (SPEC section 4).
//
// Reads files (or stdin, "-") as a stream: lines are read in blocks with a
// 1 MiB cap per record, parsed (native NDJSON, CSV, CloudEvents, Lago),
// checked, and recorded through EventRecorder in batches, each batch one
// transaction holding its events and counter deltas together. Within a
// batch, events are written in chunks of 50,000 sorted by id (so the id
// index is walked in order); events.seq therefore follows arrival order
// between chunks, not inside one. Memory does not grow with the input; a
// crash leaves whole batches, and running the same input again is safe
// because events are deduplicated by id. While ingesting, commits do not
// wait for the disk (see EventStore::SetBulkLoad): a power failure may lose
// the last batches, never corrupt the file, and re-running restores them.
//
// Every record that fails a check is written, verbatim, to a rejects file
// after a "# line N: reason" comment line; ingest skips lines starting with
// '#', so a fixed rejects file can be ingested as it is.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "core/status.h"
#include "ingest/record.h"
#include "store/database.h"

namespace meter::ingest {

struct IngestOptions {
  Format format = Format::kAuto;
  // One file for every input's rejects; "" = "<input>.rejects" next to each
  // input ("stdin.rejects" in the current directory for stdin).
  std::string rejects_path;
  // Any bad record means nothing at all is committed.
  bool strict = false;
  // Records per transaction: a concurrent writer waits at most about one
  // batch's time for the lock.
  size_t batch_size = 250000;
};

struct IngestCounts {
  uint64_t read = 0;        // records (not blank or '#' lines, not CSV headers)
  uint64_t accepted = 0;    // new events stored
  uint64_t duplicates = 0;  // valid records whose id was already stored
  uint64_t rejected = 0;    // records written to the rejects file
  uint64_t late = 0;        // accepted events inside an already issued invoice's period
  void Add(const IngestCounts& o);
};

struct InputSummary {
  std::string path;          // as given; "-" for stdin
  std::string format;        // "json" or "csv" (per record formats vary for JSON)
  IngestCounts counts;
  std::string rejects_file;  // "" when nothing was rejected
};

struct IngestSummary {
  IngestCounts totals;
  std::vector<InputSummary> inputs;
  std::vector<std::string> rejects_files;  // in the order they were written
  std::vector<std::string> samples;         // the first rejects, "file line N: reason"
  double seconds = 0;
  // False when --strict refused the input: nothing was committed and the
  // accepted / duplicates / late counts are zero.
  bool committed = true;
};

// Checks before anything is read: every input exists and can be opened
// (NoInput naming the first that cannot), "-" appears at most once, and the
// rejects file is none of the inputs (InvalidArgument).
Status CheckInputs(const std::vector<std::string>& inputs, const IngestOptions& options);

// The total size of the regular files among `inputs` (0 for stdin), for
// progress by bytes.
uint64_t InputBytes(const std::vector<std::string>& inputs);

// Called now and then with the input bytes read so far.
using ProgressFn = std::function<void(uint64_t bytes_done)>;

// Ingests `inputs` in order against `catalog` (tenants and meters). Returns
// OK when the input was read to the end (rejected records included: see
// `summary`); IOError when an input cannot be read or a rejects file cannot
// be written (the batch in progress is rolled back; earlier batches stay
// committed); Busy when the database stays locked. `summary` always holds
// what was committed.
Status Ingest(store::Database& db, const catalog::Catalog& catalog, const std::vector<std::string>& inputs,
              const IngestOptions& options, const ProgressFn& progress, IngestSummary* summary);

}  // namespace meter::ingest
