#include "core/batch_runner.h"

#include <fmt/format.h>

#include <thread>
#include <variant>
#include <vector>

#include "core/text_file.h"

namespace krepis {
namespace {

std::vector<std::string> tenants_of(const BatchPlan& plan) {
  std::vector<std::string> tenants;
  for (const BatchJob& job : plan.jobs) tenants.push_back(job.tenant);
  return tenants;
}

}  // namespace

BatchRunner::BatchRunner(const Manifest& manifest, const BatchPlan& plan, WorkerFactory make_worker,
                         OnReport on_report)
    : manifest_(manifest),
      plan_(plan),
      make_worker_(std::move(make_worker)),
      on_report_(std::move(on_report)),
      scheduler_(tenants_of(plan), [&manifest, &plan](const std::string& tenant) {
        const TenantSpec* spec = manifest.find(tenant);
        // Denied tenants need no isolate: any number of their jobs may be "in flight".
        return spec != nullptr ? spec->max_isolates : plan.jobs.size();
      }) {}

std::variant<Job, RunReport> BatchRunner::load(const BatchJob& job, const TenantSpec& tenant) {
  // A tenant's folder holds the tenant's files: a symlink there could make the runner read
  // any file of the host as a job or its input (and quote it in a syntax error).
  for (const std::filesystem::path& file : {job.script, job.input.value_or(job.script)}) {
    std::error_code error;
    if (std::filesystem::is_symlink(file, error)) {
      return denied_report(
          job.tenant, job.name,
          fmt::format("{}: is a symlink; jobs and inputs must be regular files", file.string()));
    }
  }
  TextFile script = read_text_file(job.script.string());
  if (!script.ok()) return denied_report(job.tenant, job.name, script.error);
  Job run{job.tenant, job.name, std::move(script.text), std::nullopt, tenant.limits.deadline};
  if (job.input) {
    // Validated by V8 as it parses it, in the run, before the script: checking it here
    // first cost more than the parse itself (a third of a job with a 16 KB input).
    TextFile input = read_text_file(job.input->string());
    if (!input.ok()) return denied_report(job.tenant, job.name, "input " + input.error);
    run.input_json = std::move(input.text);
    run.input_name = "input " + job.input->string();
  }
  return run;
}

RunReport BatchRunner::run_one(Worker& worker, const BatchJob& job) {
  const TenantSpec* tenant = manifest_.find(job.tenant);
  if (tenant == nullptr) {
    return denied_report(job.tenant, job.name, unknown_tenant_message(manifest_, job.tenant));
  }
  std::variant<Job, RunReport> loaded = load(job, *tenant);
  if (auto* denied = std::get_if<RunReport>(&loaded)) return std::move(*denied);
  try {
    return worker.run(std::get<Job>(loaded), *tenant);
  } catch (const std::exception& error) {
    // The worker could not run it at all (no isolate could be made): the job is reported,
    // and the batch goes on.
    RunReport report = denied_report(job.tenant, job.name,
                                     fmt::format("the runner could not run it: {}", error.what()));
    report.status = RunStatus::kCrashed;
    return report;
  }
}

void BatchRunner::work(Worker& worker) {
  Scheduler::Affinity affinity;
  while (std::optional<std::size_t> next = scheduler_.next(affinity)) {
    RunReport report = run_one(worker, plan_.jobs[*next]);
    {
      std::lock_guard lock(report_mutex_);
      on_report_(report);
    }
    scheduler_.done(*next);
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
