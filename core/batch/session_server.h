// The REPL's worker process: it serves the session's requests (session_worker.h) on the
// process's one Runtime and one Runtime::Session, so that what kills a run's engine (a
// fatal OOM inside a builtin, a condemned run) ends this process, not the REPL. A thread
// reads entry numbers from the control socket and interrupts that entry (the user's Ctrl-C),
// whether it runs already or is still on its way.
#pragma once

#include "core/base/manifest.h"
#include "core/base/run_output.h"
#include "core/runtime/confinement.h"

namespace krepis {

// Serves until the parent closes the socket, confined to `policy`; returns the exit status.
// `live` prints console output as it comes, for the entries that ask for it. Call it before
// the process has a second thread (a forked child has one).
int serve_session(int socket, int control, const Manifest& manifest, ConfinementPolicy policy,
                  const LiveOutput* live);

}  // namespace krepis
