#include "webhooks/http_client.h"

#include "webhooks/curl_api.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <climits>
#include <ctime>

namespace meter::webhooks {
namespace {

using Clock = std::chrono::steady_clock;

// The only schemes a transfer (or a redirect, were one followed) may use.
constexpr char kAllowedProtocols[] = "http,https";

// The loaded libcurl. Only valid once LoadCurl() succeeded, which every
// public entry point (Create, ValidateWebhookUrl) checks first.
const CurlApi& Api() { return **LoadCurl(); }

int64_t MillisSince(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

std::string_view Trim(std::string_view s) {
  const char* kSpace = " \t\r\n";
  size_t begin = s.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  size_t end = s.find_last_not_of(kSpace);
  return s.substr(begin, end - begin + 1);
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(s[i])) != prefix[i]) return false;
  }
  return true;
}

bool HasLineBreakOrNul(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

struct UrlFree {
  void operator()(CURLU* h) const { Api().url_cleanup(h); }
};

// Asks libcurl whether the URL has a host: its parser is the one that will
// be used to connect, so agreeing with it avoids a second opinion.
Status CheckHost(const std::string& url) {
  std::unique_ptr<CURLU, UrlFree> handle(Api().url());
  if (!handle) return Status::Internal("out of memory parsing a URL");
  CURLUcode rc = Api().url_set(handle.get(), CURLUPART_URL, url.c_str(), 0);
  if (rc != CURLUE_OK) {
    return Status::InvalidArgument(std::string("malformed webhook URL: ") + Api().url_strerror(rc));
  }
  char* host = nullptr;
  rc = Api().url_get(handle.get(), CURLUPART_HOST, &host, 0);
  bool has_host = rc == CURLUE_OK && host != nullptr && host[0] != '\0';
  Api().free(host);
  if (!has_host) return Status::InvalidArgument("webhook URL has no host");
  return Status::OK();
}

// A short, stable name for why no (complete) answer came, for attempt logs.
std::string FailureKind(CURLcode code, CURL* easy) {
  long os_errno = 0;
  Api().easy_getinfo(easy, CURLINFO_OS_ERRNO, &os_errno);
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT: return "timeout";
    case CURLE_COULDNT_CONNECT:
      return os_errno == ECONNREFUSED ? "connection refused" : "connection failed";
    case CURLE_COULDNT_RESOLVE_HOST: return "could not resolve host";
    case CURLE_GOT_NOTHING: return "connection closed without a response";
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
      return os_errno == ECONNRESET ? "connection reset" : "network error";
    case CURLE_PARTIAL_FILE: return "response cut short";
    default: return Api().easy_strerror(code);
  }
}

}  // namespace

// One POST in flight. Owns everything libcurl points into (URL, body,
// header list, error buffer) so those stay valid until the transfer ends.
struct HttpClient::Transfer {
  uint64_t tag = 0;
  HttpRequest request;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  std::string body;
  bool truncated = false;
  std::optional<int64_t> retry_after;
  char errbuf[CURL_ERROR_SIZE] = {};
  Clock::time_point start;

  Transfer() = default;
  Transfer(const Transfer&) = delete;
  Transfer& operator=(const Transfer&) = delete;
  ~Transfer() {
    Api().slist_free_all(headers);
    if (easy != nullptr) Api().easy_cleanup(easy);
  }

  Status Configure();
  Status BuildHeaderList();
  HttpResponse Finish(CURLcode result);

  // libcurl callbacks are C: nothing may be thrown through them.
  static size_t OnBody(char* data, size_t size, size_t count, void* self) noexcept;
  static size_t OnHeader(char* data, size_t size, size_t count, void* self) noexcept;
};

size_t HttpClient::Transfer::OnBody(char* data, size_t size, size_t count, void* self) noexcept {
  auto* t = static_cast<Transfer*>(self);
  const size_t len = size * count;
  const size_t take = std::min(len, kMaxResponseBody - t->body.size());
  try {
    t->body.append(data, take);
  } catch (...) {
    return 0;  // out of memory: abort this transfer, which reports a write error
  }
  if (take == len) return len;
  // We hold all we keep. Returning short makes libcurl stop reading and close
  // the connection, so an endless body cannot hold a slot until the timeout;
  // Finish() does not count this abort as a failure.
  t->truncated = true;
  return 0;
}

