// What runs jobs inside a process that hosts V8: the engine, a warm pool and the memory
// watch, with worker-process rules (a run that cannot be contained ends the process after
// its report goes out as last words). serve_jobs puts it behind a socket for a parent; `krepis
// run` with one script uses it directly, being the worker itself.
#pragma once

#include <memory>

#include "core/manifest.h"
#include "core/pool.h"
#include "core/run_output.h"
#include "core/run_report.h"
#include "core/sandbox.h"

namespace krepis {

class JobHost {
 public:
  // `last_words` must end the process (see LastWords); it may be called from any thread.
  // A long-lived host (a worker process) sweeps its idle isolates in the background; a
  // host for one script does not start that thread.
  enum class Lifetime { kOneRun, kLong };
  JobHost(const Manifest& manifest, LastWords last_words, Lifetime lifetime = Lifetime::kLong);
  ~JobHost();
  JobHost(const JobHost&) = delete;
  JobHost& operator=(const JobHost&) = delete;

  // Runs the job on its tenant's warm sandbox; `live`, when given, sees each console entry
  // as it is logged.
  RunReport run(const Job& job, const LiveOutput* live = nullptr);
  PoolFigures figures();

 private:
  struct Parts;
  const Manifest& manifest_;
  std::unique_ptr<Parts> parts_;
};

// Serves jobs from the socket until the parent closes it; returns the process's exit status.
int serve_jobs(int socket, const Manifest& manifest, const LiveOutput* live = nullptr);

}  // namespace krepis
