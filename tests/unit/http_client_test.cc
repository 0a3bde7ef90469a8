// The webhook HTTP client against a real loopback receiver
// (tests/support/receiver.py, started and stopped by each test).
#include <doctest/doctest.h>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "webhooks/http_client.h"

namespace wh = meter::webhooks;

namespace {

using Clock = std::chrono::steady_clock;

int64_t MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string SourceDir() {
#ifdef METER_SOURCE_DIR
  return METER_SOURCE_DIR;
#else
  if (const char* env = std::getenv("METER_SOURCE_DIR")) return env;
  return "../..";
#endif
}

// receiver.py in a child process, on a free port of 127.0.0.1, logging to a
// private temp dir. Dies with the test process (PDEATHSIG) or its destructor.
class Receiver {
 public:
  explicit Receiver(std::vector<std::string> args) {
    char dir_template[] = "/tmp/meter_wh_test_XXXXXX";
    REQUIRE(mkdtemp(dir_template) != nullptr);
    dir_ = dir_template;
    log_path_ = dir_ + "/log.jsonl";
    const std::string script = SourceDir() + "/tests/support/receiver.py";
    REQUIRE_MESSAGE(std::filesystem::exists(script), "receiver not found: " << script);
    args.insert(args.begin(), {"python3", script, "--log", log_path_, "--max-seconds", "120"});
    Spawn(args);
  }
  ~Receiver() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Receiver(const Receiver&) = delete;
  Receiver& operator=(const Receiver&) = delete;

