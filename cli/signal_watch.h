// SIGINT and SIGTERM during a batch: blocked in every thread (V8's and the workers', which
// must be started after this exists) and received by one watcher thread, so no handler runs
// at a random point in V8 and no global flag is needed. The first signal asks the batch to
// stop; a second one ends the process at once.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <thread>

namespace krepis::cli {

class SignalWatch {
 public:
  // With exit_on_second, a second signal ends the process at once (a batch); without, every
  // signal goes to the callback (a REPL, where Ctrl-C is part of the conversation).
  explicit SignalWatch(std::function<void(int)> on_signal, bool exit_on_second = true);
  ~SignalWatch();
  SignalWatch(const SignalWatch&) = delete;
  SignalWatch& operator=(const SignalWatch&) = delete;

  // 0 until a signal came; then SIGINT or SIGTERM.
  int received() const { return received_.load(); }
  // No callback runs after this returns (one in progress is waited for): call it before
  // what the callback uses is destroyed. Signals are still received and counted.
  void stop_callbacks();

 private:
  std::function<void(int)> on_signal_;
  bool exit_on_second_;
  std::atomic<int> received_{0};
  std::mutex callback_mutex_;
  bool callbacks_on_ = true;
  std::atomic<bool> done_{false};
  std::thread watcher_;
};

}  // namespace krepis::cli
