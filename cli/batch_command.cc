#include "cli/batch_command.h"

#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <thread>
#include <utility>
#include <vector>

#include "cli/html_report.h"
#include "cli/progress.h"
#include "cli/result_folder.h"
#include "cli/resume_log.h"
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

// Every skipped entry with --verbose. Without it nothing: folders in a tenant's folder are
// its library, files of other kinds its own business.
void say_what_was_skipped(const BatchPlan& plan, const BatchOptions& options) {
  if (!options.verbose) return;
  for (const SkippedEntry& entry : plan.skipped) {
    print_error(fmt::format("skipped {}: {}",
                            one_line((std::filesystem::path(options.dir) / entry.name).string()),
                            entry.why));
  }
  for (const std::string& library : plan.libraries) {
    print_error(fmt::format("library {}: what the tenant's jobs may import, not jobs (jobs are "
                            "DIR/<tenant>/<job>.js or .mjs)",
                            one_line((std::filesystem::path(options.dir) / library).string())));
  }
}

// Tenants of DIR that the manifest lacks, once each, before their jobs' `denied` lines.
void say_unknown_tenants(const Manifest& manifest, const BatchPlan& plan,
                         const std::string& dir) {
  constexpr std::size_t kNamedAtMost = 10;
  std::vector<std::pair<std::string, std::size_t>> unknown;  // tenant, its jobs
  for (const BatchJob& job : plan.jobs) {
    if (manifest.find(job.tenant) != nullptr) continue;
    if (unknown.empty() || unknown.back().first != job.tenant) unknown.emplace_back(job.tenant, 0);
    ++unknown.back().second;
  }
  for (std::size_t i = 0; i < unknown.size() && i < kNamedAtMost; ++i) {
    const auto& [tenant, jobs] = unknown[i];
    print_error(fmt::format(
        "{}: {}; its {} will be reported denied",
        one_line((std::filesystem::path(dir) / tenant).string()),
        one_line(unknown_tenant_message(manifest, tenant)), counted(jobs, "job")));
  }
  if (unknown.size() > kNamedAtMost) {
    print_error(fmt::format("and {} more that {} does not define",
                            counted(unknown.size() - kNamedAtMost, "tenant folder"),
                            manifest.source));
  }
}

}  // namespace

void add_batch_command(CLI::App& app, BatchOptions& options) {
  CLI::App* batch = app.add_subcommand(
      "batch", "Run every job under DIR (DIR/<tenant>/<job>.js) on the warm pool");
  batch
      ->add_option("dir", options.dir,
                   "Folder of jobs: DIR/<tenant>/<job>.js (or .mjs, an ES module), with an "
                   "optional <job>.json input each; folders inside a tenant's folder hold "
                   "what its jobs import")
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
                   "Run only shard I of N (0-based; shards get about as many jobs each, within "
                   "1.1x the mean, a tenant split only when it does not fit a shard), or `auto` "
                   "from a Kubernetes Indexed Job or a Slurm job array")
      ->type_name("I/N|auto");
  batch->add_option("--shards", options.shards, "Shard count for --shard auto on Kubernetes")
      ->type_name("N");
  batch
      ->add_option("--shard-by", options.shard_by,
                   "How --shard splits DIR: jobs (balanced, planned from the whole listing: "
                   "every shard must see the same folder) or tenant (a tenant's jobs on the "
                   "shard its name hashes to, for a folder that changes between shard starts)")
      ->check(CLI::IsMember({"jobs", "tenant"}))
      ->type_name("jobs|tenant")
      ->capture_default_str();
  batch->add_flag("-m,--module", options.module,
                  "Run .js jobs as ES modules (a .mjs job always is one; so are the .js jobs "
                  "of a tenant whose script_type is \"module\"); a module's result is its "
                  "default export");
  batch->add_option("--html", options.html,
                    "Also write a report page to FILE: one self-contained HTML file (no "
                    "scripts; works offline) with counts, tenants, latency and heap charts, the "
                    "slowest jobs and the failures grouped by message")
      ->type_name("FILE");
  batch->add_flag("--json", options.json,
                  "One JSON object per job as it finishes, then {\"summary\": ...}");
  batch->add_flag("--failures-only", options.failures_only,
                  "Print only the reports of jobs that did not end ok, then the summary (which "
                  "counts every job; `krepis summarize` of such output sees the failures only)");
  batch->add_flag("-q,--quiet", options.quiet, "As --failures-only, and no progress line");
  batch->add_flag("-v,--verbose", options.verbose,
                  "Name each skipped file and folder, and why it is not a job, on stderr");
  batch
      ->add_option("--resume", options.resume,
                   "The batch's JSON Lines record: jobs reported in it do not run again, and the "
                   "new reports are appended to it (created if missing; locked while in use)")
      ->type_name("FILE");
  batch
      ->add_option("--out", options.out,
                   "Also write each job's report (result, output, figures) to "
                   "DIR/<tenant>/<job>.json, whole or not at all; with --resume, a job whose file "
                   "is there counts as done")
      ->type_name("DIR");
  batch->footer(R"(Reports stream as jobs finish, one line each; a summary follows (counts per
status and tenant, wall-time percentiles, throughput, pool figures). Jobs of tenants the
manifest does not define, unreadable or non-UTF-8 scripts and inputs that are not JSON are
reported `denied`; other files are skipped and counted. Each worker process keeps its own
warm isolates; a job that ends its worker (a builtin that outgrows the heap cap, a
termination that never lands) is reported `oom`, `timeout` or `crashed`, and the next job
gets a new worker. SIGINT or SIGTERM: no new job starts, the jobs in flight finish, the
summary is printed (exit 130 / 143); a second signal ends at once. Merge shards' --json
output with `krepis summarize`. While jobs run, a progress line (done/total, rate, ETA,
failures) is drawn on stderr when it is a terminal, even when stdout goes to a file.

