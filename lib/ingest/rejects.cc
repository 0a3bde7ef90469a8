#include "ingest/rejects.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace meter::ingest {
namespace {

Status CannotWrite(const std::string& path, int err) {
  return Status::IOError(fmt::format(
      "cannot write rejects file '{}': {}; nothing from the current batch was committed "
      "(pass --rejects FILE to write rejects elsewhere, then ingest again)",
      path, std::strerror(err)));
}

}  // namespace

RejectsWriter::~RejectsWriter() {
  for (File& f : files_)
    if (f.f) std::fclose(f.f);
}

Status RejectsWriter::Check(const File& file, bool ok) {
  if (ok && !std::ferror(file.f)) return Status::OK();
  return CannotWrite(file.path, errno ? errno : EIO);
}

Status RejectsWriter::Write(const std::string& path, const std::string& input, std::string_view csv_header,
                            std::string_view where, std::string_view reason, std::string_view record) {
  File* file = nullptr;
  for (File& f : files_)
    if (f.path == path) file = &f;
  if (!file) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f) return CannotWrite(path, errno);
    files_.push_back({path, f, ""});
    paths_.push_back(path);
    file = &files_.back();
  }
  current_ = file;
  if (file->last_input != input) {
    file->last_input = input;
    fmt::print(file->f, "# meter ingest rejects from {}: fix these records and ingest this file again "
               "(lines starting with # are skipped)\n", input);
    if (!csv_header.empty()) fmt::print(file->f, "{}\n", csv_header);
  }
  fmt::print(file->f, "# {}: {}\n", where, reason);
  return Append(record);
}

Status RejectsWriter::Append(std::string_view more) {
  if (!current_) return Status::Internal("rejects: Append before Write");
  return Check(*current_, std::fwrite(more.data(), 1, more.size(), current_->f) == more.size());
}

Status RejectsWriter::EndRecord() { return Append("\n"); }

Status RejectsWriter::Flush() {
  for (const File& f : files_)
    if (f.f) METER_RETURN_IF_ERROR(Check(f, std::fflush(f.f) == 0));
  return Status::OK();
}

Status RejectsWriter::CloseAll() {
  Status result = Flush();
  for (File& f : files_) {
    if (f.f && std::fclose(f.f) != 0 && result.ok()) result = CannotWrite(f.path, errno);
    f.f = nullptr;
  }
  current_ = nullptr;
  return result;
}

}  // namespace meter::ingest
