// What runs a batch's jobs. A ProcessWorker (process_worker.h) runs them in a child process
// with its own warm pool, so a run that kills its engine kills only that child; tests may
// run jobs through any other implementation.
#pragma once

#include "core/base/job.h"
#include "core/base/manifest.h"
#include "core/base/pool_figures.h"
#include "core/base/run_report.h"

namespace krepis {

class Worker {
 public:
  virtual ~Worker() = default;
  // Hands the worker a job of the tenant; it runs the jobs handed in that order, one at a
  // time. Each worker is used by one thread at a time; `tenant` must outlive the job.
  virtual void submit(const Job& job, const TenantSpec& tenant) = 0;
  // The report of the oldest job handed and not yet collected, once it is done.
  virtual RunReport collect() = 0;
  // Whether the worker can take this job of the tenant while it still has others to run.
  virtual bool can_queue(const Job& job, const TenantSpec& tenant) const = 0;
  // One job, start to finish.
  RunReport run(const Job& job, const TenantSpec& tenant) {
    submit(job, tenant);
    return collect();
  }
  // The figures of the pool (or pools) this worker ran its jobs on.
  virtual PoolFigures figures() const = 0;
};

}  // namespace krepis
