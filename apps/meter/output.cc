#include "output.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <chrono>
#include <cmath>

#include <fmt/format.h>

#include "core/json_util.h"

namespace meter::cli {

Table::Table(std::vector<std::string> cols, std::vector<bool> right_aligned)
    : columns(std::move(cols)), right(std::move(right_aligned)) {
  right.resize(columns.size(), false);
}

namespace {

size_t DisplayWidth(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xc0) != 0x80) ++n;  // count UTF-8 code points, not bytes
  return n;
}

std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\n\r") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

void PrintCsv(const Table& t) {
  auto line = [](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size(); ++i) out += (i ? "," : "") + CsvField(cells[i]);
    fmt::print("{}\r\n", out);
  };
  line(t.columns);
  for (const auto& r : t.rows) line(r);
}

}  // namespace

void PrintTable(const Table& t, std::string_view format) {
  if (format == "csv") return PrintCsv(t);
  std::vector<size_t> w(t.columns.size());
  for (size_t i = 0; i < t.columns.size(); ++i) w[i] = DisplayWidth(t.columns[i]);
  for (const auto& r : t.rows)
    for (size_t i = 0; i < r.size() && i < w.size(); ++i) w[i] = std::max(w[i], DisplayWidth(r[i]));
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t i = 0; i < cells.size() && i < w.size(); ++i) {
      std::string pad(w[i] - DisplayWidth(cells[i]), ' ');
      if (i) out += "  ";
      out += t.right[i] ? pad + cells[i] : (i + 1 == cells.size() ? cells[i] : cells[i] + pad);
    }
    fmt::print("{}\n", out);
  };
  line(t.columns);
  for (const auto& r : t.rows) line(r);
}

void PrintJson(const nlohmann::json& j) { fmt::print("{}\n", DumpJson(j, 2)); }

void PrintJsonList(std::string_view key, size_t n, const std::function<nlohmann::json(size_t)>& item) {
  std::string name = DumpJson(nlohmann::json(std::string(key)));
  if (n == 0) {
    fmt::print("{{\n  {}: []\n}}\n", name);
    return;
  }
  fmt::print("{{\n  {}: [", name);
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    // An item two levels down: DumpJson's text with every line indented by
    // four more spaces (strings hold no raw newline: DumpJson escapes them).
    text = i == 0 ? "\n    " : ",\n    ";
    for (char ch : DumpJson(item(i), 2)) {
      text += ch;
      if (ch == '\n') text += "    ";
    }
    std::fwrite(text.data(), 1, text.size(), stdout);
  }
  fmt::print("\n  ]\n}}\n");
}

std::string UsageBar(const Decimal& used, const Decimal& limit, int width) {
  int filled = width;
  if (limit.IsZero()) {
    filled = used.IsZero() ? 0 : width;
  } else {
    auto cells = used.MulDiv(Decimal::FromInt(width), limit, 0, Rounding::kDown);
    filled = cells.ok() ? static_cast<int>(std::clamp<int64_t>(cells->ToInt64().ok() ? *cells->ToInt64() : width, 0, width)) : width;
  }
  return "[" + std::string(filled, '#') + std::string(width - filled, '-') + "]";
}

std::string Percent(const Decimal& used, const Decimal& limit) {
  if (limit.IsZero()) return used.IsZero() ? "0%" : "inf";
  auto pct = used.MulDiv(Decimal::FromInt(100), limit, 0, Rounding::kDown);
  return pct.ok() ? pct->ToString() + "%" : "-";
}

std::string Colored(const Context& ctx, std::string_view color, const std::string& text) {
  if (!ctx.color()) return text;
  std::string_view code = color == "green" ? "32" : color == "yellow" ? "33" : color == "red" ? "31" : "1";
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

MeterLabel LabelOf(const catalog::Catalog& c, std::string_view key) {
  if (const catalog::Meter* m = c.FindMeter(key)) return {m->name.empty() ? m->key : m->name, m->unit};
  return {std::string(key), ""};
}

std::string WithUnit(const std::string& quantity, const std::string& unit) {
  return unit.empty() ? quantity : quantity + " " + unit;
}

namespace {

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch()).count();
}

constexpr int64_t kFirstDrawMs = 100;  // short phases draw nothing
constexpr int64_t kRedrawMs = 100;
constexpr int kBarCells = 20;

