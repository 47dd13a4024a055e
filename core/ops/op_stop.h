// Ops and the deadline. V8 checks for a requested termination only where JavaScript runs
// (function entries, loop back-edges), and optimized code drops a loop's own check when the
// loop calls a function: an op is C++, and checks nothing. A loop of op calls went on for
// 60-680 ms past a 50 ms deadline that way. So once its run is stopped, an op does not return
// to the script as usual: it makes the termination land before it returns.
#pragma once

#include <v8-isolate.h>

#include "core/ops/op_host.h"

namespace krepis {

// True once the run is past its deadline or stopped by a guard (or terminating).
bool run_is_due(v8::Isolate* isolate, const OpRun& run);

// When the run is due: trips the deadline (unless a guard stopped it first), requests
// termination, and makes it land now, so that it unwinds through the op when the op
// returns. Call on the isolate's thread, inside an op callback; true when it did so.
bool stop_if_due(v8::Isolate* isolate, OpRun& run);

}  // namespace krepis
