#include "core/status.h"

namespace meter {

ExitCode ExitCodeFor(const Status& s) {
  using C = Status::Code;
  switch (s.code()) {
    case C::kOk: return kExitOk;
    case C::kDenied: return kExitDenied;
    case C::kNotFound: return kExitUsage;  // the argument names nothing that exists
    case C::kInvalidArgument: return kExitUsage;
    case C::kDataError: return kExitDataErr;
    case C::kNoInput: return kExitNoInput;
    case C::kUnavailable: return kExitUnavailable;
    case C::kIOError: return kExitIoErr;
    case C::kBusy: return kExitTempFail;
    case C::kInternal: return kExitIoErr;
  }
  return kExitIoErr;
}

}  // namespace meter
