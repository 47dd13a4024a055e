#include "cli/signal_watch.h"

#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <ctime>

namespace krepis::cli {
namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

SignalWatch::SignalWatch(std::function<void(int)> on_signal, bool exit_on_second)
    : on_signal_(std::move(on_signal)), exit_on_second_(exit_on_second) {
  sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  watcher_ = std::thread([this, set] {
    const timespec tick{0, 50'000'000};
    while (!done_.load()) {
      int signal = sigtimedwait(&set, nullptr, &tick);
      if (signal <= 0) continue;
      if (received_.exchange(signal) != 0 && exit_on_second_) std::_Exit(128 + signal);
      std::lock_guard lock(callback_mutex_);
      if (callbacks_on_) on_signal_(signal);
    }
  });
}

void SignalWatch::stop_callbacks() {
  std::lock_guard lock(callback_mutex_);
  callbacks_on_ = false;
}

SignalWatch::~SignalWatch() {
  done_.store(true);
  watcher_.join();
  // Signals that came meanwhile stay pending; the caller exits with the batch's status.
}

}  // namespace krepis::cli
