// What runs a batch's jobs. A thread worker runs them in this process on the warm pool; a
// child-process worker (crash containment, seccomp and Landlock) can implement the same
// interface later without the batch runner changing.
#pragma once

#include <memory>

#include "core/job.h"
#include "core/manifest.h"
#include "core/run_report.h"
#include "core/sandbox_pool.h"

namespace krepis {

class Worker {
 public:
  virtual ~Worker() = default;
  // Runs one job of the tenant; each worker is used by one thread at a time.
  virtual RunReport run(const Job& job, const TenantSpec& tenant) = 0;
};

// Runs jobs on this thread, on an isolate leased from the shared pool.
class ThreadWorker final : public Worker {
 public:
  explicit ThreadWorker(SandboxPool& pool) : pool_(pool) {}
  RunReport run(const Job& job, const TenantSpec& tenant) override {
    SandboxPool::Lease sandbox = pool_.acquire(tenant);
    return sandbox->run(job);
  }

 private:
  SandboxPool& pool_;
};

}  // namespace krepis
