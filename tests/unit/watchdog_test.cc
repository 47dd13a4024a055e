#include "core/watchdog.h"

#include <doctest/doctest.h>

#include <condition_variable>
#include <mutex>

namespace krepis {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Waits for the watchdog thread's calls; the bounds are safety nets, not timings.
struct WaitingTarget final : DeadlineTarget {
  std::mutex mutex;
  std::condition_variable changed;
  int deadlines = 0;
  bool condemned = false;
  void on_deadline(int) noexcept override {
    std::lock_guard lock(mutex);
    ++deadlines;
    changed.notify_all();
  }
  void on_condemned() noexcept override {
    std::lock_guard lock(mutex);
    condemned = true;
    changed.notify_all();
  }
  template <typename Predicate>
  bool wait_for(Predicate done) {
    std::unique_lock lock(mutex);
    return changed.wait_for(lock, seconds(30), done);
  }
};

TEST_CASE("the watchdog thread calls a target whose deadline has passed") {
  Watchdog watchdog;
  WaitingTarget target;
  auto armed = watchdog.arm(target, std::chrono::steady_clock::now());
  CHECK(target.wait_for([&] { return target.deadlines >= 1; }));
}

TEST_CASE("the watchdog re-issues termination and condemns a run that never ends") {
  // Re-issued every 1 ms, condemned after 200: even a loaded machine re-issues before that.
  Watchdog watchdog(DeadlinePolicy{milliseconds(1), milliseconds(200)});
  WaitingTarget target;
  auto armed = watchdog.arm(target, std::chrono::steady_clock::now());
  CHECK(target.wait_for([&] { return target.condemned; }));
  std::lock_guard lock(target.mutex);
  CHECK(target.deadlines >= 2);
}

TEST_CASE("after disarming, a far deadline never reaches its target") {
  Watchdog watchdog;
  WaitingTarget target;
  { auto armed = watchdog.arm(target, std::chrono::steady_clock::now() + seconds(3600)); }
  // A second, due entry proves the thread ran past the point where the first was dropped.
  WaitingTarget witness;
  auto armed = watchdog.arm(witness, std::chrono::steady_clock::now());
  CHECK(witness.wait_for([&] { return witness.deadlines >= 1; }));
  std::lock_guard lock(target.mutex);
  CHECK(target.deadlines == 0);
}

}  // namespace
}  // namespace krepis
