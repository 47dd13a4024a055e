// The one idiom of krepis's background threads (the watchdog, the memory watch, the pool
// sweeper): each is a std::jthread whose loop holds its object's mutex, sleeps on a Sleeper
// (which lets the mutex go meanwhile) and leaves the loop when a sleep says it must stop.
// Destroying the jthread, the object's last member, asks it to stop, wakes it and joins it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>

namespace krepis {

class Sleeper {
 public:
  using Time = std::chrono::steady_clock::time_point;

  // Sleeps until `until`, a wake(), or a request to stop; `lock` is held on entry and on
  // return. False when the thread must stop.
  bool sleep_until(std::unique_lock<std::mutex>& lock, std::stop_token stop, Time until) {
    woken_ = false;
    changed_.wait_until(lock, stop, until, [this] { return woken_; });
    return !stop.stop_requested();
  }
  bool sleep_for(std::unique_lock<std::mutex>& lock, std::stop_token stop,
                 std::chrono::steady_clock::duration duration) {
    return sleep_until(lock, stop, std::chrono::steady_clock::now() + duration);
  }
  // Without a time: until a wake() or a request to stop.
  bool sleep(std::unique_lock<std::mutex>& lock, std::stop_token stop) {
    woken_ = false;
    changed_.wait(lock, stop, [this] { return woken_; });
    return !stop.stop_requested();
  }

  // Ends the sleep now. From another thread, holding the mutex the sleeper sleeps under.
  void wake() {
    woken_ = true;
    changed_.notify_one();
  }

 private:
  std::condition_variable_any changed_;
  bool woken_ = false;  // guarded by the sleeper's mutex
};

}  // namespace krepis
