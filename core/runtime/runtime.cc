#include "core/runtime/runtime.h"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <utility>

#include "core/base/job_files.h"
#include "core/engine/engine.h"
#include "core/runtime/confinement.h"
#include "core/runtime/memory_watch.h"
#include "core/runtime/pool_sweeper.h"
#include "core/runtime/sandbox_pool.h"
#include "core/runtime/watchdog.h"

namespace krepis {

struct Runtime::Parts {
  Parts(Engine& engine, const Manifest& manifest, RuntimeOptions options)
      : pool(manifest.pool,
             sandbox_factory(engine, watchdog, manifest.pool, once(std::move(options.last_words)),
                             options.worker_process)) {
    if (options.long_lived) sweeper.emplace(pool, manifest.pool.settle_after / 2);
  }

  // Last words are said once per process: the memory watch, the watchdog and V8's OOM
  // handler may each find the same run lost at once. The first holds the lock until its
  // words end the process; any other waits for that end.
  LastWords once(LastWords words) {
    if (!words) return words;
    return [this, words = std::move(words)](const RunReport& report) {
      last_words_said.lock();
      words(report);
    };
  }

  // Runs the job on the leased sandbox under the memory watch; an isolate that could not be
  // made is reported, and the runtime goes on.
  template <class GetSandbox>
  RunReport run_on(const Job& job, const LiveOutput* live, GetSandbox get_sandbox) {
    try {
      Sandbox& sandbox = get_sandbox();
      MemoryWatch::Watching watching(memory_watch, sandbox);
      return sandbox.run(job, live);
    } catch (const std::exception& error) {
      return crashed_report(job.tenant, job.script_name,
                            fmt::format("the runner could not run it: {}", error.what()));
    }
  }

  std::mutex last_words_said;  // locked for good by the first last words; before the pool
  Watchdog watchdog;
  SandboxPool pool;
  std::optional<PoolSweeper<SandboxPool>> sweeper;
  MemoryWatch memory_watch;
  // Runs may come from several threads (an in-process batch); a worker process has one.
  std::mutex job_folder_mutex;  // held while a job's files are read with job_folder
  JobFolder job_folder;
};

namespace {

// A process that could not confine itself runs no tenant code: it says why and ends (in a
// worker the parent reports the job `crashed`, naming this status).
[[noreturn]] void fail_closed(const Error& error) {
  std::fprintf(stderr,
               "krepis: a process that runs tenant code could not confine itself (%s); it runs "
               "nothing\n",
               error.message.c_str());
  std::_Exit(kConfinementFailedStatus);
}

// V8 starts its threads as it starts: the first step of the confinement comes before.
std::unique_ptr<Engine> start_engine(const std::optional<ConfinementPolicy>& confine) {
  if (confine) {
    if (Result<Done> confined = confine_before_threads(*confine); !confined.ok()) {
      fail_closed(confined.error());
    }
  }
  return std::make_unique<Engine>();
}

}  // namespace

Runtime::Runtime(const Manifest& manifest, RuntimeOptions options)
    : manifest_(manifest),
      owned_engine_(start_engine(options.confine)),
      parts_(std::make_unique<Parts>(*owned_engine_, manifest, options)) {
  if (options.confine) {
    // V8, ICU and every thread of the runtime are up: nothing later needs what goes.
    if (Result<Done> filtered = confine_system_calls(); !filtered.ok()) {
      fail_closed(filtered.error());
    }
  }
}

Runtime::Runtime(Engine& engine, const Manifest& manifest, RuntimeOptions options)
    : manifest_(manifest), parts_(std::make_unique<Parts>(engine, manifest, std::move(options))) {}

Runtime::~Runtime() = default;

RunReport Runtime::run(const Job& job, const LiveOutput* live) {
  const TenantSpec* tenant = manifest_.find(job.tenant);
  if (tenant == nullptr) {
    return denied_report(job.tenant, job.script_name,
                         unknown_tenant_message(manifest_, job.tenant));
  }
  if (!job.script_file.empty()) {
    // A batch job names its files: they are read here, where it runs, under its limits.
    Job loaded = job;
    // The runtime's folder, unless another thread reads with it now: that thread does not
    // hold this one up (a file on a slow disk), and this one opens the path.
    std::unique_lock folder_lock(parts_->job_folder_mutex, std::try_to_lock);
    JobFolder own_folder;
    Result<Done> read =
        load_job_files(loaded, *tenant, folder_lock ? parts_->job_folder : own_folder);
    if (folder_lock) folder_lock.unlock();
    if (!read.ok()) return denied_report(job.tenant, job.script_name, read.error().message);
    loaded.script_file.clear();
    return run(loaded, live);
  }
  std::optional<SandboxPool::Lease> lease;
  return parts_->run_on(job, live, [&]() -> Sandbox& {
    lease.emplace(parts_->pool.acquire(*tenant));
    return **lease;
  });
}

PoolFigures Runtime::figures() { return parts_->pool.figures(); }

const char* Runtime::engine_version() { return Engine::v8_version(); }

std::optional<std::string> Runtime::confinement_shortfall() {
  return krepis::confinement_shortfall();
}

struct Runtime::Session::State {
  State(Runtime& owner, bool keep) : runtime(owner), keep_context(keep) {}
  Runtime& runtime;
  bool keep_context;
  std::optional<SandboxPool::Lease> lease;
  // Whether the lease's isolate was made for this session: its first entry is cold.
  bool cold = false;
  // Guards `running` and `interrupt_pending` against interrupt() from another thread.
  std::mutex mutex;
  Sandbox* running = nullptr;  // the leased sandbox, once an entry took it
  bool interrupt_pending = false;