size_t HttpClient::Transfer::OnHeader(char* data, size_t size, size_t count, void* self) noexcept {
  auto* t = static_cast<Transfer*>(self);
  std::string_view line(data, size * count);
  constexpr std::string_view kRetryAfter = "retry-after:";
  if (StartsWithNoCase(line, "http/")) {
    t->retry_after.reset();  // a new response (after a 1xx): forget the last one's headers
  } else if (StartsWithNoCase(line, kRetryAfter)) {
    t->retry_after = ParseRetryAfter(line.substr(kRetryAfter.size()), std::time(nullptr));
  }
  return size * count;
}

Status HttpClient::Transfer::BuildHeaderList() {
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || name.find(':') != std::string::npos || HasLineBreakOrNul(name) ||
        HasLineBreakOrNul(value)) {
      return Status::InvalidArgument("invalid HTTP header name or value for '" + name + "'");
    }
    headers = Api().slist_append(headers, (name + ": " + value).c_str());
    if (headers == nullptr) return Status::Internal("out of memory building HTTP headers");
  }
  // Without this libcurl may send "Expect: 100-continue" for larger bodies
  // and wait up to a second for a go-ahead many receivers never send.
  headers = Api().slist_append(headers, "Expect:");
  if (headers == nullptr) return Status::Internal("out of memory building HTTP headers");
  return Status::OK();
}

Status HttpClient::Transfer::Configure() {
  METER_RETURN_IF_ERROR(BuildHeaderList());
  easy = Api().easy_init();
  if (easy == nullptr) return Status::Internal("curl_easy_init failed");
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = Api().easy_setopt(easy, option, value);
  };
  set(CURLOPT_URL, request.url.c_str());
  set(CURLOPT_POST, 1L);
  set(CURLOPT_POSTFIELDS, request.body.data());
  set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  set(CURLOPT_HTTPHEADER, headers);
  set(CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout_ms));
  set(CURLOPT_NOSIGNAL, 1L);       // timeouts must not raise SIGALRM in our process
  set(CURLOPT_FOLLOWLOCATION, 0L);  // a 3xx is the answer, never a new target
  set(CURLOPT_PROTOCOLS_STR, kAllowedProtocols);
  set(CURLOPT_REDIR_PROTOCOLS_STR, kAllowedProtocols);
  set(CURLOPT_PROXY, "");  // ignore http_proxy & co. from the environment
  set(CURLOPT_USERAGENT, "meter-webhooks/1");
  set(CURLOPT_WRITEFUNCTION, &Transfer::OnBody);
  set(CURLOPT_WRITEDATA, static_cast<void*>(this));
  set(CURLOPT_HEADERFUNCTION, &Transfer::OnHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(this));
  set(CURLOPT_ERRORBUFFER, errbuf);
  if (rc != CURLE_OK) {
    return Status::Internal(std::string("configuring HTTP request: ") + Api().easy_strerror(rc));
  }
  return Status::OK();
}

HttpResponse HttpClient::Transfer::Finish(CURLcode result) {
  HttpResponse r;
  r.duration_ms = MillisSince(start);
  long code = 0;
  Api().easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
  r.status = static_cast<int>(code);
  r.body = std::move(body);
  r.body_truncated = truncated;
  r.retry_after_seconds = retry_after;
  const bool cut_by_us = result == CURLE_WRITE_ERROR && truncated;
  if (result != CURLE_OK && !cut_by_us) {
    r.error = FailureKind(result, easy);
    if (errbuf[0] != '\0') r.error += std::string(": ") + errbuf;
  }
  return r;
}

Status ValidateWebhookUrl(std::string_view url) {
  if (url.empty()) return Status::InvalidArgument("webhook URL is empty");
  for (char c : url) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return Status::InvalidArgument("webhook URL contains whitespace or control characters");
    }
  }
  const size_t sep = url.find("://");
  if (sep == std::string_view::npos || sep == 0) {
    return Status::InvalidArgument("webhook URL must be absolute and start with http:// or https://");
  }
  std::string scheme(url.substr(0, sep));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "http" && scheme != "https") {
    return Status::InvalidArgument("webhook URL scheme '" + scheme +
                                   "' is not allowed; only http and https are");
  }
  // libcurl reads "https:///x" as host "x"; an empty authority is no host to us.
  const std::string_view rest = url.substr(sep + 3);
  if (rest.empty() || rest[0] == '/' || rest[0] == '?' || rest[0] == '#') {
    return Status::InvalidArgument("webhook URL has no host");
  }
  METER_RETURN_IF_ERROR(LoadCurl().status());
  return CheckHost(std::string(url));
}

