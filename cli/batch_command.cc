#include "cli/batch_command.h"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <thread>

#include "cli/progress.h"
#include "cli/signal_watch.h"
#include "cli/summary_output.h"
#include "cli/terminal.h"
#include "cli/usage_errors.h"
#include "core/base/report.h"
#include "core/base/utf8.h"
#include "core/batch/batch_plan.h"
#include "core/batch/batch_runner.h"
#include "core/batch/batch_summary.h"
#include "core/batch/job_server.h"
#include "core/batch/process_worker.h"
#include "core/batch/worker_lock.h"

namespace krepis::cli {
namespace {

constexpr std::int64_t kMaxJobs = 256;

std::optional<Shard> shard_for(const BatchOptions& options) {
  std::optional<std::uint32_t> shards;
  if (options.shards) {
    if (*options.shards < 1 || *options.shards > 100'000) {
      print_error(fmt::format("--shards {}: must be between 1 and 100000", *options.shards));
      return std::nullopt;
    }
    shards = static_cast<std::uint32_t>(*options.shards);
  }
  if (!options.shard) {
    if (shards) print_error("--shards is only used with --shard auto");
    return shards ? std::nullopt : std::optional<Shard>(Shard{});
  }
  Result<Shard> shard =
      *options.shard == "auto"
          ? shard_from_environment([](const char* name) { return std::getenv(name); }, shards)
          : parse_shard(*options.shard);
  if (!shard.ok()) {
    print_error(shard.error().message);
    return std::nullopt;
  }
  return *shard;
}

// "ok      acme/job.js   wall 1.2 ms  cpu 1.1 ms  heap 1.1 MiB  warm", and the first line of
// the error for a failure: one line per job, aligned on the longest name.
std::string batch_line(const RunReport& report, std::size_t name_width) {
  std::string line =
      fmt::format("{:<7} {:<{}}", to_string(report.status), one_line(report.script), name_width);
  if (report.status != RunStatus::kDenied) {
    line +=
        fmt::format("  wall {:.1f} ms  cpu {:.1f} ms  heap {}  {}", report.wall_ms, report.cpu_ms,
                    human_bytes(report.heap_peak_bytes), report.warm ? "warm" : "cold");
  }
  if (report.error) {
    // The tenant wrote it: terminal escapes in it are shown, not obeyed.
    line += "  " + one_line(report.error->substr(0, report.error->find('\n')));
  }
  return line;
}

}  // namespace

void add_batch_command(CLI::App& app, BatchOptions& options) {
  CLI::App* batch = app.add_subcommand(
      "batch", "Run every job under DIR (DIR/<tenant>/<job>.js) on the warm pool");
  batch
      ->add_option("dir", options.dir,
                   "Folder of jobs: DIR/<tenant>/<job>.js, with an optional "
                   "<job>.json input each")
      ->type_name("DIR")
      ->required();
  add_manifest_options(*batch, options.manifest);
  batch
      ->add_option("--jobs", options.jobs,
                   fmt::format("Runs in flight at once, each in its own worker process (1-{}; "
                               "default: the number of cores)",
                               kMaxJobs))
      ->type_name("N");
  batch
      ->add_option("--shard", options.shard,
                   "Run only shard I of N (0-based; a tenant is never split), or `auto` from a "
                   "Kubernetes Indexed Job or a Slurm job array")
      ->type_name("I/N|auto");
  batch->add_option("--shards", options.shards, "Shard count for --shard auto on Kubernetes")
      ->type_name("N");
  batch->add_flag("--json", options.json,
                  "One JSON object per job as it finishes, then {\"summary\": ...}");
  batch->footer(R"(Reports stream as jobs finish, one line each; a summary follows (counts per
status and tenant, wall-time percentiles, throughput, pool figures). Jobs of tenants the
manifest does not define, unreadable or non-UTF-8 scripts and inputs that are not JSON are
reported `denied`; other files are skipped and counted. Each worker process keeps its own
warm isolates; a job that ends its worker (a builtin that outgrows the heap cap, a
termination that never lands) is reported `oom`, `timeout` or `crashed`, and the next job
gets a new worker. SIGINT or SIGTERM: no new job starts, the jobs in flight finish, the
summary is printed (exit 130 / 143); a second signal ends at once. Merge shards' --json
output with `krepis summarize`.

Examples:
  krepis batch jobs/
  krepis batch --tenants tenants.toml --jobs 4 --json jobs/ > results.jsonl
  krepis batch --shard 2/8 jobs/
  krepis batch --shard auto --shards 8 jobs/    (in a Kubernetes Indexed Job)

Exit status: as for `krepis run` over all jobs; 130 / 143 when interrupted; 74 when stdout
could not be written (no more jobs start once a report is lost). The summary's exit_status
is the status the process exits with.)");
}