  void release() {
    {
      std::lock_guard lock(mutex);
      running = nullptr;
    }
    if (!lease) return;
    (*lease)->forget_context();
    lease.reset();
  }
};

Runtime::Session::Session(Runtime& runtime, bool keep_context)
    : state_(std::make_unique<State>(runtime, keep_context)) {}

Runtime::Session::~Session() { state_->release(); }

Runtime::Session::Entry Runtime::Session::run(const TenantSpec& tenant, const Job& job,
                                              const LiveOutput* live) {
  State& s = *state_;
  Entry entry;
  entry.report = s.runtime.parts_->run_on(job, live, [&]() -> Sandbox& {
    if (!s.lease) {
      s.lease.emplace(s.runtime.parts_->pool.acquire(tenant));
      s.cold = s.lease->cold();
      (*s.lease)->keep_context(s.keep_context);
      std::lock_guard lock(s.mutex);
      s.running = &**s.lease;
      if (std::exchange(s.interrupt_pending, false)) s.running->interrupt();
    }
    return **s.lease;
  });
  // The session's isolate is warm after its first entry, whatever the pool says.
  if (s.lease) entry.report.warm = entry.report.warm || !s.cold;
  s.cold = false;
  if (s.lease && !(*s.lease)->healthy()) {
    entry.isolate_lost = true;
    s.release();
  }
  return entry;
}

void Runtime::Session::interrupt() noexcept {
  std::lock_guard lock(state_->mutex);
  if (state_->running != nullptr) {
    state_->running->interrupt();
  } else {
    state_->interrupt_pending = true;
  }
}

void Runtime::Session::clear_interrupt() noexcept {
  std::lock_guard lock(state_->mutex);
  state_->interrupt_pending = false;
  if (state_->running != nullptr) state_->running->clear_interrupt();
}

void Runtime::Session::keep_context(bool keep) {
  state_->keep_context = keep;
  if (state_->lease) (*state_->lease)->keep_context(keep);
}

void Runtime::Session::reset_context() {
  if (!state_->lease) return;
  (*state_->lease)->forget_context();
  (*state_->lease)->keep_context(state_->keep_context);
}

void Runtime::Session::release() { state_->release(); }

std::vector<std::string> Runtime::Session::completions(const TenantSpec& tenant,
                                                      const std::vector<std::string>& path,
                                                      std::string_view prefix) {
  State& s = *state_;
  const bool kept = s.keep_context;
  if (!s.lease || !(*s.lease)->has_kept_context()) {
    keep_context(true);
    run(tenant, Job{tenant.id, "repl", "", std::nullopt, tenant.limits.deadline}, nullptr);
  }
  std::vector<std::string> names;
  if (s.lease) names = (*s.lease)->completions(path, prefix);
  if (!kept) keep_context(false);
  return names;
}

std::optional<IsolateFigures> Runtime::Session::isolate_figures() {
  if (!state_->lease) return std::nullopt;
  Sandbox& sandbox = **state_->lease;
  const Sandbox::HeapStatistics heap = sandbox.heap_statistics();
  return IsolateFigures{heap.used_bytes,     heap.total_bytes, heap.limit_bytes,
                        heap.external_bytes, heap.contexts,    heap.detached_contexts,
                        sandbox.runs_done()};
}

}  // namespace krepis