// The divisor and suffix that print `bytes` in B, KB, MB, GB or TB.
std::pair<double, const char*> ByteScale(double bytes) {
  const char* suffix[] = {"B", "KB", "MB", "GB", "TB"};
  double div = 1;
  int i = 0;
  while (bytes / div >= 1000 && i < 4) div *= 1000, ++i;
  return {div, suffix[i]};
}

// "12.3 MB" for bytes, "1,234 events" for anything else.
std::string Amount(double v, std::string_view unit) {
  if (unit != "bytes") return fmt::format("{} {}", Thousands(static_cast<int64_t>(std::llround(v))), unit);
  auto [div, suffix] = ByteScale(v);
  return fmt::format("{:.1f} {}", v / div, suffix);
}

// "1.9/4.6 MB", "1,234/2,740 tenants".
std::string Count(uint64_t done, uint64_t total, std::string_view unit) {
  if (unit != "bytes")
    return fmt::format("{}/{} {}", Thousands(static_cast<int64_t>(done)), Thousands(static_cast<int64_t>(total)), unit);
  auto [div, suffix] = ByteScale(static_cast<double>(total));
  return fmt::format("{:.1f}/{:.1f} {}", static_cast<double>(done) / div, static_cast<double>(total) / div, suffix);
}

// "0:07", "1:02:03".
std::string Duration(double seconds) {
  auto s = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

}  // namespace

TerminalProgress::TerminalProgress(const Context& ctx) : enabled_(ctx.stderr_is_tty() && !ctx.quiet()) {}

TerminalProgress::~TerminalProgress() { End(); }

void TerminalProgress::Begin(std::string_view label, uint64_t total, std::string_view unit) {
  End();
  label_ = label;
  unit_ = unit;
  total_ = total;
  done_ = 0;
  started_ms_ = SteadyMillis();
}

void TerminalProgress::Update(uint64_t done) {
  if (!enabled_) return;
  done_ = std::max(done_, total_ ? std::min(done, total_) : done);
  int64_t now = SteadyMillis();
  if (now - started_ms_ < kFirstDrawMs || (drawn_ && now - last_draw_ms_ < kRedrawMs)) return;
  Draw(now);
}

// "ingest [########------------]  41%  1.9/4.6 MB  9.6 MB/s  ETA 0:01"
void TerminalProgress::Draw(int64_t now_ms) {
  last_draw_ms_ = now_ms;
  drawn_ = true;
  double seconds = static_cast<double>(now_ms - started_ms_) / 1000.0;
  double rate = seconds > 0 ? static_cast<double>(done_) / seconds : 0;
  std::string line;
  if (total_ > 0) {
    int pct = static_cast<int>(done_ * 100 / total_);
    int cells = static_cast<int>(done_ * kBarCells / total_);
    std::string eta = rate > 0 ? Duration(static_cast<double>(total_ - done_) / rate) : "-:--";
    line = fmt::format("{} [{}{}] {:3}%  {}  {}/s  ETA {}", label_, std::string(cells, '#'),
                       std::string(kBarCells - cells, '-'), pct, Count(done_, total_, unit_), Amount(rate, unit_), eta);
  } else {
    line = fmt::format("{}  {}  {}/s  {}", label_, Amount(static_cast<double>(done_), unit_), Amount(rate, unit_),
                       Duration(seconds));
  }
  fmt::print(stderr, "\r{}\x1b[K", line);
  std::fflush(stderr);
}

void TerminalProgress::End() {
  if (enabled_ && drawn_) {
    fmt::print(stderr, "\r\x1b[K");
    std::fflush(stderr);
  }
  drawn_ = false;
}

Status WriteTextFile(const std::string& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (f) f << content;
  if (!f) return Status::IOError(fmt::format("cannot write '{}': {}", path, std::strerror(errno)));
  return Status::OK();
}

int PrintOrWrite(const Context& ctx, const std::string& text, const std::string& out) {
  if (out.empty()) {
    fmt::print("{}", text);
    return kExitOk;
  }
  if (Status st = WriteTextFile(out, text); !st.ok()) return ctx.Fail(st);
  ctx.Info(fmt::format("wrote {}", out));
  return kExitOk;
}

}  // namespace meter::cli
