// ONE thread per process that enforces every run's deadline. Arming creates no thread: it
// pushes an entry on the DeadlineQueue and wakes the thread only when it would otherwise
// sleep past the new deadline. Created once by the program and handed to each sandbox (never
// a global).
#pragma once

#include <mutex>
#include <stop_token>
#include <thread>

#include "core/runtime/deadline_queue.h"
#include "core/runtime/sleeper.h"

namespace krepis {

class Watchdog {
 public:
  // Disarms its entry when it goes out of scope, on every exit path of a run. After the
  // destructor returns, the target's callbacks are never called again for this entry.
  class Armed {
   public:
    Armed(Armed&& other) noexcept;
    Armed& operator=(Armed&&) = delete;
    Armed(const Armed&) = delete;
    ~Armed();

   private:
    friend class Watchdog;
    Armed(Watchdog* watchdog, DeadlineQueue::Id id) : watchdog_(watchdog), id_(id) {}
    Watchdog* watchdog_;
    DeadlineQueue::Id id_;
  };

  explicit Watchdog(DeadlinePolicy policy = {});
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  [[nodiscard]] Armed arm(DeadlineTarget& target, SteadyTime deadline);

 private:
  void disarm(DeadlineQueue::Id id);
  void loop(std::stop_token stop);

  std::mutex mutex_;
  Sleeper sleeper_;
  DeadlineQueue queue_;
  // When the thread wakes next by itself (max: only when woken); min while it is awake.
  SteadyTime sleeping_until_ = SteadyTime::min();
  std::jthread thread_;  // last: started after everything it uses exists, stopped first
};

}  // namespace krepis
