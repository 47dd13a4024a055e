#include "core/batch/batch_runner.h"

#include <deque>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "core/base/module_root.h"
#include "core/batch/worker_lock.h"

namespace krepis {
namespace {

std::vector<std::string> tenants_of(const BatchPlan& plan) {
  std::vector<std::string> tenants;
  for (const BatchJob& job : plan.jobs) tenants.push_back(job.tenant);
  return tenants;
}

// Jobs are DIR/<tenant>/<job>.js: a tenant's first job gives its folder.
std::unordered_map<std::string, std::string> tenant_folders_of(const BatchPlan& plan) {
  std::unordered_map<std::string, std::string> folders;
  for (const BatchJob& job : plan.jobs) {
    if (!folders.contains(job.tenant)) {
      folders.emplace(job.tenant, module_root_path(job.script.parent_path()));
    }
  }
  return folders;
}

}  // namespace

BatchRunner::BatchRunner(const Manifest& manifest, const BatchPlan& plan, WorkerFactory make_worker,
                         OnReport on_report, bool js_as_modules)
    : manifest_(manifest),
      plan_(plan),
      make_worker_(std::move(make_worker)),
      on_report_(std::move(on_report)),
      js_as_modules_(js_as_modules),
      tenant_folders_(tenant_folders_of(plan)),
      scheduler_(
          tenants_of(plan),
          [&manifest, &plan](const std::string& tenant) {
            const TenantSpec* spec = manifest.find(tenant);
            // Denied tenants need no isolate: any number of their jobs may be "in flight".
            return spec != nullptr ? spec->max_isolates : plan.jobs.size();
          },
          [&manifest](const std::string& tenant) {
            const TenantSpec* spec = manifest.find(tenant);
            return spec != nullptr && needs_own_worker(*spec);
          }) {}

Job BatchRunner::job_for(const BatchJob& job, const TenantSpec& tenant, bool js_as_modules,
                         const std::string& tenant_folder) {
  // The files are read by the worker that runs the job (Runtime::run): this process never
  // holds a job's bytes, and a job waits in the socket as two paths.
  Job run{job.tenant, job.name, {}, std::nullopt, tenant.limits.deadline};
  run.script_file = job.script.string();
  if (job.input) run.input_file = job.input->string();
  run.entry_path = job.script.filename().string();
  run.module = is_module_script(run.entry_path, js_as_modules || tenant.modules_by_default);
  run.module_root = tenant_folder;
  run.module_root_name = job.tenant;
  return run;
}

std::variant<BatchRunner::Ready, RunReport> BatchRunner::prepare(const BatchJob& job) const {
  const TenantSpec* tenant = manifest_.find(job.tenant);
  if (tenant == nullptr) {
    return denied_report(job.tenant, job.name, unknown_tenant_message(manifest_, job.tenant));
  }
  return Ready{job_for(job, *tenant, js_as_modules_, tenant_folders_.at(job.tenant)), tenant};
}

void BatchRunner::report(const RunReport& report) {
  std::lock_guard lock(report_mutex_);
  on_report_(report);
}

void BatchRunner::work(Worker& worker) {
  // The worker gets its next jobs while it still runs one, so it never waits for this thread
  // between jobs (kHandedQuick, kHandedSlow); this thread waits for the scheduler only when
  // its worker has nothing.
  std::size_t ahead = kHandedSlow;
  Scheduler::Affinity affinity;
  std::deque<std::size_t> handed;                     // with the worker, oldest first
  std::optional<std::pair<std::size_t, Ready>> held;  // taken, but too big to queue: next
  bool finished = false;
  for (;;) {
    if (held && handed.empty()) {
      worker.submit(held->second.job, *held->second.tenant);
      handed.push_back(held->first);
      held.reset();
    }
    while (!held && !finished && handed.size() < ahead) {
      std::optional<std::size_t> next = scheduler_.next(affinity, handed.empty());
      if (!next) {
        finished = handed.empty();
        break;
      }
      std::variant<Ready, RunReport> prepared = prepare(plan_.jobs[*next]);
      if (auto* denied = std::get_if<RunReport>(&prepared)) {
        report(*denied);
        scheduler_.done(*next);
        continue;
      }
      Ready& ready = std::get<Ready>(prepared);
      if (!handed.empty() && !worker.can_queue(ready.job, *ready.tenant)) {
        held.emplace(*next, std::move(ready));
        break;
      }
      worker.submit(ready.job, *ready.tenant);
      handed.push_back(*next);
    }
    if (handed.empty()) break;  // nothing held either: the scheduler has no more
    const RunReport done = worker.collect();
    ahead = done.wall_ms < kQuickJobMs ? kHandedQuick : kHandedSlow;
    report(done);
    scheduler_.done(handed.front());
    handed.pop_front();
  }
}

void BatchRunner::run(std::size_t workers) {
  std::vector<std::unique_ptr<Worker>> pool;
  for (std::size_t i = 0; i < std::max<std::size_t>(1, workers); ++i) {
    pool.push_back(make_worker_());
  }
  if (pool.size() == 1) {
    work(*pool.front());
  } else {
    std::vector<std::jthread> threads;
    for (auto& worker : pool) threads.emplace_back([this, &worker] { work(*worker); });
  }
  for (const auto& worker : pool) pool_figures_ += worker->figures();
}

}  // namespace krepis
