// StringHash: a transparent hash for std::string keys, so that unordered
// maps and sets keyed by std::string are probed with a std::string_view
// without building a string.
#pragma once

#include <cstddef>
#include <functional>
#include <string_view>

namespace meter::ingest {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace meter::ingest