std::optional<int64_t> ParseRetryAfter(std::string_view value, int64_t now_unix) {
  value = Trim(value);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value[0]))) {
    int64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    return seconds;
  }
  // Every HTTP-date form starts with a day name; curl_getdate reads them all.
  if (!LoadCurl().ok()) return std::nullopt;
  const std::string text(value);
  const time_t when = Api().getdate(text.c_str(), nullptr);
  if (when == static_cast<time_t>(-1)) return std::nullopt;
  return std::max<int64_t>(0, static_cast<int64_t>(when) - now_unix);
}

Result<std::unique_ptr<HttpClient>> HttpClient::Create() {
  METER_RETURN_IF_ERROR(LoadCurl().status());
  CURLM* multi = Api().multi_init();
  if (multi == nullptr) return Status::Internal("curl_multi_init failed");
  return std::unique_ptr<HttpClient>(new HttpClient(multi));
}

HttpClient::HttpClient(void* multi) : multi_(multi) {}

HttpClient::~HttpClient() {
  auto* multi = static_cast<CURLM*>(multi_);
  for (auto& [easy, transfer] : transfers_) Api().multi_remove_handle(multi, easy);
  transfers_.clear();  // easy handles go before the multi handle they belonged to
  Api().multi_cleanup(multi);
}

Status HttpClient::Add(uint64_t tag, HttpRequest request) {
  METER_RETURN_IF_ERROR(ValidateWebhookUrl(request.url));
  if (request.timeout_ms <= 0) return Status::InvalidArgument("HTTP timeout must be positive");
  auto transfer = std::make_unique<Transfer>();
  transfer->tag = tag;
  transfer->request = std::move(request);
  METER_RETURN_IF_ERROR(transfer->Configure());
  transfer->start = Clock::now();
  if (Api().multi_add_handle(static_cast<CURLM*>(multi_), transfer->easy) != CURLM_OK) {
    return Status::Internal("curl_multi_add_handle failed");
  }
  void* key = transfer->easy;
  transfers_.emplace(key, std::move(transfer));
  return Status::OK();
}

void HttpClient::CollectFinished(std::vector<HttpCompletion>* out) {
  auto* multi = static_cast<CURLM*>(multi_);
  int queued = 0;
  while (CURLMsg* msg = Api().multi_info_read(multi, &queued)) {
    if (msg->msg != CURLMSG_DONE) continue;
    // Copy out first: removing the handle invalidates `msg`.
    CURL* easy = msg->easy_handle;
    const CURLcode result = msg->data.result;
    Api().multi_remove_handle(multi, easy);
    auto it = transfers_.find(easy);
    if (it == transfers_.end()) continue;  // not ours; cannot happen
    std::unique_ptr<Transfer> transfer = std::move(it->second);
    transfers_.erase(it);
    out->push_back({transfer->tag, transfer->Finish(result)});
  }
}

std::vector<HttpCompletion> HttpClient::Poll(int64_t max_wait_ms) {
  auto* multi = static_cast<CURLM*>(multi_);
  std::vector<HttpCompletion> done;
  const Clock::time_point start = Clock::now();
  while (true) {
    int running = 0;
    Api().multi_perform(multi, &running);
    CollectFinished(&done);
    if (!done.empty() || transfers_.empty()) return done;
    const int64_t left = max_wait_ms - MillisSince(start);
    if (left <= 0) return done;
    Api().multi_poll(multi, nullptr, 0, static_cast<int>(std::min<int64_t>(left, INT_MAX)), nullptr);
  }
}

Status HttpClient::PerformAll(const std::vector<HttpRequest>& requests, size_t concurrency,
                              const Callback& on_done) {
  if (!transfers_.empty()) {
    return Status::Denied("PerformAll needs an idle client; transfers are in flight");
  }
  concurrency = std::max<size_t>(concurrency, 1);
  size_t next = 0;
  while (next < requests.size() || !transfers_.empty()) {
    for (; next < requests.size() && transfers_.size() < concurrency; ++next) {
      Status added = Add(next, requests[next]);
      if (added.ok()) continue;
      HttpResponse refused;
      refused.error = added.message();
      on_done(next, std::move(refused));
    }
    for (HttpCompletion& c : Poll(1000)) on_done(c.tag, std::move(c.response));
  }
  return Status::OK();
}

}  // namespace meter::webhooks
