// A worker process's backstop for memory no guard inside V8 sees in time. Some builtins
// allocate a whole backing store in one step and never check for interrupts (`new
// Array(3e7).fill(1.5)` takes ~500 MB that way, past any heap limit): the heap guard learns of
// it only after the fact. This thread samples the process's resident memory while a run is
// watched (5 ms after its start, then every 1 ms); once it has grown by more than the run's
// cap and some slack since the run began, the sandbox ends the process with the run's
// report. Runs shorter than 5 ms are never sampled, and back-to-back ones wake the thread
// about once per 5 ms, not once per run.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>

#include "core/base/unique_fd.h"
#include "core/runtime/sandbox.h"
#include "core/runtime/sleeper.h"

namespace krepis {

class MemoryWatch {
 public:
  MemoryWatch();
  MemoryWatch(const MemoryWatch&) = delete;
  MemoryWatch& operator=(const MemoryWatch&) = delete;

  // Watches one run for as long as it lives.
  class Watching {
   public:
    Watching(MemoryWatch& watch, Sandbox& sandbox);
    ~Watching();
    Watching(const Watching&) = delete;
    Watching& operator=(const Watching&) = delete;

   private:
    MemoryWatch& watch_;
  };

  // The process's resident memory now, in bytes; 0 if it cannot be read.
  std::size_t resident_bytes() const;

 private:
  void loop(std::stop_token stop);

  using Time = Sleeper::Time;

  UniqueFd statm_;
  const std::size_t page_bytes_;
  std::mutex mutex_;
  Sandbox* sandbox_ = nullptr;  // the run watched now, if any
  std::uint64_t runs_ = 0;      // runs watched so far: tells one run from the next
  std::size_t limit_ = 0;       // resident bytes past which it is ended
  std::size_t start_ = 0;
  Time first_sample_;           // the run's start + 5 ms
  // When the thread wakes by itself: Time::max() asleep with no run to watch (a new run must
  // wake it), Time::min() awake (it looks at the run before sleeping again).
  Time sleeping_until_ = Time::min();
  Sleeper sleeper_;
  std::jthread thread_;  // last: stopped and joined first
};

}  // namespace krepis
