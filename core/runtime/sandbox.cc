#include "core/runtime/sandbox.h"

#include <fmt/format.h>
#include <pthread.h>
#include <v8-locker.h>
#include <v8-microtask.h>
#include <v8-statistics.h>

#include <algorithm>
#include <exception>

#include "core/base/cpu_clock.h"
#include "core/ops/registry.h"
#include "core/runtime/completions.h"
#include "core/runtime/grant_hint.h"
#include "core/runtime/isolate_slots.h"
#include "core/runtime/module_graph.h"
#include "core/runtime/script_execution.h"
#include "core/runtime/unhandled_rejections.h"

namespace krepis {
namespace {

// Whether V8's memory-pressure GC, having collected once, found enough left to collect to
// go on (V8 10.2's CollectGarbageOnMemoryPressure: memory committed but not in use, and
// external memory, of at least 8 MiB and a tenth of what is committed): with a second full
// GC, or, when the first took 50 ms or more, by starting incremental marking, which the
// next run would pay for.
bool pressure_gc_goes_on(v8::Isolate* isolate) {
  v8::HeapStatistics stats;
  isolate->GetHeapStatistics(&stats);
  const std::size_t committed = stats.total_heap_size();
  const std::size_t potential =
      committed - std::min(committed, stats.used_heap_size()) + stats.external_memory();
  return potential >= 8 * kMiB && potential * 10 >= committed;
}

std::string describe_stop(StopReason reason, const Job& job, std::size_t cap) {
  std::size_t cap_mib = cap / (1024 * 1024);
  switch (reason) {
    case StopReason::kDeadline:
      return fmt::format("deadline of {} ms exceeded", job.deadline.count());
    case StopReason::kNearHeapLimit:
      return fmt::format("heap cap of {} MiB reached: V8's heap hit its limit", cap_mib);
    case StopReason::kHeapCheck:
      return fmt::format(
          "heap cap of {} MiB exceeded: heap in use plus ArrayBuffer and WebAssembly memory went "
          "over it",
          cap_mib);
    case StopReason::kAllocator:
      return fmt::format("heap cap of {} MiB reached: an ArrayBuffer allocation was refused",
                         cap_mib);
    case StopReason::kUnsettled:
      return "the script's promise can never settle: no pending work is left that could settle it";
    case StopReason::kInterrupted:
      return "interrupted (Ctrl-C)";
    case StopReason::kCondemned:
      return fmt::format("deadline of {} ms exceeded, and termination did not land",
                         job.deadline.count());
    case StopReason::kNone:
      break;
  }
  return {};
}

}  // namespace

Sandbox::Sandbox(Engine& engine, Watchdog& watchdog, SandboxConfig config, LastWords last_words)
    : engine_(engine),
      watchdog_(watchdog),
      last_words_(std::move(last_words)),
      reclaim_percent_(config.reclaim_percent) {
  const std::size_t heap_cap_bytes = config.heap_cap_bytes;
  op_host_.grants = std::move(config.grants);
  if (op_host_.grants.fs_root &&
      (op_host_.grants.grants("fs.read") || op_host_.grants.grants("fs.write"))) {
    // The folder was checked when the manifest loaded; if it has gone since, the fs ops say
    // so with the error rather than the sandbox failing.
    op_host_.folder = TenantFolder::open(*op_host_.grants.fs_root, op_host_.folder_error);
  }
  allocator_ = std::make_unique<CappedAllocator>(heap_cap_bytes, [this] {
    stop_.trip(StopReason::kAllocator);
    if (isolate_ != nullptr) isolate_->TerminateExecution();
  });
  v8::Isolate::CreateParams params;
  op_host_.allocator = allocator_.get();
  op_host_.engine = &engine_;
  params.array_buffer_allocator = allocator_.get();
  params.constraints.ConfigureDefaultsFromHeapSize(0, heap_cap_bytes);
  isolate_ = v8::Isolate::New(params);
  set_up_isolate(config.in_worker_process);
}

std::size_t Sandbox::leak_margin_bytes() const {
  const std::size_t cap = allocator_->cap();
  return std::min(std::max<std::size_t>(4 * kMiB, cap / 16), cap / 100 * reclaim_percent_);
}

void Sandbox::set_up_isolate(bool in_worker_process) {
  v8::Locker locker(isolate_);
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  // Microtasks run only when we drain them, with the deadline armed.
  isolate_->SetMicrotasksPolicy(v8::MicrotasksPolicy::kExplicit);
  // Atomics.wait blocks the thread where termination cannot reach it.
  isolate_->SetAllowAtomicsWait(false);
  set_slot(isolate_, IsolateSlot::kOpHost, &op_host_);
  set_slot(isolate_, IsolateSlot::kSandbox, this);
  isolate_->SetOOMErrorHandler(&Sandbox::on_fatal_oom);
  UnhandledRejections::install(isolate_);
  ModuleGraph::install(isolate_);
  heap_guard_ = std::make_unique<HeapGuard>(isolate_, *allocator_, allocator_->cap(), stop_,
                                            in_worker_process);
  // A large object refused for good ends the process: only where that process is a worker,
  // whose last words report the run.
  if (in_worker_process) {
    heap_guard_->on_refused_for_good([this](std::size_t bytes) { end_for_object(bytes); });
    engine_.gate_large_objects(isolate_, heap_guard_.get());
  }

  // Built once per isolate; every run instantiates them in its context.
  OpTemplates ops = make_op_templates(isolate_, op_host_);
  console_template_.Reset(isolate_, ops.console);
  krepis_template_.Reset(isolate_, ops.krepis);
  const HeapFigures fresh = heap_guard_->figures();
  fresh_bytes_ = fresh.used_bytes + fresh.external_bytes;
}

void Sandbox::keep_context(bool keep) {
  if (!keep) {
    forget_context();
  } else if (kept_ == nullptr) {
    kept_ = std::make_unique<KeptContext>();
  }
}

void Sandbox::forget_context() {
  if (kept_ == nullptr) return;
  v8::Locker locker(isolate_);
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  if (!kept_->context.IsEmpty()) {
    kept_->context.Get(isolate_)->DetachGlobal();
    kept_->context.Reset();
    isolate_->ContextDisposedNotification();
  }
  kept_.reset();
}

void Sandbox::settle() {
  v8::Locker locker(isolate_);
  v8::Isolate::Scope isolate_scope(isolate_);
  engine_.reduce_memory(isolate_);
}

void Sandbox::interrupt() noexcept {
  interrupt_requested_.store(true);
  stop_.trip(StopReason::kInterrupted);
  isolate_->TerminateExecution();
}

std::vector<std::string> Sandbox::completions(const std::vector<std::string>& path,
                                              std::string_view prefix) {
  if (!has_kept_context()) return {};
  v8::Locker locker(isolate_);
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HandleScope handles(isolate_);
  v8::Local<v8::Context> context = kept_->context.Get(isolate_);
  v8::Context::Scope context_scope(context);
  return property_completions(context, path, prefix);
}

Sandbox::HeapStatistics Sandbox::heap_statistics() {
  v8::Locker locker(isolate_);
  v8::Isolate::Scope isolate_scope(isolate_);
  v8::HeapStatistics heap;
  isolate_->GetHeapStatistics(&heap);
  return HeapStatistics{heap.used_heap_size(),
                        heap.total_heap_size(),
                        allocator_->cap(),
                        std::max(heap.external_memory(), allocator_->in_use()),
                        heap.number_of_native_contexts(),
                        heap.number_of_detached_contexts()};
}

Sandbox::~Sandbox() {
  forget_context();
  {
    v8::Locker locker(isolate_);
    v8::Isolate::Scope isolate_scope(isolate_);
    console_template_.Reset();
    krepis_template_.Reset();
    op_host_.encoding.text_encoder.Reset();
    op_host_.encoding.text_decoder.Reset();
    op_host_.js_builtins.reset();
    engine_.gate_large_objects(isolate_, nullptr);
    heap_guard_.reset();
  }
  engine_.forget_isolate(isolate_);
  isolate_->Dispose();
}

void Sandbox::on_deadline(int attempt) noexcept {
  stop_.trip(StopReason::kDeadline);
  isolate_->TerminateExecution();
  if (attempt == 1) cpu_at_first_request_ms_ = run_thread_cpu_ms();
}

double Sandbox::run_thread_cpu_ms() {
  std::lock_guard lock(in_progress_mutex_);
  if (in_progress_.job == nullptr) return 0;
  timespec now{};
  if (clock_gettime(in_progress_.cpu_clock, &now) != 0) return 0;
  return static_cast<double>(now.tv_sec) * 1e3 + static_cast<double>(now.tv_nsec) / 1e6;
}

bool Sandbox::on_condemned(std::chrono::steady_clock::duration waited) noexcept {
  // Only a run that is really stuck is condemned: its thread has kept working (15 ms of CPU)
  // since termination was first requested, and still runs. A thread that got no CPU (a
  // throttled container, a starved machine) is not stuck but waiting: it is asked again at
  // the next re-issue, up to a wall-clock backstop. (A stuck builtin's thread gets 15-30 ms of
  // CPU in the 40 ms grace: it waits on page faults and the GC's helpers too.)
  constexpr double kStuckCpuMs = 15;
  constexpr auto kBackstop = std::chrono::seconds(2);
  if (waited < kBackstop && run_thread_cpu_ms() - cpu_at_first_request_ms_ < kStuckCpuMs) {
    return false;
  }
  condemned_.store(true);
  say_last_words(RunStatus::kTimeout, StopReason::kCondemned, [](const Job& job) {
    return fmt::format(
        "deadline of {} ms exceeded, and termination did not land: the script is stuck in a "
        "builtin that checks no interrupts, and its engine instance ends",
        job.deadline.count());
  });
  return true;
}

void Sandbox::end_for_memory(std::size_t grown_bytes) noexcept {
  say_last_words(RunStatus::kOom, StopReason::kNearHeapLimit, [&](const Job&) {
    return fmt::format(
        "heap cap of {} MiB exceeded: the process grew by {} MiB during the run, in a builtin "
        "that checks no interrupts, and its engine instance ends",
        allocator_->cap() / kMiB, grown_bytes / kMiB);
  });
}

void Sandbox::end_for_object(std::size_t refused_bytes) noexcept {
  say_last_words(RunStatus::kOom, StopReason::kNearHeapLimit, [&](const Job&) {
    const std::size_t handles = heap_guard_->refused_handles();
    return fmt::format(
        "heap cap of {} MiB exceeded: the heap had no room for an object of {} MiB{}, and its "
        "engine instance ends",
        allocator_->cap() / kMiB, refused_bytes / kMiB,
        handles == 0 ? std::string()
                     : fmt::format(" beside the {} MiB of handles a builtin held outside it",
                                   handles / kMiB));
  });
}

void Sandbox::on_fatal_oom(const char* location, bool is_heap_oom) {
  v8::Isolate* isolate = v8::Isolate::GetCurrent();
  Sandbox* self = isolate != nullptr ? sandbox_of(isolate) : nullptr;
  if (self == nullptr) return;
  const char* where = location != nullptr ? location : "?";
  if (!is_heap_oom) {
    self->say_last_words(RunStatus::kCrashed, StopReason::kNone, [&](const Job&) {
      return fmt::format("V8 ran out of process memory ({}), and its engine instance ends", where);
    });
    return;
  }
  if (const std::size_t refused = self->heap_guard_->refused_bytes(); refused != 0) {
    // V8 had no other way on after the large-object gate refused an object.
    self->end_for_object(refused);
    return;
  }
  // The heap cap, passed inside a builtin that checks no interrupts: the script's doing.
  self->say_last_words(RunStatus::kOom, StopReason::kNearHeapLimit, [&](const Job&) {
    return fmt::format(
        "heap cap of {} MiB exceeded inside a builtin that checks no interrupts (V8: {}), and "
        "its engine instance ends",
        self->allocator_->cap() / kMiB, where);
  });
}

template <class Describe>
void Sandbox::say_last_words(RunStatus status, StopReason reason, Describe describe) noexcept {
  if (!last_words_) return;
  RunReport report;
  {
    std::lock_guard lock(in_progress_mutex_);
    if (in_progress_.job == nullptr) return;  // between runs: nothing to say
    const Job& job = *in_progress_.job;
    report.tenant = job.tenant;
    report.script = job.script_name;
    report.error = describe(job);
    report.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                               in_progress_.started)
                         .count();
    report.warm = in_progress_.warm;
  }
  report.status = status;
  report.stopped_by = reason;
  report.heap_cap_bytes = allocator_->cap();
  last_words_(report);
}

