#include "output.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

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

void PrintJson(const nlohmann::json& j) { fmt::print("{}\n", j.dump(2)); }

std::string Thousands(const Decimal& d) {
  std::string s = d.ToString();
  bool neg = !s.empty() && s[0] == '-';
  if (neg) s.erase(0, 1);
  size_t dot = s.find('.');
  std::string whole = s.substr(0, dot), frac = dot == std::string::npos ? "" : s.substr(dot);
  std::string out;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i && (whole.size() - i) % 3 == 0) out += ',';
    out += whole[i];
  }
  return (neg ? "-" : "") + out + frac;
}

std::string Thousands(int64_t n) { return Thousands(Decimal::FromInt(n)); }

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
}  // namespace

Progress::Progress(const Context& ctx, std::string label, uint64_t total)
    : enabled_(ctx.stderr_is_tty() && !ctx.quiet()), label_(std::move(label)), total_(total) {}

Progress::~Progress() { Finish(); }

void Progress::Update(uint64_t done) {
  if (!enabled_) return;
  int64_t now = SteadyMillis();
  if (drawn_ && now - last_draw_ms_ < 100) return;
  last_draw_ms_ = now;
  drawn_ = true;
  if (total_ > 0) {
    int pct = static_cast<int>(std::min<uint64_t>(100, done * 100 / total_));
    int cells = pct * 30 / 100;
    fmt::print(stderr, "\r{} [{}{}] {:3}%", label_, std::string(cells, '#'), std::string(30 - cells, '-'), pct);
  } else {
    fmt::print(stderr, "\r{} {}", label_, done);
  }
  std::fflush(stderr);
}

void Progress::Finish() {
  if (enabled_ && drawn_) {
    fmt::print(stderr, "\r\x1b[K");
    std::fflush(stderr);
  }
  drawn_ = false;
  enabled_ = false;
}

}  // namespace meter::cli
