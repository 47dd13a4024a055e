// Sweeps a pool in the background: disposes idle instances past their timeout and settles
// those idle for a while, even when no run comes to trigger it (a REPL waiting for input, a
// batch whose tenants finished). Stops and joins when destroyed.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace krepis {

template <class Pool>
class PoolSweeper {
 public:
  PoolSweeper(Pool& pool, std::chrono::milliseconds every)
      : thread_([this, &pool, every](std::stop_token stop) {
          std::unique_lock lock(mutex_);
          while (!stop.stop_requested()) {
            // Wakes early only to stop.
            wake_.wait_for(lock, stop, every, [] { return false; });
            if (stop.stop_requested()) break;
            lock.unlock();
            pool.sweep();
            lock.lock();
          }
        }) {}
  ~PoolSweeper() {
    thread_.request_stop();
    thread_.join();
  }
  PoolSweeper(const PoolSweeper&) = delete;
  PoolSweeper& operator=(const PoolSweeper&) = delete;

 private:
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::jthread thread_;
};

}  // namespace krepis
