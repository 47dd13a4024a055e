// What runs a batch's jobs. A ProcessWorker (process_worker.h) runs them in a child process
// with its own warm pool, so a run that kills its engine kills only that child; tests may
// run jobs through any other implementation.
#pragma once

#include "core/job.h"
#include "core/manifest.h"
#include "core/pool.h"
#include "core/run_report.h"

namespace krepis {

class Worker {
 public:
  virtual ~Worker() = default;
  // Runs one job of the tenant; each worker is used by one thread at a time.
  virtual RunReport run(const Job& job, const TenantSpec& tenant) = 0;
  // The figures of the pool (or pools) this worker ran its jobs on.
  virtual PoolFigures figures() const = 0;
};

}  // namespace krepis
