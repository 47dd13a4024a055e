#include "core/runtime/watchdog.h"

namespace krepis {

Watchdog::Armed::Armed(Armed&& other) noexcept : watchdog_(other.watchdog_), id_(other.id_) {
  other.watchdog_ = nullptr;
}

Watchdog::Armed::~Armed() {
  if (watchdog_ != nullptr) watchdog_->disarm(id_);
}

Watchdog::Watchdog(DeadlinePolicy policy)
    : queue_(policy), thread_([this](std::stop_token stop) { loop(stop); }) {}

Watchdog::Armed Watchdog::arm(DeadlineTarget& target, SteadyTime deadline) {
  std::lock_guard lock(mutex_);
  // The thread only needs waking when it would sleep past this deadline. Runs that end
  // early leave it sleeping towards a deadline that no longer exists; the next run's is
  // later, so back-to-back short runs wake it once per deadline, not once per run.
  if (deadline < sleeping_until_) sleeper_.wake();
  return Armed(this, queue_.arm(target, deadline));
}

void Watchdog::disarm(DeadlineQueue::Id id) {
  std::lock_guard lock(mutex_);
  queue_.disarm(id);
}

void Watchdog::loop(std::stop_token stop) {
  std::unique_lock lock(mutex_);
  for (;;) {
    std::optional<SteadyTime> next = queue_.next_due();
    sleeping_until_ = next.value_or(SteadyTime::max());
    if (!(next ? sleeper_.sleep_until(lock, stop, *next) : sleeper_.sleep(lock, stop))) break;
    sleeping_until_ = SteadyTime::min();  // awake: it looks at the queue before sleeping again
    // Targets are called with the lock held: once disarm() returns, none of them runs again.
    queue_.fire_due(std::chrono::steady_clock::now());
  }
}

}  // namespace krepis
