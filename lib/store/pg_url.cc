#include "store/pg_url.h"

#include <cctype>
#include <vector>

namespace meter::store {
namespace {

std::string PercentDecode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// Splits "a=1&b=2" into its parameters.
std::vector<std::string> Params(std::string_view query) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= query.size()) {
    size_t amp = query.find('&', start);
    if (amp == std::string_view::npos) amp = query.size();
    if (amp > start) out.emplace_back(query.substr(start, amp - start));
    start = amp + 1;
  }
  return out;
}

std::string_view Key(std::string_view param) { return param.substr(0, param.find('=')); }

}  // namespace

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

std::string MaskedUrl(std::string_view url) {
  std::string out(url);
  size_t scheme = out.find("://");
  if (scheme != std::string::npos) {
    size_t authority = scheme + 3;
    size_t end = out.find_first_of("/?", authority);
    if (end == std::string::npos) end = out.size();
    size_t at = out.rfind('@', end);
    if (at != std::string::npos && at >= authority) {
      size_t colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.replace(colon + 1, at - colon - 1, "***");
    }
  }
  size_t q = out.find('?');
  if (q == std::string::npos) return out;
  std::string query = out.substr(q + 1);
  out.resize(q + 1);
  bool first = true;
  for (const std::string& p : Params(query)) {
    if (!first) out += '&';
    first = false;
    out += Key(p) == "password" ? "password=***" : p;
  }
  return out;
}

PgTarget ParsePgUrl(std::string_view url) {
  PgTarget t;
  size_t q = url.find('?');
  std::string base(url.substr(0, q));
  std::vector<std::string> kept;
  bool has_timeout = false;
  if (q != std::string_view::npos) {
    for (const std::string& p : Params(url.substr(q + 1))) {
      std::string_view key = Key(p);
      if (key == "schema") {
        size_t eq = p.find('=');
        t.schema = eq == std::string::npos ? "" : PercentDecode(std::string_view(p).substr(eq + 1));
        continue;
      }
      if (key == "connect_timeout") has_timeout = true;
      kept.push_back(p);
    }
  }
  if (!has_timeout) kept.push_back("connect_timeout=10");
  kept.push_back("fallback_application_name=meter");
  t.conninfo = base;
  for (size_t i = 0; i < kept.size(); ++i) t.conninfo += (i == 0 ? "?" : "&") + kept[i];
  return t;
}

}  // namespace meter::store
