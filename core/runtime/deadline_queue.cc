#include "core/runtime/deadline_queue.h"

namespace krepis {

DeadlineQueue::Id DeadlineQueue::arm(DeadlineTarget& target, SteadyTime deadline) {
  Id id = next_id_++;
  entries_.emplace(id, Entry{&target, deadline});
  heap_.push(Slot{deadline, id});
  return id;
}

bool DeadlineQueue::disarm(Id id) { return entries_.erase(id) > 0; }

void DeadlineQueue::drop_stale_top() {
  while (!heap_.empty()) {
    auto it = entries_.find(heap_.top().id);
    // Each armed entry has exactly one slot in the heap, so a slot is live iff its entry is.
    if (it != entries_.end()) return;
    heap_.pop();
  }
}

std::optional<SteadyTime> DeadlineQueue::next_due() {
  drop_stale_top();
  if (heap_.empty()) return std::nullopt;
  return heap_.top().due;
}

void DeadlineQueue::fire_due(SteadyTime now) {
  for (drop_stale_top(); !heap_.empty() && heap_.top().due <= now; drop_stale_top()) {
    Slot slot = heap_.top();
    heap_.pop();
    Entry& entry = entries_.at(slot.id);
    // The grace counts from the first request, not from the deadline: a watchdog that woke
    // late asks first, so a run is never condemned without having been asked to end.
    if (entry.first_request && now - *entry.first_request >= policy_.condemn_after &&
        entry.target->on_condemned(now - *entry.first_request)) {
      entries_.erase(slot.id);
      continue;
    }
    if (!entry.first_request) entry.first_request = now;
    entry.target->on_deadline(++entry.attempts);
    heap_.push(Slot{now + policy_.reissue_every, slot.id});
  }
}

}  // namespace krepis
