// Runs a planned batch on N workers, each driven by its own thread, in the scheduler's order, and
// hands every report to the caller as it comes. Job files are read here, just before their
// job runs: an unreadable or non-UTF-8 script, an input that is not JSON, or a tenant the
// manifest does not define is reported `denied`, and the batch goes on.
#pragma once

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <variant>

#include "core/base/manifest.h"
#include "core/batch/batch_plan.h"
#include "core/batch/scheduler.h"
#include "core/batch/worker.h"

namespace krepis {

class BatchRunner {
 public:
  using WorkerFactory = std::function<std::unique_ptr<Worker>()>;
  // Called once per job, from worker threads, one call at a time.
  using OnReport = std::function<void(const RunReport&)>;

  // Jobs a worker holds at once, at most. Two while its last job took kQuickJobMs or more:
  // one to run and one waiting, so that it never waits for this process between jobs. Four
  // while its jobs are quicker: it still has one to run when this process wakes for its
  // replies, which it then does about every third (ProcessWorker's wake-up calls). Few,
  // because a job handed waits for its worker even when another comes free.
  static constexpr std::size_t kHandedQuick = 4;
  static constexpr std::size_t kHandedSlow = 2;
  static constexpr double kQuickJobMs = 5;

  // `js_as_modules`: every .js job is an ES module (batch --module).
  BatchRunner(const Manifest& manifest, const BatchPlan& plan, WorkerFactory make_worker,
              OnReport on_report, bool js_as_modules = false);

  // Runs until every job has been reported, or stop() was called and the runs in flight
  // have finished. `workers` threads (at least one).
  void run(std::size_t workers);
  // From any thread (a signal watcher): no new job starts.
  void stop() { scheduler_.stop(); }
  std::size_t not_started() const { return scheduler_.not_started(); }
  // The workers' pool figures, summed, once run() has returned.
  const PoolFigures& pool_figures() const { return pool_figures_; }

  // The job as its worker runs it: the tenant's deadline, and the paths of its files (the
  // worker reads them); a module (a .mjs job, or a .js one when `js_as_modules` or the
  // tenant's script_type says so) imports from DIR/<tenant> (`tenant_folder`, as
  // module_root_path gives it), named <tenant>.
  static Job job_for(const BatchJob& job, const TenantSpec& tenant, bool js_as_modules,
                     const std::string& tenant_folder);

 private:
  void work(Worker& worker);
  struct Ready {
    Job job;
    const TenantSpec* tenant;
  };
  // The job ready to run with its tenant, or its denial (an unknown tenant, bad files).
  std::variant<Ready, RunReport> prepare(const BatchJob& job) const;
  void report(const RunReport& report);

  const Manifest& manifest_;
  const BatchPlan& plan_;
  WorkerFactory make_worker_;
  OnReport on_report_;
  bool js_as_modules_;
  // Each tenant's DIR/<tenant> as module_root_path gives it, made once: per job it cost a
  // getcwd and a path's parsing, ~5 µs of the parent's time.
  std::unordered_map<std::string, std::string> tenant_folders_;
  std::mutex report_mutex_;
  Scheduler scheduler_;
  PoolFigures pool_figures_;
};

}  // namespace krepis
