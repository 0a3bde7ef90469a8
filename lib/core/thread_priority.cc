#include "core/thread_priority.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace meter {

void LowerThreadPriority(int steps) {
  // On Linux, PRIO_PROCESS with a thread id addresses that thread alone.
  auto self = static_cast<id_t>(gettid());
  errno = 0;
  int own = getpriority(PRIO_PROCESS, self);
  if (errno == 0) setpriority(PRIO_PROCESS, self, std::min(own + steps, 19));
}

}  // namespace meter
