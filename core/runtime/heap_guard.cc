#include "core/runtime/heap_guard.h"

#include <v8-local-handle.h>
#include <v8-statistics.h>

#include <algorithm>

#include "core/base/limits.h"

namespace krepis {

HeapGuard::HeapGuard(v8::Isolate* isolate, const CappedAllocator& allocator, std::size_t cap_bytes,
                     StopSignal& signal, bool grant_once)
    : isolate_(isolate),
      allocator_(allocator),
      cap_(cap_bytes),
      signal_(signal),
      grant_once_(grant_once) {
  isolate_->AddNearHeapLimitCallback(&HeapGuard::on_near_heap_limit, this);
  isolate_->AddGCPrologueCallback(&HeapGuard::before_gc, this);
  isolate_->AddGCEpilogueCallback(&HeapGuard::after_gc, this);
}

HeapGuard::~HeapGuard() {
  isolate_->RemoveGCEpilogueCallback(&HeapGuard::after_gc, this);
  isolate_->RemoveGCPrologueCallback(&HeapGuard::before_gc, this);
  isolate_->RemoveNearHeapLimitCallback(&HeapGuard::on_near_heap_limit, 0);
}

std::size_t HeapGuard::headroom_for(std::size_t cap_bytes) {
  return std::clamp<std::size_t>(cap_bytes / 4, 8 * kMiB, 32 * kMiB);
}

std::size_t HeapGuard::handle_allowance(std::size_t cap_bytes) {
  return std::max<std::size_t>(cap_bytes / 10, 12 * kMiB);
}

void HeapGuard::begin_run() {
  peak_used_ = 0;
  peak_external_ = 0;
  refused_bytes_ = 0;
  refused_handles_ = 0;
  retry_ = Retry::kNone;
  sample();
}

HeapGuard::Sample HeapGuard::sample() {
  v8::HeapStatistics stats;
  isolate_->GetHeapStatistics(&stats);
  // V8's external figure counts every backing store, WebAssembly memories included, which
  // do not go through our allocator; the allocator's figure is exact for the rest.
  Sample now{stats.used_heap_size(), std::max(stats.external_memory(), allocator_.in_use())};
  peak_used_ = std::max(peak_used_, now.used);
  peak_external_ = std::max(peak_external_, now.external);
  last_ = now;
  let_in_since_sample_ = 0;
  return now;
}

void HeapGuard::trip(StopReason reason) {
  exceeded_.store(true, std::memory_order_relaxed);
  signal_.trip(reason);
  isolate_->TerminateExecution();
}

bool HeapGuard::within_cap(Sample now) {
  if (now.used + now.external <= cap_ && peak_used_ <= cap_ && !exceeded()) return true;
  trip(StopReason::kHeapCheck);
  return false;
}

bool HeapGuard::check_now() { return within_cap(sample()); }

HeapFigures HeapGuard::figures_of(Sample now) const {
  return HeapFigures{now.used, peak_used_, now.external,
                     std::max(peak_external_, allocator_.peak())};
}

HeapFigures HeapGuard::figures() { return figures_of(sample()); }

HeapFigures HeapGuard::end_run(bool check) {
  // V8's heap statistics walk every page and every native context: ~4 us a sample.
  const Sample now = sample();
  if (check) within_cap(now);
  return figures_of(now);
}

std::size_t HeapGuard::on_near_heap_limit(void* data, std::size_t current_limit,
                                          std::size_t /*initial_limit*/) {
  auto* self = static_cast<HeapGuard*>(data);
  // V8 calls this before its last-resort GC for any allocation it could not make, the gate's
  // refusals included: that GC may yet make room for the object, and the gate is asked again
  // after it. The heap's limit is not what stopped it. (Should V8 call it first for another
  // reason, ineffective mark-compacts near the limit, the run is at its cap either way, and
  // V8's OOM that follows reports it.)
  // A refusal V8 never retried (an allocation with a fallback) must not stand for a later
  // call: only a heap short of its limit tells the last-resort call from the limit's.
  const std::size_t used = self->sample().used;
  if (self->retry_ == Retry::kAwaited && used < current_limit - current_limit / 8) {
    self->retry_ = Retry::kLast;
    return current_limit;
  }
  if (self->retry_ == Retry::kAwaited) self->retry_ = Retry::kNone;
  self->refused_bytes_ = 0;
  self->refused_handles_ = 0;
  self->trip(StopReason::kNearHeapLimit);
  // The termination asked for last time has not landed, and a builtin is still allocating:
  // in a worker process, let V8 end it here rather than follow the builtin up the memory.
  if (self->grant_once_ && self->granted_) return current_limit;
  self->granted_ = true;
  // V8 aborts the process unless the new limit lies above what the heap already holds, and a
  // single large allocation can have put it far past the old limit: grant bounded headroom
  // above the larger of the two, so the termination can unwind the script. A builtin that
  // checks no interrupts may still outgrow it; V8's fatal OOM then ends the process through
  // the sandbox's fatal handler, with a report (in the runner's own process, only when one
  // allocation outgrows the headroom; in a worker process, at the second call).
  return std::max(current_limit, used) + headroom_for(self->cap_);
}

bool HeapGuard::refuse_for_good(std::size_t bytes) {
  refused_bytes_ = bytes;
  trip(StopReason::kNearHeapLimit);
  // V8 would print its last GCs to the process's stderr before its heap OOM: the run's end
  // is said here instead.
  if (on_refused_for_good_) on_refused_for_good_(bytes);
  return false;
}

std::size_t HeapGuard::held_handle_bytes() const {
  return static_cast<std::size_t>(v8::HandleScope::NumberOfHandles(isolate_)) * sizeof(void*);
}

bool HeapGuard::may_commit(std::size_t bytes) {
  refused_handles_ = 0;
  if (bytes > cap_) return refuse_for_good(bytes);  // it could never fit
  // ArrayBuffers are counted as they are made (the allocator's figure), not only at GCs; the
  // handles held outside the heap past their allowance too.
  const std::size_t external = std::max(last_.external, allocator_.in_use());
  const std::size_t handles = held_handle_bytes();
  const std::size_t allowance = handle_allowance(cap_);
  const std::size_t counted_handles = handles > allowance ? handles - allowance : 0;
  if (last_.used + external + let_in_since_sample_ + counted_handles + bytes > cap_) {
    if (counted_handles > 0) refused_handles_ = handles;
    // Refused again after V8's last-resort GC: for good.
    if (retry_ == Retry::kLast) return refuse_for_good(bytes);
    // The heap's measure may count garbage (objects die between GCs): refused, but the run
    // is not condemned. V8 collects garbage and asks again, the last time right after a full
    // GC.
    refused_bytes_ = bytes;
    retry_ = Retry::kAwaited;
    return false;
  }
  refused_bytes_ = 0;
  retry_ = Retry::kNone;
  let_in_since_sample_ += bytes;
  return true;
}

void HeapGuard::before_gc(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* data) {
  auto* self = static_cast<HeapGuard*>(data);
  self->collecting_.store(true, std::memory_order_relaxed);
  // Before a GC is when the heap is fullest: the best moment to record the peak.
  self->sample();
}

void HeapGuard::after_gc(v8::Isolate*, v8::GCType, v8::GCCallbackFlags, void* data) {
  auto* self = static_cast<HeapGuard*>(data);
  self->collecting_.store(false, std::memory_order_relaxed);
  Sample now = self->sample();
  if (now.used + now.external > self->cap_) {
    self->trip(StopReason::kHeapCheck);
  }
}

}  // namespace krepis
