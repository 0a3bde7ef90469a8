// RejectsWriter: the rejects files of an ingest run.
//
// A rejects file starts, for each input with rejects, with a comment naming
// the input (and, for CSV, the input's header row), then holds each rejected
// record as a "# line N: reason" comment line ("# line N event K: reason"
// for the K-th event of a Lago batch) followed by the record exactly as it
// was read. Lines starting with '#' are skipped by ingest, so the file
// can be fixed and ingested again as it is. Files are created on the first
// reject only.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace meter::ingest {

class RejectsWriter {
 public:
  RejectsWriter() = default;
  ~RejectsWriter();
  RejectsWriter(const RejectsWriter&) = delete;
  RejectsWriter& operator=(const RejectsWriter&) = delete;

  // Writes the comment line and the start of `record` to `path` (truncated
  // when first opened in this run). `where` names the record ("line 17",
  // "line 17 event 2"); `input` names the source in the file's heading;
  // `csv_header` is repeated under it for CSV inputs. Finish the
  // record with EndRecord() (after Append() for over-long records). IOError
  // when the file cannot be opened or written.
  Status Write(const std::string& path, const std::string& input, std::string_view csv_header,
               std::string_view where, std::string_view reason, std::string_view record);
  // Appends more of the record last started.
  Status Append(std::string_view more);
  Status EndRecord();

  // Pushes buffered writes to the files; IOError when that fails (disk full).
  Status Flush();
  // Flushes and closes every file.
  Status CloseAll();

  // Every file written, in the order first written.
  const std::vector<std::string>& paths() const { return paths_; }

 private:
  struct File {
    std::string path;
    std::FILE* f = nullptr;
    std::string last_input;
  };
  Status Check(const File& file, bool ok);
  std::vector<File> files_;
  std::vector<std::string> paths_;
  File* current_ = nullptr;
};

}  // namespace meter::ingest
