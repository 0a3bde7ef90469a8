// LineReader: the lines of a file descriptor, read in large blocks, with a
// cap on line length so that memory stays flat whatever the input holds.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace meter::ingest {

// Records longer than this (1 MiB) are refused (SPEC section 4).
constexpr size_t kMaxRecordBytes = size_t{1} << 20;

class LineReader {
 public:
  // Reads from `fd` (not owned, not closed). `max_line` bounds the bytes of
  // a line that are ever held in memory.
  explicit LineReader(int fd, size_t max_line = kMaxRecordBytes);

  struct Line {
    std::string_view text;  // without "\n", "\r\n" or a leading UTF-8 BOM
    uint64_t number = 0;    // 1-based physical line number
    bool too_long = false;  // text holds only the first max_line bytes
  };

  // Reads the next line: false at the end of input, IOError when reading
  // fails. The text stays valid until the next call and is followed by at
  // least kJsonPadding readable bytes. After a too_long line, ReadRest()
  // hands over the remainder; otherwise the next call skips it.
  Result<bool> Next(Line* line);

  // Passes the rest of the current too_long line, block by block, to `sink`
  // (stopping at the first error it returns).
  Status ReadRest(const std::function<Status(std::string_view)>& sink);

  // Bytes read from the descriptor so far (for progress).
  uint64_t bytes_read() const { return bytes_read_; }

 private:
  Status Fill();
  int fd_;
  size_t max_line_;
  std::vector<char> buf_;
  size_t capacity_;         // bytes of buf_ usable for data (the rest is padding)
  size_t begin_ = 0, end_ = 0;
  size_t scanned_ = 0;      // bytes after begin_ known to hold no newline
  bool eof_ = false;
  bool in_long_line_ = false;
  uint64_t line_number_ = 0;
  uint64_t bytes_read_ = 0;
};

}  // namespace meter::ingest
