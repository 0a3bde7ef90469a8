#include "core/progress.h"

namespace meter {
namespace {

class Silent final : public ProgressSink {
 public:
  void Begin(std::string_view, uint64_t, std::string_view) override {}
  void Update(uint64_t) override {}
  void End() override {}
};

}  // namespace

ProgressSink& NoProgress() {
  static Silent silent;
  return silent;
}

}  // namespace meter
