#include "core/runtime/watchdog.h"

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
  bool on_condemned(std::chrono::steady_clock::duration) noexcept override {
    std::lock_guard lock(mutex);
    condemned = true;
    changed.notify_all();
    return true;
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

TEST_CASE("the watchdog re-issues termination to a run that does not end") {
  // Condemnation is an hour away: only re-issues can come, whatever the machine's load.
  Watchdog watchdog(DeadlinePolicy{milliseconds(1), std::chrono::hours(1)});
  WaitingTarget target;
  auto armed = watchdog.arm(target, std::chrono::steady_clock::now());
  CHECK(target.wait_for([&] { return target.deadlines >= 3; }));
  std::lock_guard lock(target.mutex);
  CHECK_FALSE(target.condemned);
}

TEST_CASE("the watchdog condemns a run that never ends") {
  Watchdog watchdog(DeadlinePolicy{milliseconds(1), milliseconds(1)});
  WaitingTarget target;
  auto armed = watchdog.arm(target, std::chrono::steady_clock::now());
  // A watchdog thread that wakes late may condemn without a call at the deadline first.
  CHECK(target.wait_for([&] { return target.condemned; }));
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
