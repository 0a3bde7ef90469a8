// Status (core/status.h): SPEC section 1's exit code for each kind of
// failure, and context added in front of a message.
#include <doctest/doctest.h>

#include "core/status.h"

namespace meter {
namespace {

TEST_CASE("status: exit codes of SPEC section 1") {
  CHECK(ExitCodeFor(Status::OK()) == 0);
  CHECK(ExitCodeFor(Status::Denied("x")) == 1);
  CHECK(ExitCodeFor(Status::InvalidArgument("x")) == 2);
  CHECK(ExitCodeFor(Status::NotFound("x")) == 2);  // the argument names nothing that exists
  CHECK(ExitCodeFor(Status::DataError("x")) == 65);
  CHECK(ExitCodeFor(Status::NoInput("x")) == 66);
  CHECK(ExitCodeFor(Status::Unavailable("x")) == 69);
  CHECK(ExitCodeFor(Status::IOError("x")) == 74);
  CHECK(ExitCodeFor(Status::Internal("x")) == 74);
  CHECK(ExitCodeFor(Status::Busy("x")) == 75);
}

TEST_CASE("status: context goes in front of a failure's message, never onto success") {
  Status st = Status::DataError("bad number").WithContext("line 3");
  CHECK(st.code() == Status::Code::kDataError);
  CHECK(st.message() == "line 3: bad number");
  CHECK(Status::OK().WithContext("line 3").ok());
  CHECK(Status::OK().message().empty());
}

}  // namespace
}  // namespace meter
