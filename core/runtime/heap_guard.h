// Enforces one isolate's heap cap. V8's heap limit is soft: large-object allocations and
// long builtins can pass it before any callback runs, and returning the same limit from the
// near-heap-limit callback makes V8 abort the whole process. So three guards work together:
//   - the near-heap-limit callback grants bounded headroom and requests termination;
//   - after every GC, heap used + external bytes over the cap requests termination;
//   - at the end of a run, a final sample over the cap marks the run (it may have completed).
// In a worker process a fourth stands at V8's page allocator: a large object that would take
// the heap past the cap is refused before V8 writes over it (core/engine/large_object_gate.h).
// Any of them marks the isolate as exceeded: it is never reused.
#pragma once

#include <v8-callbacks.h>
#include <v8-isolate.h>

#include <atomic>
#include <cstddef>
#include <functional>

#include "core/base/stop_signal.h"
#include "core/engine/capped_allocator.h"
#include "core/engine/large_object_gate.h"

namespace krepis {

struct HeapFigures {
  std::size_t used_bytes = 0;
  std::size_t peak_bytes = 0;
  std::size_t external_bytes = 0;
  std::size_t external_peak_bytes = 0;
};

class HeapGuard final : public LargeObjectGate {
 public:
  // Registers the callbacks; they stay until destruction. The guard must be destroyed before
  // the isolate is disposed.
  // With grant_once, a second near-heap-limit call gets no more headroom, and V8 ends the
  // process with a fatal OOM (for a sandbox in a worker process).
  HeapGuard(v8::Isolate* isolate, const CappedAllocator& allocator, std::size_t cap_bytes,
            StopSignal& signal, bool grant_once = false);
  ~HeapGuard();
  HeapGuard(const HeapGuard&) = delete;
  HeapGuard& operator=(const HeapGuard&) = delete;

  void begin_run();
  // Samples the heap now. Over the cap: trips kHeapCheck and marks the isolate exceeded.
  // Returns true when the run is within its cap.
  bool check_now();
  HeapFigures figures();
  // The end of a run: its figures and, with `check` (false when the run was stopped
  // already), check_now's verdict, from one sample of the heap.
  HeapFigures end_run(bool check);
  // True once the isolate went past its cap at any time: replace it.
  bool exceeded() const { return exceeded_.load(std::memory_order_relaxed); }
  // A GC is running on the isolate's thread (termination cannot land until it ends). Read
  // from the watchdog's thread.
  bool collecting() const { return collecting_.load(std::memory_order_relaxed); }

  // Headroom granted per near-heap-limit call: enough for V8 to unwind after termination,
  // small enough that the runner's RSS stays near the cap.
  static std::size_t headroom_for(std::size_t cap_bytes);

  // The large-object gate (core/engine/large_object_gate.h), on the isolate's thread: refuses
  // an object that would take the heap past the cap: the heap as last measured (at a GC, or
  // at the run's start) plus the large objects let in since, with ArrayBuffers as the
  // allocator counts them now, and the handles held past their allowance. The measure may
  // count garbage, so a refusal first condemns nothing: V8 collects and asks again, the last
  // time after a full GC. Refused for good (kNearHeapLimit tripped, then
  // `on_refused_for_good`): an object larger than the whole cap, and one refused again after
  // that last GC.
  bool may_commit(std::size_t bytes) override;
  // The handles the gate lets an isolate hold for free: a tenth of the cap, and at least
  // 12 MiB. Handles live outside the heap, and a builtin that checks no interrupts holds its
  // own until it returns: filling a dictionary element by element (`new Array(6e7).fill(1.5)`)
  // holds ~40 bytes of them an element, 32 MiB by its 48 MiB doubling under a 128 MiB cap,
  // which took the process to 179 MiB before the memory watch ended it. Not every handle: a
  // GC frees none, and JSON.parse holds one an element of the array it builds (8 bytes for
  // each 10 of heap when the elements are small numbers), so counting all of them ended
  // parses well within their cap. With this allowance, no parse, split or fill tried under
  // caps of 16 to 128 MiB that ended within its cap before is ended now (docs/PERFORMANCE.md),
  // and a run is refused for its handles only once its heap and handles together pass the
  // cap by the allowance.
  static std::size_t handle_allowance(std::size_t cap_bytes);
  // Called on the isolate's thread, inside V8's allocation, when an object of `bytes` is
  // refused for good: V8 would go on to its heap OOM. A worker process ends the run there.
  void on_refused_for_good(std::function<void(std::size_t bytes)> call) {
    on_refused_for_good_ = std::move(call);
  }
  // The handles the isolate held, in bytes, when that object was refused, if they were counted
  // (past their allowance); 0 otherwise. For the run's last words.
  std::size_t refused_handles() const { return refused_handles_; }
  // The large object refused last, in bytes, if none was let in since; 0 if none.
  std::size_t refused_bytes() const { return refused_bytes_; }

 private:
  static std::size_t on_near_heap_limit(void* data, std::size_t current_limit,
                                        std::size_t initial_limit);
  static void before_gc(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags flags,
                        void* data);
  static void after_gc(v8::Isolate* isolate, v8::GCType type, v8::GCCallbackFlags flags,
                       void* data);
  struct Sample {
    std::size_t used;
    std::size_t external;
  };
  // Reads the heap's figures now and records their peaks.
  Sample sample();
  bool within_cap(Sample now);
  bool refuse_for_good(std::size_t bytes);
  // The bytes of handles the isolate holds now.
  std::size_t held_handle_bytes() const;
  HeapFigures figures_of(Sample now) const;
  void trip(StopReason reason);

  v8::Isolate* const isolate_;
  const CappedAllocator& allocator_;
  const std::size_t cap_;
  StopSignal& signal_;
  std::atomic<bool> exceeded_{false};
  std::atomic<bool> collecting_{false};
  const bool grant_once_;
  bool granted_ = false;
  // Written on the isolate's own thread only.
  std::size_t peak_used_ = 0;
  std::size_t peak_external_ = 0;
  Sample last_{0, 0};                    // the last sample
  std::size_t let_in_since_sample_ = 0;  // large objects the gate let in since
  std::size_t refused_bytes_ = 0;
  std::size_t refused_handles_ = 0;
  // Where V8's retry of a large object refused below the cap stands.
  enum class Retry {
    kNone,
    kAwaited,  // refused; V8 collects garbage and asks again
    kLast,     // V8's last-resort GC came since: a refusal now is for good
  };
  Retry retry_ = Retry::kNone;
  std::function<void(std::size_t)> on_refused_for_good_;
};

}  // namespace krepis
