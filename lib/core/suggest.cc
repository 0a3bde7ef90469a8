#include "core/suggest.h"

#include <algorithm>
#include <cctype>

namespace meter {
namespace {

char Lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool StartsWithIgnoringCase(std::string_view word, std::string_view prefix) {
  if (prefix.size() > word.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (Lower(word[i]) != Lower(prefix[i])) return false;
  return true;
}

// The largest distance still worth suggesting for a typed word of `n` characters.
size_t MaxDistance(size_t n) { return n <= 3 ? 1 : n <= 6 ? 2 : 3; }

constexpr size_t kMaxSuggestions = 3;

}  // namespace

size_t EditDistance(std::string_view a, std::string_view b) {
  // Three rows of the dynamic-programming table: two back for the swap.
  std::vector<size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t cost = Lower(a[i - 1]) == Lower(b[j - 1]) ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && Lower(a[i - 1]) == Lower(b[j - 2]) && Lower(a[i - 2]) == Lower(b[j - 1]))
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::vector<std::string> ClosestWords(std::string_view typed, const std::vector<std::string>& known) {
  std::vector<std::string> out;
  if (typed.empty()) return out;
  if (typed.size() >= 2) {
    for (const auto& w : known)
      if (w.size() > typed.size() && StartsWithIgnoringCase(w, typed)) out.push_back(w);
    if (!out.empty() && out.size() <= kMaxSuggestions) return out;
    out.clear();
  }
  size_t limit = MaxDistance(typed.size()), best = limit;
  for (const auto& w : known) {
    size_t d = EditDistance(typed, w);
    if (d > limit) continue;
    if (d < best) {
      best = d;
      out.clear();
    }
    if (d == best) out.push_back(w);
  }
  if (out.size() > kMaxSuggestions) out.resize(kMaxSuggestions);
  return out;
}

std::string QuotedAlternatives(const std::vector<std::string>& words) {
  std::string out;
  for (size_t i = 0; i < words.size(); ++i) {
    if (i) out += i + 1 == words.size() ? " or " : ", ";
    out += "'" + words[i] + "'";
  }
  return out;
}

}  // namespace meter
