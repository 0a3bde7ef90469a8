// Ids (core/ids.h): prefix + 26 base32 characters whose first 48 bits are the
// clock's milliseconds, so ids sort by creation time; random bytes.
#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>

#include "core/ids.h"
#include "core/time.h"

namespace meter {
namespace {

constexpr std::string_view kAlphabet = "0123456789abcdefghjkmnpqrstvwxyz";

// The milliseconds an id's characters carry in their first 48 bits.
Timestamp TimeOf(std::string_view id) {
  unsigned __int128 bits = 0;
  for (char ch : id) bits = bits << 5 | kAlphabet.find(ch);
  return static_cast<Timestamp>(bits >> 80);
}

TEST_CASE("ids: a prefix, 26 base32 characters, the creation time first") {
  Timestamp before = Clock::Now();
  std::string id = RandomId("msg_");
  Timestamp after = Clock::Now();
  REQUIRE(id.size() == 4 + 26);
  CHECK(id.starts_with("msg_"));
  for (char ch : id.substr(4)) {
    CAPTURE(ch);
    CHECK(kAlphabet.find(ch) != std::string_view::npos);
  }
  Timestamp t = TimeOf(id.substr(4));
  CHECK(t >= (before & 0xffffffffffffLL));
  CHECK(t <= (after & 0xffffffffffffLL));
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  std::string later = RandomId("msg_");
  CHECK(later > id);
  CHECK(RandomId("") != RandomId(""));  // 80 random bits each
}

TEST_CASE("ids: random parts never repeat, across pool refills and in a forked child") {
  // Ids take their random bytes from a per-thread pool (400 ids a refill).
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) CHECK(seen.insert(RandomId("").substr(10)).second);
  // A child forked with a part-used pool must not make the parent's next id.
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::string id = RandomId("");
    ssize_t n = write(fds[1], id.data(), id.size());
    _exit(n == static_cast<ssize_t>(id.size()) ? 0 : 1);
  }
  std::string mine = RandomId("");
  std::string theirs(26, '\0');
  REQUIRE(read(fds[0], theirs.data(), theirs.size()) == 26);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  close(fds[0]);
  close(fds[1]);
  CHECK(mine.substr(10) != theirs.substr(10));  // the 80 random bits
}

TEST_CASE("ids: random bytes of the length asked") {
  CHECK(RandomBytes(0).empty());
  CHECK(RandomBytes(33).size() == 33);
  CHECK(RandomBytes(16) != RandomBytes(16));
}

}  // namespace
}  // namespace meter
