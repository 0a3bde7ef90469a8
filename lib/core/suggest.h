// Suggestions for a mistyped word ("did you mean 'quota'?"): the known words
// closest to what was typed, or none when nothing is close enough to help.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace meter {

// The optimal string alignment distance between `a` and `b` (insertions,
// deletions, substitutions and swaps of two neighbouring characters, each
// costing 1), compared without regard to ASCII case.
size_t EditDistance(std::string_view a, std::string_view b);

// The words of `known` closest to `typed`, in `known`'s order, at most three:
// a word `typed` is a prefix of (two characters or more) is closest; else
// those at the least edit distance, when that distance is small for the length
// of `typed` (1 up to 3 characters, 2 up to 6, else 3). Empty when none is
// close: a suggestion far from the typed word misleads more than it helps.
std::vector<std::string> ClosestWords(std::string_view typed, const std::vector<std::string>& known);

// "'quota'", "'quota' or 'limit'", "'a', 'b' or 'c'": the words quoted for a
// message.
std::string QuotedAlternatives(const std::vector<std::string>& words);

}  // namespace meter
