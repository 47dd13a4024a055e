// ONE isolate of ONE tenant. run(job) gives every job a fresh context in this warm isolate,
// under the isolate's heap cap and the job's deadline, and returns what the run did and cost.
// After a run the sandbox says whether it may be reused: one that passed its heap cap or
// whose termination never landed must be replaced.
//
// A sandbox may be used from any thread, one thread at a time (v8::Locker).
#pragma once

#include <v8-isolate.h>
#include <v8-persistent-handle.h>
#include <v8-template.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/job.h"
#include "core/base/limits.h"
#include "core/base/run_output.h"
#include "core/base/run_report.h"
#include "core/base/stop_signal.h"
#include "core/engine/capped_allocator.h"
#include "core/engine/engine.h"
#include "core/ops/op_host.h"
#include "core/runtime/heap_guard.h"
#include "core/runtime/last_words.h"
#include "core/runtime/script_execution.h"
#include "core/runtime/watchdog.h"

namespace krepis {

struct SandboxConfig {
  std::size_t heap_cap_bytes = 128 * kMiB;
  // The leak guard's margin is max(4 MiB, 1/16 of the cap), or this share of the cap when
  // smaller (the manifest's retire_heap_percent): see leak_margin_bytes().
  unsigned reclaim_percent = 50;
  // The tenant the sandbox runs for and the ops its tier grants.
  OpGrants grants;
  // In a worker process, a run past its heap headroom ends the process (its parent reports
  // the run and starts another) instead of being granted more: memory stays near the cap.
  // In the runner's own process the headroom is granted again, so the runner survives.
  bool in_worker_process = false;
};

class Sandbox final : private DeadlineTarget {
 public:
  Sandbox(Engine& engine, Watchdog& watchdog, SandboxConfig config, LastWords last_words = {});
  ~Sandbox();
  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  // live, when given, sees each console entry as it is logged.
  RunReport run(const Job& job, const LiveOutput* live = nullptr);

  // A REPL's session: while on, runs share one context (made by the next run) instead of a
  // fresh one each. Turning it off, or forget_context(), drops that context; a sandbox must
  // forget it before it goes back to the pool, so no other session ever sees it.
  void keep_context(bool keep);
  void forget_context();
  bool has_kept_context() const { return kept_ != nullptr && !kept_->context.IsEmpty(); }
  // The REPL's Tab: names in the kept context (completions.h); none without one.
  std::vector<std::string> completions(const std::vector<std::string>& path,
                                       std::string_view prefix);

  // Stops the run in progress, or the next one if none has begun yet, as an error
  // ("interrupted"); callable from any thread. A request left when a run ends is dropped.
  void interrupt() noexcept;
  // Drops an interrupt that came too late for the run it was meant for (during the clean-up
  // after it), so it cannot stop the next run.
  void clear_interrupt() noexcept { interrupt_requested_.store(false); }

  // From another thread, when the process's memory shows that the run in progress went past
  // its cap where no guard of V8's could stop it (a builtin that allocates in one step): its
  // last words report it `oom`, and they end the process. Nothing happens between runs.
  void end_for_memory(std::size_t grown_bytes) noexcept;
  // On the isolate's thread, inside V8's allocation, when the large-object gate refused an
  // object for good: the same last words, before V8 prints its last GCs and aborts.
  void end_for_object(std::size_t refused_bytes) noexcept;

  // For an isolate that sits idle: a full GC that also lets V8 give memory back (the
  // context of the last run is garbage by then), so a warm idle isolate costs less RSS.
  void settle();

  struct HeapStatistics {
    std::size_t used_bytes, total_bytes, limit_bytes, external_bytes;
    std::size_t contexts, detached_contexts;
  };
  HeapStatistics heap_statistics();

  // False once the isolate passed its heap cap or a termination failed to land in time, and
  // while it keeps a session's context (a pool then disposes it rather than let another
  // session see that context).
  bool reusable() const { return healthy() && !has_kept_context(); }
  // False once the isolate passed its heap cap or a termination failed to land in time.
  bool healthy() const { return !heap_guard_->exceeded() && !condemned_.load(); }
  std::size_t runs_done() const { return runs_done_; }
  std::size_t heap_cap_bytes() const { return allocator_->cap(); }
  // What the isolate still held after the last run beyond a fresh isolate's heap, when that
  // was more than leak_margin_bytes() even after a full GC; 0 otherwise. The pool retires an
  // isolate that retains anything, so no run pays for what an earlier one kept (the
  // isolate-wide Symbol.for registry, say).
  std::size_t retained_bytes() const { return retained_bytes_; }
  // A run that leaves more than this above the fresh heap is followed by a full GC (its
  // garbage then counts against neither the next run's cap nor its figures), and what
  // survives the GC above that is retained.
  std::size_t leak_margin_bytes() const;

 private:
  // Called on the watchdog's thread, under its lock, only while the run is armed.
  void on_deadline(int attempt) noexcept override;
  bool on_condemned(std::chrono::steady_clock::duration waited) noexcept override;
  // The run thread's CPU time in ms, read from another thread; 0 between runs.
  double run_thread_cpu_ms();
  void set_up_isolate(bool in_worker_process);
  // Called by V8, on the run's thread, when it cannot allocate past every guard.
  static void on_fatal_oom(const char* location, bool is_heap_oom);
  // Hands the report of the run in progress to last_words_ (which ends the process), with
  // describe(job) as its error; nothing between runs. From any thread.
  template <class Describe>
  void say_last_words(RunStatus status, StopReason reason, Describe describe) noexcept;

  Engine& engine_;
  Watchdog& watchdog_;
  const LastWords last_words_;
  // The run in progress, for last words said from another thread (the watchdog's, the
  // memory watch's): set before the deadline is armed, cleared after it is disarmed.
  struct RunInProgress {
    const Job* job = nullptr;
    std::chrono::steady_clock::time_point started;
    bool warm = false;
    clockid_t cpu_clock = CLOCK_THREAD_CPUTIME_ID;  // the run thread's CPU clock
  };
  // The run thread's CPU time (ms) when termination was first requested in the run in
  // progress; written and read on the watchdog's thread only.
  double cpu_at_first_request_ms_ = 0;
  std::mutex in_progress_mutex_;
  RunInProgress in_progress_;  // guarded by in_progress_mutex_
  StopSignal stop_;
  std::atomic<bool> condemned_{false};
  std::atomic<bool> interrupt_requested_{false};
  OpHost op_host_;
  // The allocator outlives the isolate: disposing the isolate frees backing stores through it.
  std::unique_ptr<CappedAllocator> allocator_;
  v8::Isolate* isolate_ = nullptr;
  std::unique_ptr<HeapGuard> heap_guard_;
  v8::Global<v8::ObjectTemplate> console_template_;
  v8::Global<v8::ObjectTemplate> krepis_template_;
  std::size_t runs_done_ = 0;
  std::size_t retained_bytes_ = 0;
  // Heap plus external bytes of the isolate before its first run: what a clean one holds.
  std::size_t fresh_bytes_ = 0;
  std::unique_ptr<KeptContext> kept_;
  const unsigned reclaim_percent_;
};

}  // namespace krepis
