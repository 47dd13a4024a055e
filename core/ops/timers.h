// setTimeout, setInterval, clearTimeout and clearInterval in every run. Timers belong to the
// run that set them: they fire only inside it, count toward its deadline, keep it going until
// they are cleared or have fired (as an event loop would), and die with it, so a timer set in
// one run can never fire in a later one, even through a warm isolate or a REPL's kept
// context. What a timer calls (its function and arguments) is held in the run's heap; the
// queue's own bytes are charged to the run's capped allocator, so both count against the
// heap cap, and a run may have at most one live timer per kCapBytesPerTimer of its cap.
#pragma once

#include <v8-container.h>
#include <v8-context.h>
#include <v8-external.h>
#include <v8-isolate.h>
#include <v8-persistent-handle.h>

#include <cstddef>
#include <span>

#include "core/ops/timer_queue.h"

namespace krepis {

class CappedAllocator;
struct OpHost;

class RunTimers {
 public:
  // A run may have this many timers live per byte of its heap cap: what the queue holds for
  // them outside V8 stays a small part of the cap (about 64 bytes each).
  static constexpr std::size_t kCapBytesPerTimer = 256;

  RunTimers() = default;
  RunTimers(const RunTimers&) = delete;
  RunTimers& operator=(const RunTimers&) = delete;
  // Gives back what it charged. On the isolate's thread, under its lock.
  ~RunTimers() { clear(); }

  // Sets a timer calling `function` with `arguments`. Throws a RangeError naming `op_name`
  // and returns 0 when the run has as many live timers as its cap allows, or the cap has no
  // room for the queue; returns 0 when V8 failed (termination). `keeps_run_alive`: see
  // TimerQueue::add.
  TimerQueue::Id add(v8::Local<v8::Context> context, CappedAllocator& allocator,
                     const char* op_name, v8::Local<v8::Function> function,
                     std::span<const v8::Local<v8::Value>> arguments, TimerQueue::Duration delay,
                     bool repeating, bool keeps_run_alive = true);
  // Clears a timer the script set (those that do not keep the run alive are the host's own).
  void cancel(v8::Local<v8::Context> context, TimerQueue::Id id);
  // Drops every timer (the run is over). On the isolate's thread, under its lock.
  void clear();

  // When the next timer falls due, while one keeps the run alive (or, with `any_timer`,
  // while any is live).
  std::optional<TimerQueue::Time> next_due(bool any_timer) { return queue_.next_due(any_timer); }
  enum class Fired { kNone, kRan, kFailed };
  // Calls the timer due at `now`, if any. kFailed: it threw or the run was terminated; the
  // caller's TryCatch has which. Needs a HandleScope.
  Fired fire_due(v8::Local<v8::Context> context, TimerQueue::Time now);

 private:
  // Charges (or gives back) the queue's growth; false when the cap refused it.
  bool account();

  TimerQueue queue_;
  // Timer id -> [function, ...arguments], in the context of the run that set them; made
  // from the values themselves, so no setter of the script's runs on it.
  v8::Global<v8::Map> calls_;
  CappedAllocator* allocator_ = nullptr;
  std::size_t charged_bytes_ = 0;
};

// Puts the four globals on a fresh context's global object, as lazy data properties.
bool install_timer_globals(v8::Local<v8::Context> context, v8::Local<v8::External> host);

}  // namespace krepis
