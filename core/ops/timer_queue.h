// The timers of one run (setTimeout, setInterval, AbortSignal.timeout), without V8 or a
// clock: time is passed in, so tests drive it without sleeping. A min-heap by due time, then
// by the order they were set, as the HTML standard orders timers of equal due time.
// Cancelled timers leave stale heap entries, dropped when they come up or when they
// outnumber the live ones, so the queue holds O(live timers) whatever a script sets and
// clears.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace krepis {

class TimerQueue {
 public:
  using Time = std::chrono::steady_clock::time_point;
  using Duration = std::chrono::milliseconds;
  using Id = std::uint32_t;

  // Timer ids are positive and never reused within a run; past this, add() refuses.
  static constexpr Id kMaxId = 0x7fffffff;
  static constexpr Duration kMaxDelay{0x7fffffff};

  // A timer due `delay` (1 ms to kMaxDelay) after `now`; a repeating one is due again every `delay`
  // after it fires. One that does not keep the run alive fires only while others do (Node's unref).
  // Nothing when the run has used up every id.
  std::optional<Id> add(Time now, Duration delay, bool repeating, bool keeps_run_alive = true);
  // False when `id` was not a live timer (never set, fired, or cancelled already).
  bool cancel(Id id);

  // When the earliest live timer falls due, while some timer keeps the run alive (or,
  // with `any_timer`, while any timer is live).
  std::optional<Time> next_due(bool any_timer = false);
  // The earliest live timer, if it is due at `now`: a one-shot one is removed, a repeating
  // one is due again `delay` after `now`.
  std::optional<Id> take_due(Time now);

  bool contains(Id id) const { return timers_.contains(id); }
  bool keeps_run_alive(Id id) const {
    auto found = timers_.find(id);
    return found != timers_.end() && found->second.keeps_run_alive;
  }
  std::size_t live() const { return timers_.size(); }
  // Roughly what the queue holds in memory, to count against the run's heap cap.
  std::size_t held_bytes() const;

 private:
  struct Timer {
    std::uint64_t seq;  // of its current heap entry; older entries for it are stale
    std::int32_t delay_ms;
    bool repeating;
    bool keeps_run_alive;
  };
  struct Entry {
    Time due;
    std::uint64_t seq;
    Id id;
  };
  static bool later(const Entry& a, const Entry& b) {
    return a.due != b.due ? a.due > b.due : a.seq > b.seq;
  }
  void push(Time due, Id id, Timer& timer);
  bool stale(const Entry& entry) const;
  // Drops stale entries from the top, so that heap_.front() is live (or the heap empty).
  void settle_top();
  void compact_if_mostly_stale();

  std::vector<Entry> heap_;
  std::unordered_map<Id, Timer> timers_;
  std::size_t keeping_alive_ = 0;
  Id last_id_ = 0;
  std::uint64_t last_seq_ = 0;
};

}  // namespace krepis
