#include "core/runtime/deadline_queue.h"

#include <doctest/doctest.h>

#include <vector>

namespace krepis {
namespace {

using std::chrono::milliseconds;

struct RecordingTarget final : DeadlineTarget {
  std::vector<int> attempts;
  int condemned = 0;
  void on_deadline(int attempt) noexcept override { attempts.push_back(attempt); }
  // Condemns at once unless told to wait for more than `waited` first.
  std::chrono::milliseconds wait_for{0};
  bool on_condemned(std::chrono::steady_clock::duration waited) noexcept override {
    if (waited < wait_for) return false;
    ++condemned;
    return true;
  }
};

const SteadyTime t0{};

TEST_CASE("deadlines fire in order of time, not of arming") {
  DeadlineQueue queue;
  RecordingTarget late, early;
  queue.arm(late, t0 + milliseconds(50));
  queue.arm(early, t0 + milliseconds(10));
  CHECK(queue.next_due() == t0 + milliseconds(10));
  queue.fire_due(t0 + milliseconds(10));
  CHECK(early.attempts == std::vector<int>{1});
  CHECK(late.attempts.empty());
  queue.fire_due(t0 + milliseconds(50));
  CHECK(late.attempts == std::vector<int>{1});
}

TEST_CASE("a disarmed deadline never fires") {
  DeadlineQueue queue;
  RecordingTarget target;
  auto id = queue.arm(target, t0 + milliseconds(10));
  CHECK(queue.disarm(id));
  CHECK_FALSE(queue.disarm(id));
  queue.fire_due(t0 + milliseconds(100));
  CHECK(target.attempts.empty());
  CHECK_FALSE(queue.next_due().has_value());
  CHECK(queue.armed() == 0);
}

TEST_CASE("termination is re-issued until disarmed, then the target is condemned") {
  DeadlineQueue queue(DeadlinePolicy{milliseconds(5), milliseconds(20)});
  RecordingTarget target;
  queue.arm(target, t0 + milliseconds(10));
  queue.fire_due(t0 + milliseconds(10));
  CHECK(queue.next_due() == t0 + milliseconds(15));
  queue.fire_due(t0 + milliseconds(15));
  queue.fire_due(t0 + milliseconds(20));
  CHECK(target.attempts == std::vector<int>{1, 2, 3});
  CHECK(target.condemned == 0);
  queue.fire_due(t0 + milliseconds(30));  // 20 ms past the deadline: the bound
  CHECK(target.condemned == 1);
  CHECK(queue.armed() == 0);
  queue.fire_due(t0 + milliseconds(100));
  CHECK(target.condemned == 1);
}

TEST_CASE("a watchdog that wakes late asks for termination before it condemns") {
  DeadlineQueue queue(DeadlinePolicy{milliseconds(5), milliseconds(20)});
  RecordingTarget target;
  queue.arm(target, t0 + milliseconds(10));
  queue.fire_due(t0 + milliseconds(100));  // 90 ms late: past the bound, but never asked
  CHECK(target.attempts == std::vector<int>{1});
  CHECK(target.condemned == 0);
  queue.fire_due(t0 + milliseconds(110));
  CHECK(target.condemned == 0);
  queue.fire_due(t0 + milliseconds(120));  // 20 ms after the first request
  CHECK(target.condemned == 1);
}

TEST_CASE("a target that wants more evidence is asked again at every re-issue") {
  DeadlineQueue queue(DeadlinePolicy{milliseconds(5), milliseconds(20)});
  RecordingTarget target;
  target.wait_for = milliseconds(30);
  queue.arm(target, t0 + milliseconds(10));
  queue.fire_due(t0 + milliseconds(10));
  queue.fire_due(t0 + milliseconds(30));  // asked at 20 ms: not yet
  CHECK(target.condemned == 0);
  CHECK(queue.armed() == 1);
  CHECK(target.attempts.size() == 2);     // and termination was requested again
  queue.fire_due(t0 + milliseconds(40));  // 30 ms: now
  CHECK(target.condemned == 1);
  CHECK(queue.armed() == 0);
}

TEST_CASE("a run that ends after its first termination request is not condemned") {
  DeadlineQueue queue(DeadlinePolicy{milliseconds(5), milliseconds(20)});
  RecordingTarget target;
  auto id = queue.arm(target, t0 + milliseconds(10));
  queue.fire_due(t0 + milliseconds(11));
  CHECK(queue.disarm(id));
  queue.fire_due(t0 + milliseconds(500));
  CHECK(target.attempts == std::vector<int>{1});
  CHECK(target.condemned == 0);
}

}  // namespace
}  // namespace krepis
