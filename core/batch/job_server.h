// A worker process's side of the socket: it serves the jobs its parent sends, on the
// process's one Runtime, and answers each with its report and the pool's figures. A run that
// cannot be contained ends the process after its report goes out as last words.
#pragma once

#include "core/base/manifest.h"
#include "core/base/run_output.h"
#include "core/runtime/confinement.h"

namespace krepis {

// Serves jobs from the socket until the parent closes it, confined to `policy`
// (worker_lock.h); returns the process's exit status. A job whose frame asks for a wake-up
// call gets one on `wake` (a byte) once its reply is out (ProcessWorker). Call it before the
// process has a second thread (a forked child has one).
int serve_jobs(int socket, int wake, const Manifest& manifest, ConfinementPolicy policy,
               const LiveOutput* live = nullptr);

}  // namespace krepis