RunReport Sandbox::run(const Job& job, const LiveOutput* live) {
  RunReport report;
  report.tenant = job.tenant;
  report.script = job.script_name;
  report.heap_cap_bytes = allocator_->cap();
  report.warm = runs_done_ > 0;

  const auto wall_start = std::chrono::steady_clock::now();
  const double cpu_start = thread_cpu_ms();
  RunOutput output(live, op_host_.grants.output_caps);
  UnhandledRejections rejections;
  ExecutionResult result;
  HeapFigures figures;
  std::chrono::steady_clock::time_point wall_end;
  double cpu_end = 0;
  stop_.reset();
  {
    v8::Locker locker(isolate_);
    v8::Isolate::Scope isolate_scope(isolate_);
    // A termination requested after the previous run ended must not hit this one; an
    // interrupt asked for just before this run began must.
    isolate_->CancelTerminateExecution();
    if (interrupt_requested_.load()) {
      stop_.trip(StopReason::kInterrupted);
      isolate_->TerminateExecution();
    }
    heap_guard_->begin_run();
    allocator_->reset_peak();
    OpRun op_run;
    op_run.output = &output;
    op_run.rejections = &rejections;
    op_run.stop = &stop_;
    op_run.started = wall_start;
    op_run.deadline = job.deadline;
    {
      // The run is in progress (for ops, and for last words from other threads) from before
      // the deadline is armed until after it is disarmed: `in_progress` is declared before
      // `armed`, so it ends after it, on every way out. An exception leaves nothing pointing
      // at this run's stack, and a sandbox left that way is not reused. The reclaiming GC
      // below is not the script's.
      struct InProgress {
        Sandbox& sandbox;
        InProgress(Sandbox& owner, OpRun& op_run, const Job& job, bool warm) : sandbox(owner) {
          sandbox.op_host_.run = &op_run;
          std::lock_guard lock(sandbox.in_progress_mutex_);
          sandbox.in_progress_ = RunInProgress{&job, op_run.started, warm, CLOCK_THREAD_CPUTIME_ID};
          pthread_getcpuclockid(pthread_self(), &sandbox.in_progress_.cpu_clock);
        }
        ~InProgress() {
          sandbox.op_host_.run = nullptr;
          std::lock_guard lock(sandbox.in_progress_mutex_);
          sandbox.in_progress_ = RunInProgress{};
          if (std::uncaught_exceptions() > 0) sandbox.condemned_.store(true);
        }
      } in_progress{*this, op_run, job, report.warm};
      Watchdog::Armed armed = watchdog_.arm(*this, wall_start + job.deadline);
      v8::HandleScope handles(isolate_);
      // Leftover platform tasks (GC steps) run here, inside the deadline.
      engine_.run_pending_tasks(isolate_);
      ScriptExecution execution(isolate_, engine_, *heap_guard_, stop_);
      result = execution.run(job, ContextTemplates{&console_template_, &krepis_template_},
                             kept_.get());
      rejections.clear();
      // Timers a stopped or failed run left: what they would call must not outlive the run
      // into the reclaiming GC below (it would keep the run's context alive).
      op_run.timers.clear();
      figures = heap_guard_->end_run(!stop_.tripped());
    }
    // Disarmed and out of progress: the watchdog no longer touches this isolate, so
    // cancelling is final.
    isolate_->CancelTerminateExecution();
    interrupt_requested_.store(false);
    wall_end = std::chrono::steady_clock::now();
    cpu_end = thread_cpu_ms();
    // WeakRef targets are kept alive until the isolate-wide "kept objects" list is cleared.
    isolate_->ClearKeptObjects();
    // What a big run left is garbage now, but it would count against the next run's cap
    // (and show in its heap figures) until a GC: reclaim it while the isolate is ours. What
    // survives the GC is kept by the isolate itself, and the next run would pay for it.
    const std::size_t reclaim_above = fresh_bytes_ + leak_margin_bytes();
    retained_bytes_ = 0;
    if (figures.used_bytes + figures.external_bytes > reclaim_above) {
      // One full GC (as under memory pressure) takes back what runs leave, dead contexts and
      // their objects; LowMemoryNotification (two full GCs at the least, and the compilation
      // cache) only when that left the heap above the margin, before it is called retained.
      // A kept context (a REPL session's) holds what it holds: straight to the stronger one.
      // So when V8's GC may have gone on to incremental marking: the stronger GC finishes it.
      bool strong = kept_ != nullptr;
      if (!strong) {
        isolate_->MemoryPressureNotification(v8::MemoryPressureLevel::kCritical);
        strong = pressure_gc_goes_on(isolate_);
      }
      HeapFigures after = heap_guard_->figures();
      std::size_t held = after.used_bytes + after.external_bytes;
      if (strong || held > reclaim_above) {
        isolate_->LowMemoryNotification();
        after = heap_guard_->figures();
        held = after.used_bytes + after.external_bytes;
      }
      if (held > reclaim_above) retained_bytes_ = held - fresh_bytes_;
    }
  }
  report.wall_ms = std::chrono::duration<double, std::milli>(wall_end - wall_start).count();
  report.cpu_ms = cpu_end - cpu_start;
  report.heap_used_bytes = figures.used_bytes;
  report.heap_peak_bytes = figures.peak_bytes;
  report.external_bytes = figures.external_peak_bytes;

  if (result.unsettled) stop_.trip(StopReason::kUnsettled);
  StopReason reason = stop_.reason();
  if (auto status = status_for(reason)) {
    report.status = *status;
    report.stopped_by = reason;
    report.error = describe_stop(reason, job, allocator_->cap());
  } else if (result.error) {
    report.status = result.denied ? RunStatus::kDenied : RunStatus::kError;
    ErrorDetail& detail = result.error_detail;
    if (!detail.source_line.empty()) report.error_source = detail.source_line + "\n" + detail.caret;
    if (!detail.stack.empty()) report.stack = std::move(detail.stack);
    report.causes = std::move(detail.causes);
    report.hint = missing_grant_hint(*result.error, detail.source_line, op_host_.grants.tier,
                                     op_host_.grants.ops);
    report.error = std::move(result.error);
  } else if (result.result_json || result.result_text) {
    report.result_json = std::move(result.result_json);
    report.result_type = std::move(result.result_type);
    report.result_from = std::move(result.result_from);
    report.result_text = std::move(result.result_text);
  } else {
    // Execution ended without a value, an error or a guard: nothing else can cause that, so
    // say so rather than report success.
    report.status = RunStatus::kError;
    report.error = "execution ended without a result";
  }
  report.output_truncated = output.truncated();
  report.output = output.take();
  report.output_levels = output.take_levels();
  ++runs_done_;
  return report;
}

}  // namespace krepis