  int port() const { return port_; }
  std::string url(const std::string& path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  // One JSON line per request received so far.
  std::vector<std::string> Requests() const {
    std::vector<std::string> lines;
    std::ifstream in(log_path_);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

 private:
  void Spawn(const std::vector<std::string>& args) {
    int out[2];
    REQUIRE(pipe(out) == 0);
    pid_ = fork();
    REQUIRE(pid_ >= 0);
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // never outlive a crashed test
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execvp(argv[0], argv.data());
      _exit(127);
    }
    close(out[1]);
    port_ = ReadPort(out[0]);
    close(out[0]);
    REQUIRE_MESSAGE(port_ > 0, "receiver did not print its port");
  }

  // Reads the "PORT <n>" line, giving up after 30 s (a Python start under a
  // loaded CI machine has taken more than 10).
  static int ReadPort(int fd) {
    std::string line;
    const Clock::time_point start = Clock::now();
    while (line.find('\n') == std::string::npos && MillisSince(start) < 30'000) {
      pollfd p{fd, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[64];
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    if (line.rfind("PORT ", 0) != 0) return 0;
    return std::atoi(line.c_str() + 5);
  }

  pid_t pid_ = -1;
  int port_ = 0;
  std::string dir_;
  std::string log_path_;
};

wh::HttpRequest Post(const std::string& url, int64_t timeout_ms = 5000) {
  wh::HttpRequest r;
  r.url = url;
  r.headers = {{"content-type", "application/json"}, {"webhook-id", "msg_test"}};
  r.body = R"({"id":"msg_test","type":"webhook.test"})";
  r.timeout_ms = timeout_ms;
  return r;
}

std::unique_ptr<wh::HttpClient> NewClient() {
  auto client = wh::HttpClient::Create();
  REQUIRE(client.ok());
  return std::move(client).value();
}

// Sends one request and waits (at most 30 s) for its answer.
wh::HttpResponse PostOne(const wh::HttpRequest& request) {
  auto client = NewClient();
  std::vector<wh::HttpResponse> got;
  REQUIRE(client->PerformAll({request}, 1, [&](size_t, wh::HttpResponse r) {
                   got.push_back(std::move(r));
                 }).ok());
  REQUIRE(got.size() == 1);
  return got[0];
}

// A loopback port nothing listens on: bound once by us, then released.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  close(fd);
  return ntohs(addr.sin_port);
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return s.rfind(prefix, 0) == 0;
}

}  // namespace

TEST_CASE("webhooks.url: only absolute http and https URLs with a host") {
  for (const char* good : {"http://example.com", "https://example.com/hooks?x=1",
                           "http://127.0.0.1:8080/h", "HTTPS://Example.COM/", "http://[::1]:9/x",
                           "https://user@example.com/"}) {
    CHECK_MESSAGE(wh::ValidateWebhookUrl(good).ok(), std::string(good));
  }
  for (const char* bad : {"", "file:///etc/passwd", "ftp://example.com/x", "gopher://example.com",
                          "javascript:alert(1)", "example.com/hook", "//example.com/hook",
                          "http://", "https:///path", "http://@/x", "http://:80/x", "http://exa mple.com/", "http://example.com/\n",
                          "://example.com", "httpx://example.com", "http:/example.com"}) {
    meter::Status st = wh::ValidateWebhookUrl(bad);
    CHECK_MESSAGE(st.IsInvalidArgument(), "accepted: " << std::string(bad));
  }
  CHECK(wh::ValidateWebhookUrl("file:///etc/passwd").message().find("'file'") != std::string::npos);
  CHECK(wh::ValidateWebhookUrl("ftp://x/").message().find("only http and https") !=
        std::string::npos);
}

TEST_CASE("webhooks.retry_after: delta-seconds and the three HTTP-date forms") {
  const int64_t kDate = 1445412480;  // Wed, 21 Oct 2015 07:28:00 GMT
  CHECK(wh::ParseRetryAfter("120", 0) == 120);
  CHECK(wh::ParseRetryAfter(" 7\r\n", 0) == 7);
  CHECK(wh::ParseRetryAfter("0", 0) == 0);
  CHECK(wh::ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", kDate - 100) == 100);
  CHECK(wh::ParseRetryAfter("Wednesday, 21-Oct-15 07:28:00 GMT", kDate - 5) == 5);
  CHECK(wh::ParseRetryAfter("Wed Oct 21 07:28:00 2015", kDate - 60) == 60);
  CHECK(wh::ParseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", kDate + 100) == 0);  // past: now
  for (const char* bad : {"", "  ", "-5", "1.5", "12abc", "soon", "99999999999999999999999"}) {
    CHECK_MESSAGE(!wh::ParseRetryAfter(bad, kDate).has_value(), std::string(bad));
  }
}

TEST_CASE("webhooks.http: a 200 answer and what the receiver saw") {
  Receiver receiver({"--mode", "ok"});
  wh::HttpResponse r = PostOne(Post(receiver.url()));
  CHECK(r.status == 200);
  CHECK(r.error == "");
  CHECK(r.body == "200 from receiver\n");
  CHECK_FALSE(r.body_truncated);
  CHECK_FALSE(r.retry_after_seconds.has_value());
  CHECK(r.duration_ms >= 0);
  CHECK(r.duration_ms < 5000);
  auto seen = receiver.Requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].find(R"("method": "POST")") != std::string::npos);
  CHECK(seen[0].find(R"("path": "/hook")") != std::string::npos);
  CHECK(seen[0].find(R"("webhook-id": "msg_test")") != std::string::npos);
  CHECK(seen[0].find(R"("content-type": "application/json")") != std::string::npos);
  CHECK(seen[0].find(R"(\"type\":\"webhook.test\")") != std::string::npos);
  CHECK(seen[0].find(R"("expect")") == std::string::npos);
}

TEST_CASE("webhooks.http: 500 and 410 are answers with their status") {
  Receiver failing({"--mode", "fail"});
  wh::HttpResponse r = PostOne(Post(failing.url()));
  CHECK(r.status == 500);
  CHECK(r.error == "");
  Receiver gone({"--mode", "gone"});
  CHECK(PostOne(Post(gone.url())).status == 410);
}

TEST_CASE("webhooks.http: a receiver that hangs past the timeout gives a timeout error") {
  Receiver receiver({"--mode", "hang"});
  const Clock::time_point start = Clock::now();
  wh::HttpResponse r = PostOne(Post(receiver.url(), 500));
  CHECK(r.status == 0);
  CHECK_MESSAGE(StartsWith(r.error, "timeout"), r.error);
  CHECK(r.duration_ms >= 450);
  CHECK(MillisSince(start) < 3000);
  CHECK(receiver.Requests().size() == 1);  // it did arrive; no answer came
}

TEST_CASE("webhooks.http: a closed port gives connection refused") {
  wh::HttpResponse r = PostOne(Post("http://127.0.0.1:" + std::to_string(ClosedPort()) + "/h"));
  CHECK(r.status == 0);
  CHECK_MESSAGE(StartsWith(r.error, "connection refused"), r.error);
}

TEST_CASE("webhooks.http: a connection closed or reset without an answer is an error") {
  Receiver closing({"--mode", "close"});
  wh::HttpResponse closed = PostOne(Post(closing.url()));
  CHECK(closed.status == 0);
  CHECK_MESSAGE(StartsWith(closed.error, "connection closed without a response"), closed.error);
  Receiver resetting({"--mode", "reset"});
  wh::HttpResponse reset = PostOne(Post(resetting.url()));
  CHECK(reset.status == 0);
  CHECK_MESSAGE(StartsWith(reset.error, "connection reset"), reset.error);
}

TEST_CASE("webhooks.http: a redirect is recorded and never followed") {
  Receiver target({"--mode", "ok"});
  Receiver redirecting({"--mode", "redirect", "--redirect-to", target.url("/stolen")});
  wh::HttpResponse r = PostOne(Post(redirecting.url()));
  CHECK(r.status == 302);
  CHECK(r.error == "");
  Receiver to_file({"--mode", "redirect", "--redirect-to", "file:///etc/passwd"});
  wh::HttpResponse f = PostOne(Post(to_file.url()));
  CHECK(f.status == 302);
  CHECK(f.body.find("root:") == std::string::npos);
  usleep(200'000);  // give a (wrongly) followed redirect time to land
  CHECK(target.Requests().empty());
  CHECK(redirecting.Requests().size() == 1);
}

TEST_CASE("webhooks.http: 429 with Retry-After in seconds or as an HTTP-date") {
  Receiver seconds({"--mode", "throttle", "--fail-times", "1", "--retry-after", "7"});
  wh::HttpResponse first = PostOne(Post(seconds.url()));
  CHECK(first.status == 429);
  CHECK(first.retry_after_seconds == 7);
  wh::HttpResponse second = PostOne(Post(seconds.url()));
  CHECK(second.status == 200);
  CHECK_FALSE(second.retry_after_seconds.has_value());

  // An IMF-fixdate two minutes ahead, through a 503. The wait left is 120 s
  // less the time the receiver took to start and answer (seconds under load).
  const Clock::time_point asked = Clock::now();
  std::time_t later = std::time(nullptr) + 120;
  std::tm tm{};
  gmtime_r(&later, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  Receiver dated({"--mode", "throttle", "--status", "503", "--retry-after", date});
  wh::HttpResponse r = PostOne(Post(dated.url()));
  CHECK(r.status == 503);
  REQUIRE(r.retry_after_seconds.has_value());
  const int64_t spent = MillisSince(asked) / 1000;
  CHECK(*r.retry_after_seconds >= 120 - spent - 2);
  CHECK(*r.retry_after_seconds <= 120);
}

TEST_CASE("webhooks.http: only the first 64 KiB of a response body are read") {
  Receiver receiver({"--mode", "ok", "--body-bytes", std::to_string(4 << 20)});
  wh::HttpResponse r = PostOne(Post(receiver.url()));
  CHECK(r.status == 200);
  CHECK_MESSAGE(r.error == "", r.error);
  CHECK(r.body.size() == wh::kMaxResponseBody);
  CHECK(r.body_truncated);
  Receiver exact({"--mode", "ok", "--body-bytes", std::to_string(wh::kMaxResponseBody)});
  wh::HttpResponse e = PostOne(Post(exact.url()));
  CHECK(e.status == 200);
  CHECK(e.body.size() == wh::kMaxResponseBody);
  CHECK_FALSE(e.body_truncated);
}

TEST_CASE("webhooks.http: 16 requests of 200 ms at concurrency 8 run in parallel") {
  Receiver receiver({"--mode", "ok", "--delay-ms", "200"});
  auto client = NewClient();
  std::vector<wh::HttpRequest> requests(16, Post(receiver.url()));
  std::set<size_t> done;
  const Clock::time_point start = Clock::now();
  REQUIRE(client->PerformAll(requests, 8, [&](size_t index, wh::HttpResponse r) {
                   CHECK(r.status == 200);
                   CHECK(done.insert(index).second);
                 }).ok());
  const int64_t wall = MillisSince(start);
  CHECK(done.size() == 16);
  CHECK(wall < 2000);  // sequential would take 3200 ms
  CHECK(wall >= 380);  // at most 8 at once: two rounds of 200 ms
  CHECK(receiver.Requests().size() == 16);
  CHECK(client->in_flight() == 0);
}

TEST_CASE("webhooks.http: Add and Poll keep a caller-chosen number in flight") {
  Receiver receiver({"--mode", "ok", "--delay-ms", "50"});
  auto client = NewClient();
  constexpr uint64_t kTotal = 12;
  constexpr size_t kWindow = 3;
  uint64_t next = 0;
  std::multiset<uint64_t> tags;
  const Clock::time_point start = Clock::now();
  while ((next < kTotal || client->in_flight() > 0) && MillisSince(start) < 30'000) {
    while (next < kTotal && client->in_flight() < kWindow) {
      REQUIRE(client->Add(1000 + next, Post(receiver.url())).ok());
      ++next;
    }
    CHECK(client->in_flight() <= kWindow);
    for (wh::HttpCompletion& c : client->Poll(1000)) {
      CHECK(c.response.status == 200);
      tags.insert(c.tag);
    }
  }
  CHECK(tags.size() == kTotal);
  for (uint64_t i = 0; i < kTotal; ++i) CHECK(tags.count(1000 + i) == 1);
  CHECK(client->Poll(10).empty());  // nothing in flight: returns at once
}

TEST_CASE("webhooks.http: bad requests are refused before anything is sent") {
  auto client = NewClient();
  CHECK(client->Add(1, Post("file:///etc/passwd")).IsInvalidArgument());
  CHECK(client->Add(2, Post("ftp://127.0.0.1/x")).IsInvalidArgument());
  CHECK(client->Add(3, Post("http://127.0.0.1:9/", 0)).IsInvalidArgument());
  wh::HttpRequest injected = Post("http://127.0.0.1:9/");
  injected.headers.push_back({"x-evil", "a\r\nx-injected: 1"});
  CHECK(client->Add(4, injected).IsInvalidArgument());
  CHECK(client->in_flight() == 0);

  Receiver receiver({"--mode", "ok"});
  std::vector<wh::HttpRequest> batch = {Post(receiver.url()), Post("file:///etc/passwd"),
                                        Post(receiver.url())};
  std::vector<wh::HttpResponse> got(3);
  REQUIRE(client->PerformAll(batch, 2, [&](size_t i, wh::HttpResponse r) { got[i] = r; }).ok());
  CHECK(got[0].status == 200);
  CHECK(got[1].status == 0);
  CHECK(got[1].error.find("'file'") != std::string::npos);
  CHECK(got[2].status == 200);
  CHECK(receiver.Requests().size() == 2);
}