Examples:
  krepis batch jobs/
  krepis batch --tenants tenants.toml --jobs 4 --json jobs/ > results.jsonl
  krepis batch --shard 2/8 jobs/
  krepis batch --shard auto --shards 8 jobs/    (in a Kubernetes Indexed Job)
  krepis batch -q jobs/ 2>/dev/null    (only the jobs that failed, and the summary)
  krepis batch --resume done.jsonl jobs/  (again after a kill: only what is not in done.jsonl)

With --resume FILE, each job is reported in FILE exactly once however often the batch is
killed and run again: a job in flight at the kill runs again, and a last line cut mid-write
is dropped from FILE first. `krepis summarize FILE` then counts each job once.

Exit status: as for `krepis run` over all jobs (with --resume, those in FILE too); 2 when
DIR holds no jobs at all (a shard with none, when other shards have some, exits 0);
130 / 143 when interrupted; 74 when stdout, FILE or a result in DIR could not be written
(no more jobs start once a report is lost). The summary's exit_status is the status the
process exits with.)");
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
  std::vector<std::string> inputs{options.manifest.tenants_file.value_or("tenants.toml")};
  if (options.resume) inputs.push_back(*options.resume);
  if (std::optional<std::string> problem =
          options.html ? page_path_problem(*options.html, inputs, options.dir) : std::nullopt) {
    print_error("--html " + *problem);
    return kUsageError;
  }
  std::optional<HtmlReport> page;  // --html: the jobs this run reports
  if (options.html) page.emplace();
  // The page is written whatever the batch ran, nothing included: a stale one never stays.
  auto write_html = [&](BatchSummary& summary) {
    if (std::string error;
        page && !write_page(*options.html, page->page(summary, options.dir), error)) {
      print_error(fmt::format("--html {}", error));
      summary.exit_status = kOutputLost;
    }
  };
  std::optional<Shard> shard = shard_for(options);
  if (!shard) return kUsageError;
  shard->by = options.shard_by == "tenant" ? ShardBy::kTenant : ShardBy::kJobs;
  Result<BatchPlan> plan = plan_batch(options.dir, *shard);
  if (!plan.ok()) {
    print_error(plan.error().message);
    return kUsageError;
  }

  BatchSummary summary;
  summary.workers = workers;
  summary.skipped_files = plan->skipped.size();
  summary.other_shards = plan->other_shards;
  summary.plan = plan->fingerprint;
  if (shard->count > 1) {
    summary.shard = fmt::format("{}/{} by {}", shard->index, shard->count, to_string(shard->by));
  }
  say_what_was_skipped(*plan, options);
  if (plan->jobs.empty()) {
    // A shard may well have nothing to do; a folder without a single job is a mistake.
    const bool none_at_all = plan->other_shards == 0;
    // Jobs put one folder too deep are the likely mistake: say where they were not looked for.
    print_error(fmt::format(
        "{}: no jobs {} (a job is DIR/<tenant>/<job>.js or .mjs){}{}", options.dir,
        none_at_all ? "here" : "for this shard",
        plan->skipped.empty() || options.verbose
            ? ""
            : fmt::format("; {} skipped, --verbose names them",
                          counted(plan->skipped.size(), "file")),
        plan->libraries.empty()
            ? ""
            : fmt::format("; folders in a tenant's folder hold what its jobs import, never jobs "
                          "({}{})",
                          one_line(plan->libraries.front()),
                          plan->libraries.size() > 1
                              ? fmt::format(" and {} more", plan->libraries.size() - 1)
                              : "")));
    summary.exit_status = none_at_all ? kUsageError : 0;
    if (!none_at_all) write_html(summary);
    if (options.json) print_out("{}\n", summary.to_json().dump());
    return summary.exit_status;
  }
  std::optional<ResultFolder> results;
  if (options.out) {
    std::string error;
    results = ResultFolder::open(*options.out, options.dir, error);
    if (!results) {
      print_error(error);
      return kUsageError;
    }
  }
  std::optional<ResumeLog> record;
  if (options.resume) {
    std::string error;
    record = ResumeLog::open(*options.resume, error);
    if (!record) {
      print_error(error);
      return kUsageError;
    }
    if (record->dropped_bytes() > 0) {
      print_error(fmt::format("--resume {}: dropped its last line, cut as it was written ({}); "
                              "that job runs again",
                              one_line(record->path()), counted(record->dropped_bytes(), "byte")));
    }
    // A record with reports of jobs another shard of this plan runs is another shard's or
    // plan's: resuming from it would run some jobs twice and never run others. (A name the
    // folder no longer holds is a job deleted since: nothing runs twice for it.)
    std::size_t foreign = 0;
    std::string example;
    if (shard->count > 1) {
      std::set<std::string> planned_names;
      for (const BatchJob& job : plan->jobs) planned_names.insert(job.name);
      Result<BatchPlan> whole = plan_batch(options.dir, Shard{});
      std::set<std::string> listed_names;
      if (whole.ok()) {
        for (const BatchJob& job : whole->jobs) listed_names.insert(job.name);
      }
      for (const std::string& name : record->done_names()) {
        if (planned_names.count(name) > 0 || listed_names.count(name) == 0) continue;
        if (foreign++ == 0) example = name;
      }
    }
    if (foreign > 0) {
      print_error(fmt::format(
          "--resume {}: {} of jobs another shard runs (such as {}): it is the record of "
          "another shard or plan. A Slurm array task submitted again on its own "
          "(--array=3) is shard 0 of 1: requeue the task instead (scontrol requeue JOB_3)",
          one_line(record->path()), counted(foreign, "report"), one_line(example)));
      return kUsageError;
    }
    const std::size_t planned = plan->jobs.size();
    bool copied = true;
    std::erase_if(plan->jobs, [&](const BatchJob& job) {
      if (record->done(job.name)) return true;
      // Its result is in DIR, whole: done, and into the record with the others.
      RunStatus status = RunStatus::kOk;
      std::optional<std::string> line = results ? results->completed_report(job.name, status)
                                                : std::nullopt;
      if (!line) return false;
      copied = copied && record->append(*line, exit_status_for(status));
      return true;
    });
    if (!copied) {
      print_error(fmt::format("--resume {}: cannot append to it", one_line(record->path())));
      return kOutputLost;
    }
    summary.already_reported = planned - plan->jobs.size();
    summary.exit_status = record->recorded_exit_status();
    if (plan->jobs.empty()) {
      print_error(fmt::format("--resume {}: every job is reported there already; nothing to run",
                              one_line(record->path())));
      write_html(summary);
      if (options.json) print_out("{}\n", summary.to_json().dump());
      return summary.exit_status;
    }
  }
  say_unknown_tenants(*manifest, *plan, options.dir);

  std::size_t name_width = 0;
  for (const BatchJob& job : plan->jobs) {
    name_width = std::max(name_width, one_line(job.name).size());
  }
  Progress progress(plan->jobs.size(), !options.quiet);
  const bool failures_only = options.failures_only || options.quiet;
  std::mutex output;
  std::size_t failed = 0;
  std::atomic<BatchRunner*> active_runner = nullptr;
  bool reports_lost = false;     // to --resume's record; under `output`
  std::size_t results_lost = 0;  // to --out's folder; under `output`
  auto print_report = [&](const RunReport& report) {
    std::lock_guard lock(output);
    summary.add(report);
    if (page) page->add(report);
    if (report.status != RunStatus::kOk) ++failed;
    // A record that took part of a line takes no more: the next --resume drops a cut last
    // line only.
    // The JSON line once, for the record, the result file and stdout alike.
    const std::string line = record || results || options.json ? json_line(report) : "";
    if (record && !reports_lost && !record->append(line, 0)) reports_lost = true;
    // A result that cannot be written (a name too long for a file) is that job's loss only.
    if (std::string error; results && !results->write(report.script, line, error)) {
      print_error(error);
      ++results_lost;
    }
    if (!failures_only || report.status != RunStatus::kOk) {
      progress.clear();
      print_out("{}\n", options.json ? line : batch_line(report, name_width));
      std::fflush(stdout);
    }
    progress.update(summary.jobs(), failed);
    // Reports that cannot be written are lost: start no more jobs, and say so at the end.
    if (stdout_failed() || reports_lost) {
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
            [&manifest, &batch_dir](int socket, int wake, const TenantSpec* locked_to) {
              return serve_jobs(socket, wake, *manifest,
                                worker_policy(*manifest, batch_dir, locked_to));
            },
            ProcessWorker::kDefaultGrace, &needs_own_worker);
      },
      print_report, options.module);
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
  if (reports_lost) {
    print_error(fmt::format("--resume {}: a report could not be appended, and no more jobs "
                            "were started (run the same command again for the rest)",
                            one_line(record->path())));
    summary.exit_status = kOutputLost;
  }
  if (results_lost > 0) {
    print_error(fmt::format("--out {}: {} could not be written", one_line(results->path()),
                            counted(results_lost, "result")));
    summary.exit_status = kOutputLost;
  }
  write_html(summary);
  progress.clear();
  print_summary(summary, options.json);
  return summary.exit_status;
}

}  // namespace krepis::cli
