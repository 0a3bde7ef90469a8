// Thread priority: lets a helper thread give way to the threads whose work
// sets a run's pace (ingest's reader and writer) on machines with few cores.
#pragma once

namespace meter {

// Lowers the calling thread's priority to `steps` nice levels below the
// process's own, at most 19 (Linux's lowest). Relative, so that `nice -n 19
// meter ingest` does not leave the helper above the other threads. Does
// nothing where the priority cannot be read or set.
void LowerThreadPriority(int steps);

}  // namespace meter
