// Status and Result<T>: how the library reports expected failures.
//
// A Status is either OK or carries a Code and a one-line message meant for a
// person ("line 17: unknown tenant 'acme2'"). Expected failures (bad input, a
// denied quota, a missing tenant, a locked database) travel as values; the
// library does not let exceptions cross its public functions. Each Code maps to
// one process exit code of SPEC section 1 (see ExitCodeFor).
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace meter {

// Process exit codes of SPEC section 1, named (after ninja's exit_status.h).
enum ExitCode : int {
  kExitOk = 0,
  kExitDenied = 1,       // a check said no; an illegal state transition
  kExitUsage = 2,        // bad flags or arguments
  kExitDataErr = 65,     // input data rejected
  kExitNoInput = 66,     // input file missing
  kExitUnavailable = 69, // a peer was unavailable
  kExitIoErr = 74,       // I/O or database error (read-only, full, corrupt)
  kExitTempFail = 75,    // database locked past the busy timeout
};

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk,
    kNotFound,         // a named thing (tenant, invoice, endpoint) does not exist
    kInvalidArgument,  // a bad flag value or argument
    kDataError,        // input data (records, catalog) rejected
    kNoInput,          // an input file is missing
    kDenied,           // a check said no / an illegal transition
    kUnavailable,      // a peer (webhook receiver) could not be reached
    kIOError,          // disk, read-only, corrupt database
    kBusy,             // database locked past the busy timeout
    kInternal,         // a bug: an invariant did not hold
  };

  // Success costs nothing: no message is allocated.
  Status() = default;
  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status InvalidArgument(std::string msg) { return Status(Code::kInvalidArgument, std::move(msg)); }
  static Status DataError(std::string msg) { return Status(Code::kDataError, std::move(msg)); }
  static Status NoInput(std::string msg) { return Status(Code::kNoInput, std::move(msg)); }
  static Status Denied(std::string msg) { return Status(Code::kDenied, std::move(msg)); }
  static Status Unavailable(std::string msg) { return Status(Code::kUnavailable, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status Busy(std::string msg) { return Status(Code::kBusy, std::move(msg)); }
  static Status Internal(std::string msg) { return Status(Code::kInternal, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  bool IsNotFound() const { return code_ == Code::kNotFound; }
  bool IsInvalidArgument() const { return code_ == Code::kInvalidArgument; }
  bool IsDataError() const { return code_ == Code::kDataError; }
  bool IsDenied() const { return code_ == Code::kDenied; }
  bool IsBusy() const { return code_ == Code::kBusy; }
  bool IsIOError() const { return code_ == Code::kIOError; }

  // The same status with "context: " put before its message.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// The exit code a command returns when it stops on `s`.
ExitCode ExitCodeFor(const Status& s);

// Either a value or a non-OK Status. Construct from a T or from a Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit on purpose
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { assert(ok()); return *value_; }
  const T& value() const& { assert(ok()); return *value_; }
  T&& value() && { assert(ok()); return std::move(*value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace meter

// Returns early from the enclosing function when `expr` is not OK.
#define METER_RETURN_IF_ERROR(expr)               \
  do {                                            \
    ::meter::Status _st = (expr);                 \
    if (!_st.ok()) return _st;                    \
  } while (0)

#define METER_CONCAT_INNER(a, b) a##b
#define METER_CONCAT(a, b) METER_CONCAT_INNER(a, b)
// `METER_ASSIGN_OR_RETURN(auto x, Fn());` binds the value or returns the status.
#define METER_ASSIGN_OR_RETURN(lhs, expr) \
  METER_ASSIGN_OR_RETURN_IMPL(METER_CONCAT(_res_, __LINE__), lhs, expr)
#define METER_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
