// The single "why it stopped" field of a run. Guards on other threads (the watchdog) and
// inside V8 callbacks (heap limit, allocator) trip it; the first one wins and the run's
// outcome is derived from it alone. A run that waits for its next timer sleeps on it, so
// whichever guard trips it also ends the wait.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "core/base/run_report.h"

namespace krepis {

class StopSignal {
 public:
  // Returns true when this call set the reason, false when another guard already had.
  // Called from any thread, V8 callbacks and the watchdog (with its lock held) included.
  bool trip(StopReason reason) noexcept {
    StopReason expected = StopReason::kNone;
    bool first = why_.compare_exchange_strong(expected, reason, std::memory_order_acq_rel);
    {
      // Taken so that a sleeper between its check and its wait cannot miss the wake.
      std::lock_guard lock(sleep_mutex_);
    }
    tripped_cv_.notify_all();
    return first;
  }
  StopReason reason() const noexcept { return why_.load(std::memory_order_acquire); }
  bool tripped() const noexcept { return reason() != StopReason::kNone; }
  void reset() noexcept { why_.store(StopReason::kNone, std::memory_order_release); }

  // Sleeps until `until` or until a guard trips the signal; true when tripped.
  bool sleep_until(std::chrono::steady_clock::time_point until) const {
    std::unique_lock lock(sleep_mutex_);
    return tripped_cv_.wait_until(lock, until, [this] { return tripped(); });
  }

 private:
  std::atomic<StopReason> why_{StopReason::kNone};
  mutable std::mutex sleep_mutex_;
  mutable std::condition_variable tripped_cv_;
};

}  // namespace krepis