int batch_command(const BatchOptions& options) {
  std::optional<Manifest> manifest = load_manifest_for(options.manifest);
  if (!manifest) return kUsageError;
  std::size_t workers = std::max(1u, std::thread::hardware_concurrency());
  if (options.jobs) {
    if (*options.jobs < 1 || *options.jobs > kMaxJobs) {
      print_error(fmt::format("--jobs {}: must be between 1 and {}", *options.jobs, kMaxJobs));
      return kUsageError;
    }
    workers = static_cast<std::size_t>(*options.jobs);
  }
  std::optional<Shard> shard = shard_for(options);
  if (!shard) return kUsageError;
  Result<BatchPlan> plan = plan_batch(options.dir, *shard);
  if (!plan.ok()) {
    print_error(plan.error().message);
    return kUsageError;
  }

  BatchSummary summary;
  summary.workers = workers;
  summary.skipped_files = plan->skipped.size();
  summary.other_shards = plan->other_shards;
  if (plan->jobs.empty()) {
    print_error(fmt::format("{}: no jobs here{} (a job is DIR/<tenant>/<job>.js)", options.dir,
                            shard->count > 1 ? " for this shard" : ""));
    if (options.json) print_out("{}\n", summary.to_json().dump());
    return 0;
  }

  std::size_t name_width = 0;
  for (const BatchJob& job : plan->jobs) {
    name_width = std::max(name_width, one_line(job.name).size());
  }
  Progress progress(plan->jobs.size(), options.json);
  std::mutex output;
  std::size_t failed = 0;
  std::atomic<BatchRunner*> active_runner = nullptr;
  auto print_report = [&](const RunReport& report) {
    std::lock_guard lock(output);
    summary.add(report);
    if (report.status != RunStatus::kOk) ++failed;
    progress.clear();
    print_out("{}\n", options.json ? json_line(report) : batch_line(report, name_width));
    std::fflush(stdout);
    progress.update(summary.jobs(), failed);
    // Reports that cannot be written are lost: start no more jobs, and say so at the end.
    if (stdout_failed()) {
      if (BatchRunner* running = active_runner.load()) running->stop();
    }
  };

  // Signals first: every thread started after this, and every worker process, has them
  // blocked; only this process decides what SIGINT and SIGTERM do.
  SignalWatch signals([&](int) {
    if (BatchRunner* running = active_runner.load()) running->stop();
  });
  const auto started = std::chrono::steady_clock::now();
  // Each worker is a process with its own V8 and warm pool (V8 never starts in this one): a
  // run that kills its engine is reported `crashed` or `oom`, and the batch goes on.
  say_confinement_shortfall();
  // Tenants with file grants get worker processes of their own (worker_lock.h).
  const std::filesystem::path batch_dir = options.dir;
  BatchRunner runner(
      *manifest, *plan,
      [&manifest, &batch_dir] {
        return std::make_unique<ProcessWorker>(
            [&manifest, &batch_dir](int socket, const TenantSpec* locked_to) {
              return serve_jobs(socket, *manifest, worker_policy(*manifest, batch_dir, locked_to));
            },
            ProcessWorker::kDefaultGrace, &needs_own_worker);
      },
      print_report);
  active_runner = &runner;
  if (signals.received() != 0) runner.stop();  // it came before the runner existed
  runner.run(workers);
  signals.stop_callbacks();
  active_runner = nullptr;

  std::lock_guard lock(output);
  summary.elapsed_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  summary.pool = runner.pool_figures();
  summary.not_started = runner.not_started();
  summary.interrupted = signals.received() != 0;
  // The summary says the status the process exits with (finish_stdout may still turn it
  // into kOutputLost, but then the summary is lost too).
  if (summary.interrupted) summary.exit_status = 128 + signals.received();
  if (stdout_failed()) summary.exit_status = kOutputLost;
  progress.clear();
  print_summary(summary, options.json);
  return summary.exit_status;
}

}  // namespace krepis::cli
