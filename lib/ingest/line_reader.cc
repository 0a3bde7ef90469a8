#include "ingest/line_reader.h"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "ingest/json_record.h"

namespace meter::ingest {
namespace {

constexpr size_t kBlock = size_t{1} << 20;

std::string_view StripLineEnd(std::string_view s) {
  if (!s.empty() && s.back() == '\r') s.remove_suffix(1);
  return s;
}

}  // namespace

LineReader::LineReader(int fd, size_t max_line)
    : fd_(fd), max_line_(max_line), buf_(max_line + kBlock + kJsonPadding), capacity_(max_line + kBlock) {}

// Moves the unread bytes to the front and reads one more block after them.
Status LineReader::Fill() {
  if (begin_ > 0) {
    std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  for (;;) {
    ssize_t n = ::read(fd_, buf_.data() + end_, capacity_ - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError(std::strerror(errno));
    if (n == 0) eof_ = true;
    end_ += static_cast<size_t>(n);
    bytes_read_ += static_cast<uint64_t>(n);
    return Status::OK();
  }
}

Result<bool> LineReader::Next(Line* line) {
  if (in_long_line_) METER_RETURN_IF_ERROR(ReadRest([](std::string_view) { return Status::OK(); }));
  for (;;) {
    const char* start = buf_.data() + begin_;
    const char* nl = static_cast<const char*>(std::memchr(start + scanned_, '\n', end_ - begin_ - scanned_));
    size_t len = nl ? static_cast<size_t>(nl - start) : end_ - begin_;
    if (len > max_line_) {
      // Hand over the head; the rest is read (or skipped) block by block.
      *line = {std::string_view(start, max_line_), ++line_number_, true};
      begin_ += max_line_;
      scanned_ = 0;
      in_long_line_ = true;
      return true;
    }
    if (nl || (eof_ && len > 0)) {
      *line = {StripLineEnd(std::string_view(start, len)), ++line_number_, false};
      begin_ += nl ? len + 1 : len;
      scanned_ = 0;
      if (line->number == 1 && line->text.starts_with("\xEF\xBB\xBF")) line->text.remove_prefix(3);
      return true;
    }
    if (eof_) return false;
    scanned_ = len;
    METER_RETURN_IF_ERROR(Fill());
  }
}

Status LineReader::ReadRest(const std::function<Status(std::string_view)>& sink) {
  while (in_long_line_) {
    const char* start = buf_.data() + begin_;
    const char* nl = static_cast<const char*>(std::memchr(start, '\n', end_ - begin_));
    size_t len = nl ? static_cast<size_t>(nl - start) : end_ - begin_;
    if (len > 0) METER_RETURN_IF_ERROR(sink(std::string_view(start, len)));
    begin_ += nl ? len + 1 : len;
    if (nl || eof_) {
      in_long_line_ = false;
      break;
    }
    METER_RETURN_IF_ERROR(Fill());
  }
  return Status::OK();
}

}  // namespace meter::ingest
