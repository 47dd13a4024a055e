// The watchdog's bookkeeping, without its thread: a min-heap of deadlines, so arming and
// disarming are O(log n) and the next wake-up is the top of the heap. Time is passed in, so
// tests drive it without sleeping.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <queue>
#include <unordered_map>
#include <vector>

namespace krepis {

using SteadyTime = std::chrono::steady_clock::time_point;

// Something a deadline can stop: a sandbox's running script.
class DeadlineTarget {
 public:
  // Called when the deadline passes, then again every reissue interval while the entry stays
  // armed: termination may fail to land the first time. Runs on the watchdog thread with its
  // lock held, so it must only set flags and request termination.
  virtual void on_deadline(int attempt) noexcept = 0;
  // Called when termination has not landed within the condemn bound, with the time since it
  // was first requested; then again at every re-issue until it returns true (condemned: the
  // entry is dropped). A target may wait for better evidence that its run is stuck (the
  // sandbox counts the run thread's CPU time, not the wall clock). Same rules as on_deadline.
  virtual bool on_condemned(std::chrono::steady_clock::duration waited) noexcept = 0;

 protected:
  ~DeadlineTarget() = default;
};

struct DeadlinePolicy {
  // How often termination is requested again after the deadline while the run goes on.
  std::chrono::milliseconds reissue_every{5};
  // How long after termination was first requested the target is condemned if the run has
  // still not ended: the process running it is then ended (last words), so that every run's
  // report arrives within ~50 ms of its deadline, whatever builtin holds its thread.
  std::chrono::milliseconds condemn_after{40};
};

class DeadlineQueue {
 public:
  using Id = std::uint64_t;

  explicit DeadlineQueue(DeadlinePolicy policy = {}) : policy_(policy) {}

  Id arm(DeadlineTarget& target, SteadyTime deadline);
  // Returns false when the entry was no longer armed (already condemned or disarmed).
  bool disarm(Id id);
  // When the next entry falls due, if any is armed.
  std::optional<SteadyTime> next_due();
  // Calls the targets of every entry due at `now` and reschedules or drops them.
  void fire_due(SteadyTime now);
  std::size_t armed() const { return entries_.size(); }

 private:
  struct Entry {
    DeadlineTarget* target;
    SteadyTime deadline;
    int attempts = 0;
    std::optional<SteadyTime> first_request = {};  // when termination was first requested
  };
  struct Slot {
    SteadyTime due;
    Id id;
    bool operator>(const Slot& other) const { return due > other.due; }
  };
  // Drops heap slots whose entry was disarmed (lazy deletion keeps disarm O(1) amortised).
  void drop_stale_top();

  DeadlinePolicy policy_;
  Id next_id_ = 1;
  std::unordered_map<Id, Entry> entries_;
  std::priority_queue<Slot, std::vector<Slot>, std::greater<>> heap_;
};

}  // namespace krepis
