// How host operations reach the run in progress. Op callbacks are built once per isolate
// (cached templates), so they cannot hold a pointer to one run; they hold the sandbox's slot,
// which points at the current run's state while a run is in progress and at nothing between
// runs, so a stale callback can never write into a run that is not its own.
#pragma once

#include "core/run_output.h"

namespace krepis {

class UnhandledRejections;

struct OpSlot {
  RunOutput* output = nullptr;
  UnhandledRejections* rejections = nullptr;
};

}  // namespace krepis
