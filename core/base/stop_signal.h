// The single "why it stopped" field of a run. Guards on other threads (the watchdog) and
// inside V8 callbacks (heap limit, allocator) trip it; the first one wins and the run's
// outcome is derived from it alone.
#pragma once

#include <atomic>

#include "core/base/run_report.h"

namespace krepis {

class StopSignal {
 public:
  // Returns true when this call set the reason, false when another guard already had.
  bool trip(StopReason reason) noexcept {
    StopReason expected = StopReason::kNone;
    return why_.compare_exchange_strong(expected, reason, std::memory_order_acq_rel);
  }
  StopReason reason() const noexcept { return why_.load(std::memory_order_acquire); }
  bool tripped() const noexcept { return reason() != StopReason::kNone; }
  void reset() noexcept { why_.store(StopReason::kNone, std::memory_order_release); }

 private:
  std::atomic<StopReason> why_{StopReason::kNone};
};

}  // namespace krepis
