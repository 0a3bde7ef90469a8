// SPEC section 9: `meter webhooks replay` of 10 K deliveries to a local
// receiver answering in 50 ms, at --concurrency 16 against sequential
// delivery (--concurrency 1) measured in the same run; plus raw deliveries/s
// against a receiver answering at once.
//
//   cmake --build build --target bench_webhooks meter
//   build/bench/bench_webhooks [--meter build/meter] [--deliveries 10000]
//                              [--sequential-sample 500] [--delay-ms 50] [--json FILE]
//
// The receiver is cpp-httplib in this process (a thread per connection, so
// 16 slow answers really overlap; Python's receiver would be the bottleneck
// of the raw figure). Each scenario gets a fresh database: `meter init`, one
// endpoint, `send-test --count N`, then one timed `meter webhooks replay`.
// Sequential delivery of 10 K at 50 ms takes over 8 minutes, so by default
// its rate is measured on a sample (--sequential-sample 0 runs all of it) and
// the 10 K time extrapolated; the report says which. Prints a table on
// stderr and one JSON line on stdout (and, with --json FILE, in FILE too).
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

struct Args {
  std::string meter, json_out;
  int deliveries = 10000;
  int sequential_sample = 500;
  int delay_ms = 50;
};

std::string DefaultMeter() {
  // build/bench/bench_webhooks -> build/meter
  return (fs::read_symlink("/proc/self/exe").parent_path().parent_path() / "meter").string();
}

Args ParseArgs(int argc, char** argv) {
  Args a;
  a.meter = DefaultMeter();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--meter") a.meter = value;
    else if (flag == "--deliveries") a.deliveries = std::stoi(value);
    else if (flag == "--sequential-sample") a.sequential_sample = std::stoi(value);
    else if (flag == "--delay-ms") a.delay_ms = std::stoi(value);
    else if (flag == "--json") a.json_out = value;
    else throw std::runtime_error("unknown flag " + flag);
  }
  return a;
}

// Runs a shell command, returning its stdout; throws when it exits non-zero.
std::string Run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) throw std::runtime_error("cannot run " + cmd);
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  if (pclose(p) != 0) throw std::runtime_error("failed: " + cmd);
  return out;
}

// The loopback receiver: /slow answers after the delay, /fast at once.
class Receiver {
 public:
  explicit Receiver(int delay_ms) {
    // A worker per connection: 16 slow answers must really overlap (Debian's
    // compiled cpp-httplib defaults to max(8, cores - 1) workers).
    server_.new_task_queue = [] { return new httplib::ThreadPool(64); };
    server_.set_keep_alive_max_count(1000000);
    server_.set_tcp_nodelay(true);  // else headers and body wait out a 40 ms delayed ACK
    server_.Post("/slow", [this, delay_ms](const httplib::Request&, httplib::Response& res) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
      ++count_;
      res.set_content("ok", "text/plain");
    });
    server_.Post("/fast", [this](const httplib::Request&, httplib::Response& res) {
      ++count_;
      res.set_content("ok", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  long count() const { return count_.load(); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::atomic<long> count_{0};
};

struct Result {
  std::string name;
  int deliveries = 0, concurrency = 0;
  double seconds = 0;  // the replay's own wall time (process start to exit)
  double rate() const { return deliveries / seconds; }
};

// A fresh database with `n` deliveries queued for `url`; returns the meter
// command prefix bound to it.
std::string Prepare(const Args& a, const fs::path& dir, const std::string& url, int n) {
  fs::create_directories(dir);
  std::ofstream(dir / "catalog.json")
      << R"({"currency":"USD","meters":[{"key":"api_calls"}],"plans":[{"key":"p","base_price":"0"}],)"
         R"("tenants":[{"id":"t","plan":"p"}]})";
  const std::string m = a.meter + " --quiet --db " + (dir / "meter.db").string() + " ";
  Run(m + "init --catalog " + (dir / "catalog.json").string());
  Run(m + "webhooks add --url " + url + " >/dev/null");
  Run(m + "webhooks send-test --endpoint 1 --count " + std::to_string(n) + " >/dev/null");
  return m;
}

Result Measure(const Args& a, const fs::path& root, Receiver& rec, const std::string& name,
               const std::string& path, int n, int concurrency) {
  const fs::path dir = root / std::to_string(concurrency * 1000000 + n) / path.substr(1);
  const std::string m = Prepare(a, dir, rec.url(path), n);
  const long before = rec.count();
  const auto start = std::chrono::steady_clock::now();
  json summary = json::parse(Run(m + "--json webhooks replay --concurrency " + std::to_string(concurrency)));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (summary["delivered"].get<int>() != n || rec.count() - before != n) {
    throw std::runtime_error(name + ": delivered " + summary.dump() + ", receiver saw " +
                             std::to_string(rec.count() - before));
  }
  fs::remove_all(dir);
  Result r{name, n, concurrency, seconds};
  std::fprintf(stderr, "%-28s %6d deliveries  concurrency %2d  %8.2f s  %8.1f deliveries/s\n", name.c_str(), n,
               concurrency, seconds, r.rate());
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Args a = ParseArgs(argc, argv);
    char tmpl[] = "/tmp/meter_bench_webhooks_XXXXXX";
    if (mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    const fs::path root = tmpl;
    Receiver rec(a.delay_ms);
    const bool sampled = a.sequential_sample > 0 && a.sequential_sample < a.deliveries;
    const int seq_n = sampled ? a.sequential_sample : a.deliveries;
    Result seq = Measure(a, root, rec, "sequential (slow receiver)", "/slow", seq_n, 1);
    Result par = Measure(a, root, rec, "concurrent (slow receiver)", "/slow", a.deliveries, 16);
    Result raw = Measure(a, root, rec, "raw (instant receiver)", "/fast", a.deliveries, 16);
    fs::remove_all(root);
    const double seq_seconds = a.deliveries / seq.rate();
    const double speedup = seq_seconds / par.seconds;
    std::fprintf(stderr, "sequential time for %d: %.1f s (%s); concurrency 16: %.1f s; speed-up %.1fx (target >= 15x)\n",
                 a.deliveries, seq_seconds, sampled ? "extrapolated from the sample" : "measured", par.seconds, speedup);
    json out = {{"deliveries", a.deliveries},
                {"receiver_delay_ms", a.delay_ms},
                {"sequential_sample", seq_n},
                {"sequential_extrapolated", sampled},
                {"sequential_per_second", seq.rate()},
                {"sequential_seconds", seq_seconds},
                {"concurrent16_seconds", par.seconds},
                {"concurrent16_per_second", par.rate()},
                {"speedup", speedup},
                {"target_met", speedup >= 15},
                {"raw_per_second", raw.rate()}};
    std::printf("%s\n", out.dump().c_str());
    if (!a.json_out.empty() && !(std::ofstream(a.json_out) << out.dump() << "\n"))
      throw std::runtime_error("cannot write " + a.json_out);
    return speedup >= 15 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_webhooks: %s\n", e.what());
    return 2;
  }
}
