// ONE thread per process that enforces every run's deadline. Arming creates no thread: it
// pushes an entry on the DeadlineQueue and wakes the thread only when it would otherwise
// sleep past the new deadline. Created once by the program and handed to each sandbox (never
// a global).
#pragma once

#include <condition_variable>
#include <mutex>
#include <thread>

#include "core/runtime/deadline_queue.h"

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
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  [[nodiscard]] Armed arm(DeadlineTarget& target, SteadyTime deadline);

 private:
  void disarm(DeadlineQueue::Id id);
  void loop();

  std::mutex mutex_;
  std::condition_variable wake_;
  DeadlineQueue queue_;
  // When the thread wakes next by itself (max: only when woken); min while it is awake.
  SteadyTime sleeping_until_ = SteadyTime::min();
  bool stopping_ = false;
  std::thread thread_;  // last: started after everything it uses exists
};

}  // namespace krepis
