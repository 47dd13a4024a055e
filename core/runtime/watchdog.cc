#include "core/runtime/watchdog.h"

namespace krepis {

Watchdog::Armed::Armed(Armed&& other) noexcept : watchdog_(other.watchdog_), id_(other.id_) {
  other.watchdog_ = nullptr;
}

Watchdog::Armed::~Armed() {
  if (watchdog_ != nullptr) watchdog_->disarm(id_);
}

Watchdog::Watchdog(DeadlinePolicy policy) : queue_(policy), thread_([this] { loop(); }) {}

Watchdog::~Watchdog() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

Watchdog::Armed Watchdog::arm(DeadlineTarget& target, SteadyTime deadline) {
  bool sooner;
  DeadlineQueue::Id id;
  {
    std::lock_guard lock(mutex_);
    // The thread only needs waking when it would sleep past this deadline. Runs that end
    // early leave it sleeping towards a deadline that no longer exists; the next run's is
    // later, so back-to-back short runs wake it once per deadline, not once per run.
    sooner = deadline < sleeping_until_;
    id = queue_.arm(target, deadline);
  }
  if (sooner) wake_.notify_one();
  return Armed(this, id);
}

void Watchdog::disarm(DeadlineQueue::Id id) {
  std::lock_guard lock(mutex_);
  queue_.disarm(id);
}

void Watchdog::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    if (auto next = queue_.next_due()) {
      sleeping_until_ = *next;
      wake_.wait_until(lock, *next);
    } else {
      sleeping_until_ = SteadyTime::max();
      wake_.wait(lock);
    }
    sleeping_until_ = SteadyTime::min();  // awake: it looks at the queue before sleeping again
    if (stopping_) break;
    // Targets are called with the lock held: once disarm() returns, none of them runs again.
    queue_.fire_due(std::chrono::steady_clock::now());
  }
}

}  // namespace krepis
