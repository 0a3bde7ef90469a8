// Output helpers shared by the commands: aligned tables, CSV, JSON (through
// DumpJson, exact numbers), usage bars and a TTY-only progress line. Numbers
// for people come from core/format.h.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "catalog/catalog.h"
#include "context.h"
#include "core/decimal.h"
#include "core/format.h"  // Thousands, MoneyText: numbers for people
#include "core/progress.h"

namespace meter::cli {

struct Table {
  std::vector<std::string> columns;
  // Right-aligned columns (numbers, money).
  std::vector<bool> right;
  std::vector<std::vector<std::string>> rows;

  Table(std::vector<std::string> cols, std::vector<bool> right_aligned = {});
  void Add(std::vector<std::string> row) { rows.push_back(std::move(row)); }
};

// Prints `t` as aligned text (format "text" or "") or RFC 4180 CSV ("csv").
void PrintTable(const Table& t, std::string_view format = "text");

// Writes `content` to the file `path` (created or truncated); IOError naming
// the path and the reason otherwise.
Status WriteTextFile(const std::string& path, const std::string& content);

// A rendered document: printed on stdout, or written to `out` when given
// ("wrote F" on stderr). Returns the exit code.
int PrintOrWrite(const Context& ctx, const std::string& text, const std::string& out);

// Prints one JSON document on stdout, followed by a newline.
void PrintJson(const nlohmann::json& j);

// Prints {"<key>": [item(0), ..., item(n - 1)]} exactly as PrintJson prints
// that document, rendering and printing one item at a time: a list of 100 K
// invoices is never held as one document.
void PrintJsonList(std::string_view key, size_t n, const std::function<nlohmann::json(size_t)>& item);

// A bar of `width` cells filled in proportion to used/limit (capped at full),
// e.g. "[#######---]".
std::string UsageBar(const Decimal& used, const Decimal& limit, int width = 20);

// used / limit as a whole-number percentage text ("95%"); "-" when unlimited.
std::string Percent(const Decimal& used, const Decimal& limit);

// Wraps `text` in an ANSI colour when ctx.color() (green, yellow, red, bold).
std::string Colored(const Context& ctx, std::string_view color, const std::string& text);

// What a person reads for the meter `key`: the catalog's name and unit (the
// key itself and no unit when the catalog has no such meter). JSON and CSV
// keep the key.
struct MeterLabel {
  std::string name;
  std::string unit;
};
MeterLabel LabelOf(const catalog::Catalog& c, std::string_view key);

// "1,500 tokens", or "1,500" for a meter without a unit.
std::string WithUnit(const std::string& quantity, const std::string& unit);

// The progress bar of long jobs: a line on stderr redrawn in place with the
// share done, the count, the rate and the time left, shown only when stderr is
// a TTY and not --quiet (cron and pipes get nothing but the summary line).
// Nothing is drawn in a phase's first 100 ms, so short runs never flicker.
class TerminalProgress final : public ProgressSink {
 public:
  explicit TerminalProgress(const Context& ctx);
  ~TerminalProgress() override;
  void Begin(std::string_view label, uint64_t total, std::string_view unit) override;
  void Update(uint64_t done) override;
  void End() override;

 private:
  void Draw(int64_t now_ms);

  bool enabled_;
  std::string label_, unit_;
  uint64_t total_ = 0, done_ = 0;
  int64_t started_ms_ = 0, last_draw_ms_ = 0;
  bool drawn_ = false;
};

}  // namespace meter::cli
