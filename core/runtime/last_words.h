// What a process that runs tenant code says when it cannot go on.
#pragma once

#include <functional>

#include "core/base/run_report.h"

namespace krepis {

// Called when the process cannot go on: V8 ran out of memory past every guard (a builtin that
// checks no interrupts outgrew the headroom), a run's termination never landed, or the memory
// watch saw the process outgrow the run's cap. It gets the final report of the run in
// progress, must print or send it and end the process: it must not return. Called from the
// run's thread, the watchdog's or the memory watch's. In a worker process the parent then
// reports the run and starts a new worker.
using LastWords = std::function<void(const RunReport&)>;

}  // namespace krepis
