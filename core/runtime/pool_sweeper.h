// Sweeps a pool in the background: disposes idle instances past their timeout and settles
// those idle for a while, even when no run comes to trigger it (a REPL waiting for input, a
// batch whose tenants finished). Stops and joins when destroyed.
#pragma once

#include <chrono>
#include <mutex>
#include <stop_token>
#include <thread>

#include "core/runtime/sleeper.h"

namespace krepis {

template <class Pool>
class PoolSweeper {
 public:
  PoolSweeper(Pool& pool, std::chrono::milliseconds every)
      : thread_([this, &pool, every](std::stop_token stop) {
          std::unique_lock lock(mutex_);
          while (sleeper_.sleep_for(lock, stop, every)) {
            lock.unlock();
            pool.sweep();
            lock.lock();
          }
        }) {}
  PoolSweeper(const PoolSweeper&) = delete;
  PoolSweeper& operator=(const PoolSweeper&) = delete;

 private:
  std::mutex mutex_;
  Sleeper sleeper_;
  std::jthread thread_;  // last: stopped and joined first
};

}  // namespace krepis
